import type { Delivery, LogFields, NewDelivery } from '@noa/core'
import { FakeClock } from '@noa/core'
import { createMemoryStore } from '@noa/store'
import { afterEach, describe, expect, it } from 'vitest'
import type { Channel, SendResult } from './channel.ts'
import type { AlertEngineEvents, AlertEngineOptions } from './engine.ts'
import { createAlertEngine } from './engine.ts'
import type { AlertRuleOptions } from './rule.ts'
import type { Receiver } from './testing/receiver.ts'
import { startReceiver } from './testing/receiver.ts'
import { createRecordingChannel } from './testing/recording-channel.ts'

const T0 = Date.parse('2025-10-22T22:00:00.000Z')
const SECRET_PATH = '/hook/T0KEN-9f8e7d6c5b4a'
const RULE: AlertRuleOptions = { name: 'down', condition: 'health_check_failed', severity: 'critical' }
const down = { services: { api: { state: 'error' as const } } }
const up = { services: { api: { state: 'healthy' as const } } }

function enospc(): Error {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })
}

describe('createDispatcher', () => {
  let receiver: Receiver | undefined
  afterEach(async () => {
    await receiver?.close()
    receiver = undefined
  })

  /** An engine with a console and a real webhook, over an outbox whose writes can be made to fail. */
  async function setup(extra: Partial<AlertEngineOptions> = {}) {
    receiver ??= await startReceiver(200)
    const clock = new FakeClock(T0)
    const store = createMemoryStore({ clock })
    const broken: { enqueue?: Error } = {}
    const outbox = {
      ...store.outbox,
      enqueue: (items: readonly NewDelivery[]) =>
        broken.enqueue ? Promise.reject(broken.enqueue) : store.outbox.enqueue(items),
    }
    const lines: string[] = []
    const logs: LogFields[] = []
    const log = (msg: string, f?: LogFields) => logs.push({ msg, ...f })
    const attempts: Array<{ delivery: Delivery; result: SendResult }> = []
    const events: Array<{ event: keyof AlertEngineEvents; payload: unknown }> = []
    const engine = createAlertEngine({
      rules: [RULE],
      outbox,
      clock,
      groupWaitMs: 0,
      write: (line) => lines.push(line),
      logger: { debug: log, info: log, warn: log, error: log },
      channels: {
        console: { type: 'console' },
        hook: { type: 'webhook', url: `${receiver.url}${SECRET_PATH}`, secret: 'hmac-signing-secret' },
      },
      delivery: { onAttempt: (delivery, result) => attempts.push({ delivery, result }) },
      ...extra,
    })
    for (const event of ['outbox-failed', 'outbox-recovered', 'notification'] as const)
      engine.on(event, (payload) => events.push({ event, payload }))
    await engine.start()
    return { clock, store, broken, engine, lines, logs, attempts, events, receiver }
  }

  it('should still notify when the outbox cannot be written: console at once, webhook directly, host told', async () => {
    const t = await setup()
    t.broken.enqueue = enospc()
    await t.engine.evaluate(down)
    // The console line is written during the evaluation, before any send or write.
    expect(t.lines).toEqual(['2025-10-22T22:00:00.000Z [ALERT] FIRING critical down (api)'])
    await t.engine.flush()
    expect(t.receiver.accepted).toHaveLength(1)
    const body = JSON.parse(t.receiver.accepted[0]?.body ?? '')
    expect(body).toMatchObject({
      status: 'firing',
      receiver: 'hook',
      alerts: [{ labels: { service: 'api' } }],
    })
    expect(t.receiver.accepted[0]?.headers['x-noa-signature']).toMatch(/^sha256=[0-9a-f]{64}$/)
    expect(t.attempts).toMatchObject([
      { delivery: { channel: 'hook', status: 'sent', attempts: 1, sentAt: T0 }, result: { ok: true } },
    ])
    expect(t.events.filter((e) => e.event !== 'notification')).toEqual([
      { event: 'outbox-failed', payload: { error: 'ENOSPC: no space left on device, write', at: T0 } },
    ])
    expect(t.events.filter((e) => e.event === 'notification')).toHaveLength(2)
    expect(t.engine.stats()).toMatchObject({
      outboxAvailable: false,
      outboxFailures: 1,
      lastOutboxError: 'ENOSPC: no space left on device, write',
      direct: { sent: 1, failed: 0, dropped: 0 },
    })
    expect(await t.store.outbox.deliveries()).toEqual([])

    // The disk has room again: the next notification goes through the outbox, and the host hears of it.
    t.broken.enqueue = undefined
    await t.clock.advance(30_000)
    await t.engine.evaluate(up)
    await t.engine.worker.idle()
    expect(t.receiver.accepted.map((r) => JSON.parse(r.body).status)).toEqual(['firing', 'resolved'])
    expect(t.lines).toHaveLength(2)
    expect(t.events.filter((e) => e.event !== 'notification')).toEqual([
      { event: 'outbox-failed', payload: { error: 'ENOSPC: no space left on device, write', at: T0 } },
      { event: 'outbox-recovered', payload: { at: T0 + 30_000, failedSince: T0 } },
    ])
    expect((await t.store.outbox.deliveries()).map((d) => [d.channel, d.status])).toEqual([['hook', 'sent']])
    expect(t.engine.stats().outboxAvailable).toBe(true)
    expect(JSON.stringify(t.logs)).not.toContain('T0KEN')
    await t.engine.stop()
  })

  it('should send a notification directly once, reported like a failed attempt, when the receiver fails', async () => {
    const t = await setup()
    t.receiver.mode = 503
    t.broken.enqueue = enospc()
    await t.engine.evaluate(down)
    await t.engine.flush()
    await t.clock.advance(120_000)
    await t.engine.flush()
    expect(t.receiver.requests).toHaveLength(1)
    expect(t.attempts).toMatchObject([
      {
        delivery: { channel: 'hook', status: 'failed', attempts: 1, lastError: 'receiver answered 503' },
        result: { ok: false, retryable: true, error: 'receiver answered 503' },
      },
    ])
    expect(t.logs).toContainEqual({
      msg: 'direct alert delivery failed',
      channel: 'hook',
      error: 'receiver answered 503',
    })
    // Told once while it keeps failing.
    await t.engine.evaluate(up)
    await t.engine.flush()
    expect(t.events.filter((e) => e.event === 'outbox-failed')).toHaveLength(1)
    expect(t.engine.stats()).toMatchObject({ outboxFailures: 2, direct: { sent: 0, failed: 2 } })
    await t.engine.stop()
  })

  it('should write the console line at flush time and never put it in the outbox', async () => {
    const t = await setup({ groupWaitMs: 5000 })
    await t.engine.evaluate(down)
    expect(t.lines).toEqual([])
    await t.clock.advance(5000)
    await t.engine.flush()
    expect(t.lines).toHaveLength(1)
    await t.engine.worker.idle()
    expect((await t.store.outbox.deliveries()).map((d) => d.channel)).toEqual(['hook'])
    expect(t.receiver.accepted).toHaveLength(1)
    await t.engine.stop()
  })

  it('should send at most four notifications directly at once while the outbox fails', async () => {
    let running = 0
    let most = 0
    const release: Array<() => void> = []
    const slow: Channel = {
      type: 'slow',
      send: () => {
        most = Math.max(most, ++running)
        return new Promise<SendResult>((resolve) =>
          release.push(() => {
            running--
            resolve({ ok: true })
          }),
        )
      },
    }
    const channels = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`slow${i}`, { channel: slow }]))
    const t = await setup({ channels })
    t.broken.enqueue = enospc()
    await t.engine.evaluate(down)
    expect(running).toBe(4)
    while (release.length > 0) {
      for (const r of release.splice(0)) r()
      await new Promise((resolve) => setImmediate(resolve))
    }
    await t.engine.flush()
    expect(most).toBe(4)
    expect(t.engine.stats().direct).toEqual({ sent: 6, failed: 0, dropped: 0 })
    await t.engine.stop()
  })

  it('should go on with the other channels when a console-like direct channel fails', async () => {
    const flaky = { ...createRecordingChannel(), direct: true }
    flaky.failNext({ ok: false, retryable: false, error: 'stdout closed' })
    const t = await setup({
      channels: { flaky: { channel: flaky }, ops: { channel: createRecordingChannel() } },
    })
    await t.engine.evaluate(down)
    await t.engine.worker.idle()
    expect(t.logs).toContainEqual({
      msg: 'alert notification failed',
      channel: 'flaky',
      error: 'stdout closed',
    })
    expect((await t.store.outbox.deliveries()).map((d) => [d.channel, d.status])).toEqual([['ops', 'sent']])
    await t.engine.stop()
  })
})
