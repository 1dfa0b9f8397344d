import type { Delivery, LogFields, NewDelivery } from '@noa/core'
import { FakeClock, systemClock } from '@noa/core'
import { createMemoryStore } from '@noa/store'
import { afterEach, describe, expect, it } from 'vitest'
import type { Channel, Notification, SendResult } from './channel.ts'
import { createWebhookChannel } from './channels/webhook/webhook.ts'
import { createDeliveryWorker } from './delivery.ts'
import type { Receiver } from './testing/receiver.ts'
import { startReceiver } from './testing/receiver.ts'
import { createRecordingChannel } from './testing/recording-channel.ts'
import { sampleNotification } from './testing/sample.ts'

const T0 = Date.parse('2025-10-22T22:00:00.000Z')

function items(count: number, channel = 'ops', at = T0): NewDelivery[] {
  return Array.from({ length: count }, (_, i) => ({
    channel,
    idempotencyKey: `${channel}-${i}`,
    payload: { ...sampleNotification, groupKey: `seq-${i}` } satisfies Notification,
    createdAt: at,
  }))
}

const seq = (n: { notification: Notification }[]) => n.map((s) => s.notification.groupKey)

describe('createDeliveryWorker', () => {
  let receiver: Receiver | undefined
  afterEach(async () => {
    await receiver?.close()
    receiver = undefined
  })

  it('should deliver every alert in order, none lost, to a receiver that fails, hangs and recovers', async () => {
    receiver = await startReceiver(500)
    const SECRET_PATH = '/hook/T0KEN-in-the-path-9f8e7d'
    const SIGNING = 'hmac-signing-secret'
    const store = createMemoryStore()
    const logs: LogFields[] = []
    const log = (msg: string, fields?: LogFields) => logs.push({ msg, ...fields })
    const attempts: Array<{ key: string; result: SendResult }> = []
    const waiters: Array<() => void> = []
    const worker = createDeliveryWorker({
      outbox: store.outbox,
      channels: {
        ops: createWebhookChannel(
          { type: 'webhook', url: `${receiver.url}${SECRET_PATH}`, secret: SIGNING, timeout: 150 },
          { clock: systemClock, logger: { debug: log, info: log, warn: log, error: log } },
        ),
      },
      logger: { debug: log, info: log, warn: log, error: log },
      backoff: { initialMs: 20, maxMs: 80, jitter: 0 },
      onAttempt: (d, result) => {
        attempts.push({ key: d.idempotencyKey, result })
        for (const w of waiters.splice(0)) w()
      },
    })
    const attemptsReach = (n: number) =>
      new Promise<void>((resolve) => {
        const check = () => (attempts.length >= n ? resolve() : waiters.push(check))
        check()
      })
    try {
      await store.outbox.enqueue(items(5, 'ops', Date.now()))
      worker.start()
      await attemptsReach(3)
      expect(receiver.accepted).toEqual([])
      receiver.mode = 'hang'
      await attemptsReach(attempts.length + 2)
      await store.outbox.enqueue(
        items(2, 'ops', Date.now()).map((d, i) => ({ ...d, idempotencyKey: `late-${i}` })),
      )
      receiver.mode = 200
      worker.kick()
      // At least once: an answer later than the timeout (a loaded machine) sends the delivery
      // again with the same key, which a receiver drops as seen; in order, none lost.
      const seen = () => [...new Set(receiver!.accepted.map((r) => r.headers['idempotency-key']))]
      while (seen().length < 7) await receiver.waitForAccepted(receiver.accepted.length + 1)
      await worker.idle()
      const keys = seen()
      expect(keys).toEqual(['ops-0', 'ops-1', 'ops-2', 'ops-3', 'ops-4', 'late-0', 'late-1'])
      // Every attempt before recovery was for the head, with the same key. (After it, an answer
      // later than the timeout on a loaded machine may fail one attempt more: sent again, above.)
      const recovered = attempts.findIndex((a) => a.result.ok)
      const failed = attempts.slice(0, recovered).filter((a) => !a.result.ok)
      expect(new Set(failed.map((a) => a.key))).toEqual(new Set(['ops-0']))
      expect(failed.map((a) => (a.result.ok ? '' : a.result.error))).toContain('receiver answered 500')
      expect(failed.map((a) => (a.result.ok ? '' : a.result.error))).toContain('timed out after 150 ms')
      const all = await store.outbox.deliveries()
      expect(all.map((d) => d.status)).toEqual(Array(7).fill('sent'))
      expect(all.find((d) => d.idempotencyKey === 'ops-0')?.attempts).toBe(failed.length)
      // Secrets never reach recorded errors, logs or results.
      const everything = JSON.stringify([all, logs, attempts])
      expect(everything).not.toContain('T0KEN')
      expect(everything).not.toContain(SIGNING)
      expect(everything).not.toContain(String(new URL(receiver.url).port))
    } finally {
      await worker.stop()
    }
  })

  it('should give up a 4xx and a redirect at once and go on with the next delivery', async () => {
    receiver = await startReceiver((req, res) => {
      const key = req.headers['idempotency-key']
      if (key === 'ops-1') res.writeHead(302, { location: '/again' }).end()
      else res.writeHead(key === 'ops-0' ? 400 : 200).end()
    })
    const store = createMemoryStore()
    const worker = createDeliveryWorker({
      outbox: store.outbox,
      channels: {
        ops: createWebhookChannel(
          { type: 'webhook', url: receiver.url },
          { clock: systemClock, logger: console },
        ),
      },
    })
    await store.outbox.enqueue(items(3, 'ops', Date.now()))
    expect(await worker.runOnce()).toEqual({ sent: 1, retrying: 0, failed: 2 })
    const failed = await store.outbox.deliveries({ status: 'failed' })
    expect(failed.map((d) => [d.idempotencyKey, d.attempts, d.lastError]).sort()).toEqual([
      ['ops-0', 1, 'receiver answered 400'],
      [
        'ops-1',
        1,
        // The configured URL is a secret: the worker redacts it wherever it appears.
        'receiver answered 302, a redirect to [redacted]/again (not followed: set the channel url to it, or followRedirects: "same-origin")',
      ],
    ])
    expect(receiver.requests.map((r) => `${r.headers['idempotency-key']} ${r.path}`)).toEqual([
      'ops-0 /',
      'ops-1 /',
      'ops-2 /',
    ])
  })

  it('should keep later deliveries of a channel behind a failing head, and other channels going', async () => {
    const clock = new FakeClock(T0)
    const store = createMemoryStore({ clock })
    const ops = createRecordingChannel()
    const mail = createRecordingChannel()
    const worker = createDeliveryWorker({
      outbox: store.outbox,
      channels: { ops, mail },
      clock,
      backoff: { initialMs: 1000, factor: 2, jitter: 0 },
    })
    ops.failNext(
      { ok: false, retryable: true, error: 'receiver answered 503' },
      { ok: false, retryable: true, error: 'receiver answered 503' },
    )
    await store.outbox.enqueue([...items(3), ...items(2, 'mail')])
    worker.start()
    await worker.idle()
    expect(seq(ops.sent)).toEqual([])
    expect(seq(mail.sent)).toEqual(['seq-0', 'seq-1'])
    await clock.advance(999)
    expect(seq(ops.sent)).toEqual([])
    await clock.advance(1)
    await worker.idle()
    expect(seq(ops.sent)).toEqual([])
    await clock.advance(2000)
    await worker.idle()
    expect(seq(ops.sent)).toEqual(['seq-0', 'seq-1', 'seq-2'])
    await worker.stop()
  })

  it('should give up after maxAttempts and after maxAge, and refuse unknown channels', async () => {
    const clock = new FakeClock(T0)
    const store = createMemoryStore({ clock })
    const ops = createRecordingChannel()
    const worker = createDeliveryWorker({
      outbox: store.outbox,
      channels: { ops },
      clock,
      maxAttempts: 3,
      maxAgeMs: 60_000,
      backoff: { initialMs: 1000, jitter: 0 },
    })
    const fail: SendResult = { ok: false, retryable: true, error: 'receiver answered 502' }
    ops.failNext(fail, fail, fail)
    await store.outbox.enqueue([...items(1), ...items(1, 'gone')])
    worker.start()
    await clock.advance(10_000)
    await worker.idle()
    const byKey = (list: Delivery[], key: string) => list.find((d) => d.idempotencyKey === key)
    let all = await store.outbox.deliveries()
    expect(byKey(all, 'ops-0')).toMatchObject({
      status: 'failed',
      attempts: 3,
      lastError: 'receiver answered 502',
    })
    expect(byKey(all, 'gone-0')).toMatchObject({ status: 'failed', lastError: 'unknown channel "gone"' })
    // Too old to be worth sending (written long before the agent came back).
    await store.outbox.enqueue([
      { ...items(1)[0], idempotencyKey: 'old', createdAt: clock.now() - 60_001 } as NewDelivery,
    ])
    worker.kick()
    await worker.idle()
    all = await store.outbox.deliveries()
    expect(byKey(all, 'old')).toMatchObject({ status: 'failed', lastError: 'given up: older than 60000 ms' })
    // A retry that would land beyond maxAge is not scheduled.
    await store.outbox.enqueue([
      { ...items(1)[0], idempotencyKey: 'late', createdAt: clock.now() - 59_500 } as NewDelivery,
    ])
    ops.failNext(fail)
    worker.kick()
    await worker.idle()
    expect(byKey(await store.outbox.deliveries(), 'late')).toMatchObject({ status: 'failed', attempts: 1 })
    expect(ops.sent).toEqual([])
    await worker.stop()
  })

  it('should turn a channel that throws into a retryable failure with secrets redacted', async () => {
    const clock = new FakeClock(T0)
    const store = createMemoryStore({ clock })
    const results: SendResult[] = []
    const leaky: Channel = {
      type: 'leaky',
      secrets: ['hunter2-password'],
      send: async () => {
        throw new Error('login failed for hunter2-password')
      },
    }
    const worker = createDeliveryWorker({
      outbox: store.outbox,
      channels: { leaky },
      clock,
      onAttempt: (_d, r) => {
        results.push(r)
        throw new Error('observer bug is ignored')
      },
    })
    await store.outbox.enqueue(items(1, 'leaky'))
    expect(await worker.runOnce()).toEqual({ sent: 0, retrying: 1, failed: 0 })
    expect(results).toEqual([{ ok: false, retryable: true, error: 'login failed for [redacted]' }])
    const [d] = await store.outbox.deliveries()
    expect(d?.lastError).toBe('login failed for [redacted]')
  })

  it('should survive an outbox that fails and try again at the next poll', async () => {
    const clock = new FakeClock(T0)
    const store = createMemoryStore({ clock })
    const ops = createRecordingChannel()
    let broken = true
    const outbox = {
      ...store.outbox,
      due: (now: number, limit: number) =>
        broken ? Promise.reject(new Error('database is locked')) : store.outbox.due(now, limit),
    }
    const errors: string[] = []
    const worker = createDeliveryWorker({
      outbox,
      channels: { ops },
      clock,
      pollIntervalMs: 5000,
      logger: { debug() {}, info() {}, warn() {}, error: (m) => errors.push(m) },
    })
    await store.outbox.enqueue(items(1))
    worker.start()
    await worker.idle()
    expect(errors).toEqual(['alert outbox unavailable'])
    broken = false
    await clock.advance(5000)
    await worker.idle()
    expect(seq(ops.sent)).toEqual(['seq-0'])
    await worker.stop()
    worker.kick()
    expect(clock.pending).toBe(0)
  })

  it('should survive an outbox whose due, markSent and markFailed throw: log, back off, never send twice', async () => {
    const clock = new FakeClock(T0)
    const store = createMemoryStore({ clock })
    const ops = createRecordingChannel()
    const broken = { due: false, markSent: true, markFailed: false }
    const full = () => Promise.reject(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }))
    const outbox = {
      ...store.outbox,
      due: (now: number, limit: number) => (broken.due ? full() : store.outbox.due(now, limit)),
      markSent: (id: string, at: number) => (broken.markSent ? full() : store.outbox.markSent(id, at)),
      markFailed: (id: string, f: { error: string; at: number; retryAt?: number }) =>
        broken.markFailed ? full() : store.outbox.markFailed(id, f),
    }
    const logs: LogFields[] = []
    const worker = createDeliveryWorker({
      outbox,
      channels: { ops },
      clock,
      pollIntervalMs: 60_000,
      backoff: { initialMs: 1000, factor: 2, jitter: 0 },
      logger: { debug() {}, info() {}, warn() {}, error: (msg, f) => logs.push({ msg, ...f }) },
    })
    await store.outbox.enqueue(items(2))
    worker.start()
    await worker.idle()
    // Sent, but it could not be marked: the round stops and backs off.
    expect(seq(ops.sent)).toEqual(['seq-0'])
    expect(clock.nextDue()).toBe(T0 + 1000)
    await clock.advance(1000)
    await worker.idle()
    expect(seq(ops.sent)).toEqual(['seq-0'])
    expect(clock.nextDue()).toBe(T0 + 3000)
    broken.markSent = false
    broken.due = true
    await clock.advance(2000)
    await worker.idle()
    expect(clock.nextDue()).toBe(T0 + 7000)
    broken.due = false
    broken.markFailed = true
    ops.failNext({ ok: false, retryable: true, error: 'receiver answered 503' })
    await clock.advance(4000)
    await worker.idle()
    // seq-0 is marked without being sent again; seq-1 failed and that could not be recorded.
    expect(seq(ops.sent)).toEqual(['seq-0'])
    expect(clock.nextDue()).toBe(T0 + 15_000)
    broken.markFailed = false
    await clock.advance(8000)
    await worker.idle()
    expect(seq(ops.sent)).toEqual(['seq-0', 'seq-1'])
    expect((await store.outbox.deliveries()).map((d) => d.status)).toEqual(['sent', 'sent'])
    expect(logs).toEqual(
      [1000, 2000, 4000, 8000].map((retryInMs) => ({
        msg: 'alert outbox unavailable',
        error: 'no space left on device',
        retryInMs,
      })),
    )
    // A round that works resets the backoff: the next one is at the poll interval.
    expect(clock.nextDue()).toBe(T0 + 75_000)
    await worker.stop()
  })
})
