import type { HealthState, LogFields, Silence } from '@noa/core'
import { FakeClock, isConfigError } from '@noa/core'
import { createMemoryStore } from '@noa/store'
import { describe, expect, it } from 'vitest'
import type { AlertEngineOptions } from './engine.ts'
import { createAlertEngine } from './engine.ts'
import type { AlertRuleOptions } from './rule.ts'
import { isSilenceStoreError } from './silence-sync.ts'
import { createMemorySilenceStore } from './testing/memory-silence-store.ts'
import { createRecordingChannel } from './testing/recording-channel.ts'

const T0 = Date.parse('2025-10-22T22:00:00.000Z')
const HOUR = 3_600_000
const RULE: AlertRuleOptions = { name: 'down', condition: 'health_check_failed', severity: 'critical' }
const api = (state: HealthState) => ({ services: { api: { state } } })
const forDown = (startsAt: number, endsAt: number) => ({
  matchers: [{ label: 'alertname', op: '=' as const, value: 'down' }],
  startsAt,
  endsAt,
  comment: 'planned maintenance',
  createdBy: 'ops@example.com',
})

/** Agents over one store and one silence store: restarted ones, or several at once. */
function fleet(extra: Partial<AlertEngineOptions> = {}) {
  const clock = new FakeClock(T0)
  const store = createMemoryStore({ clock })
  const silenceStore = createMemorySilenceStore()
  const errors: LogFields[] = []
  const agent = async (options: Partial<AlertEngineOptions> = {}) => {
    const ops = createRecordingChannel()
    const engine = createAlertEngine({
      rules: [RULE],
      outbox: store.outbox,
      alertLog: store.alerts,
      silenceStore,
      clock,
      groupWaitMs: 0,
      channels: { ops: { channel: ops } },
      logger: { debug() {}, info() {}, warn() {}, error: (msg, f) => errors.push({ msg, ...f }) },
      ...extra,
      ...options,
    })
    await engine.start()
    const run = async (ctx: Parameters<typeof engine.evaluate>[0]) => {
      const r = await engine.evaluate(ctx)
      await engine.worker.idle()
      return r
    }
    return { engine, ops, run }
  }
  return { clock, store, silenceStore, errors, agent }
}

describe('createSilenceSync', () => {
  it('should keep a 24 h silence across a restart, and notify again once it has ended', async () => {
    const f = fleet()
    const first = await f.agent()
    const silence = await first.engine.addSilence(forDown(T0, T0 + 24 * HOUR))
    expect(f.silenceStore.saved.get(silence.id)).toEqual(silence)
    await first.engine.stop()

    await f.clock.advance(HOUR)
    const second = await f.agent()
    expect(second.engine.silences()).toEqual([silence])
    expect((await second.run(api('error'))).active).toMatchObject([{ state: 'firing', muted: 'silenced' }])
    expect(second.ops.sent).toEqual([])
    await f.clock.advance(23 * HOUR - 1)
    await second.run(api('error'))
    expect(second.ops.sent).toEqual([])
    await f.clock.advance(1)
    const after = await second.run(api('error'))
    expect(after.active).toMatchObject([{ state: 'firing' }])
    expect(after.active[0]?.muted).toBeUndefined()
    expect(second.ops.sent.map((s) => s.notification.status)).toEqual(['firing'])
    expect(second.engine.silences()).toEqual([])
    await second.engine.stop()
  })

  it('should apply a silence added through another agent at its next read, at most every silenceRefreshMs', async () => {
    const f = fleet()
    const a = await f.agent()
    const b = await f.agent()
    const readsAtStart = f.silenceStore.reads
    const silence = await a.engine.addSilence(forDown(T0, T0 + HOUR))
    for (let i = 0; i < 5; i++) {
      await b.run(api('healthy'))
      await f.clock.advance(1000)
    }
    expect(f.silenceStore.reads).toBe(readsAtStart)
    expect(b.engine.silences()).toEqual([])
    await f.clock.advance(5000)
    // 10 s after the last read: this evaluation reads again, before it decides.
    expect((await b.run(api('error'))).active).toMatchObject([{ muted: 'silenced' }])
    expect(f.silenceStore.reads).toBe(readsAtStart + 1)
    expect(b.engine.silences()).toEqual([silence])
    expect(b.ops.sent).toEqual([])
    // Expired through agent b: a reads it at its next refresh and notifies.
    expect(await b.engine.expireSilence(silence.id)).toBe(true)
    await f.clock.advance(10_000)
    await a.run(api('error'))
    expect(a.ops.sent.map((s) => s.notification.status)).toEqual(['firing'])
    await Promise.all([a.engine.stop(), b.engine.stop()])
  })

  it('should expire a silence this agent has not read yet, and refuse an unknown one', async () => {
    const f = fleet()
    const a = await f.agent()
    const b = await f.agent()
    const silence = await b.engine.addSilence(forDown(T0 + HOUR, T0 + 2 * HOUR))
    expect(await a.engine.expireSilence(silence.id)).toBe(true)
    // A silence that had not started ends before it starts.
    expect(f.silenceStore.saved.get(silence.id)).toMatchObject({ startsAt: T0, endsAt: T0 })
    expect(await a.engine.expireSilence(silence.id)).toBe(false)
    expect(await a.engine.expireSilence('silence_nope')).toBe(false)
    await Promise.all([a.engine.stop(), b.engine.stop()])
  })

  it('should tell the caller when a silence cannot be saved, and change nothing', async () => {
    const f = fleet()
    const { engine } = await f.agent()
    const kept = await engine.addSilence(forDown(T0, T0 + HOUR))
    f.silenceStore.failWith = new Error('SQLITE_READONLY: attempt to write a readonly database')
    const adding = engine.addSilence(forDown(T0, T0 + HOUR))
    await expect(adding).rejects.toThrow(
      'cannot save the silence: the silence store failed: SQLITE_READONLY: attempt to write a readonly database',
    )
    expect(isSilenceStoreError(await adding.catch((e: unknown) => e))).toBe(true)
    const expiring = await engine.expireSilence(kept.id).catch((e: unknown) => e)
    expect(isSilenceStoreError(expiring)).toBe(true)
    expect((expiring as Error).message).toMatch(/^cannot expire the silence: /)
    expect(engine.silences()).toEqual([kept])
    // An invalid silence is a ConfigError whatever the store does.
    expect(isConfigError(await engine.addSilence(forDown(T0, T0)).catch((e: unknown) => e))).toBe(true)
    expect(engine.stats().silenceStoreFailures).toBe(2)
    await engine.stop()
  })

  it('should keep evaluating with the silences it has when the store fails or hangs', async () => {
    const f = fleet()
    const { engine, ops, run } = await f.agent()
    await engine.addSilence(forDown(T0, T0 + HOUR))
    f.silenceStore.failWith = new Error('connection terminated')
    await f.clock.advance(10_000)
    expect((await run(api('error'))).active).toMatchObject([{ muted: 'silenced' }])
    expect(f.errors).toEqual([{ msg: 'cannot read silences', error: 'connection terminated' }])
    expect(engine.stats().silenceStoreFailures).toBe(1)
    f.silenceStore.failWith = undefined
    // A store that does not answer holds an evaluation up 1 s at most.
    const silences = f.silenceStore.silences
    f.silenceStore.silences = () => new Promise(() => {})
    await f.clock.advance(10_000)
    let done = false
    const evaluating = run(api('error')).then(() => {
      done = true
    })
    await f.clock.advance(999)
    expect(done).toBe(false)
    await f.clock.advance(1)
    await evaluating
    expect(ops.sent).toEqual([])
    f.silenceStore.silences = silences
    await engine.stop()
  })

  it('should ignore an invalid silence from the store and apply the others', async () => {
    const f = fleet()
    const good: Silence = { id: 'silence_good', ...forDown(T0, T0 + HOUR) }
    await f.silenceStore.saveSilence({
      ...good,
      id: 'silence_bad',
      matchers: [{ label: 'x', op: '=~', value: '(' }],
    })
    await f.silenceStore.saveSilence(good)
    const { engine, run } = await f.agent()
    expect(engine.silences()).toEqual([good])
    expect((await run(api('error'))).active).toMatchObject([{ muted: 'silenced' }])
    expect(f.errors).toMatchObject([
      {
        msg: 'ignoring an invalid silence from the store',
        id: 'silence_bad',
        error: expect.stringContaining('invalid regular expression'),
      },
    ])
    await engine.stop()
  })

  it('should not undo a silence added while a read was in flight', async () => {
    const f = fleet()
    const { engine } = await f.agent()
    const silences = f.silenceStore.silences
    let answer: (() => void) | undefined
    f.silenceStore.silences = (q) =>
      new Promise((resolve) => {
        answer = () => resolve(silences(q))
      })
    await f.clock.advance(10_000)
    engine.silences() // starts a read in the background
    const added = await engine.addSilence(forDown(T0, T0 + HOUR))
    f.silenceStore.saved.clear() // the read answers what the store held before the write
    answer?.()
    await engine.evaluate({})
    expect(engine.silences()).toEqual([added])
    f.silenceStore.silences = silences
    await engine.stop()
  })

  it('should keep silences in memory without a store, and refuse a bad silenceRefreshMs', async () => {
    const f = fleet()
    const { engine, run } = await f.agent({ silenceStore: undefined })
    const silence = await engine.addSilence(forDown(T0, T0 + 60_000))
    expect((await run(api('error'))).active).toMatchObject([{ muted: 'silenced' }])
    expect(engine.silences()).toEqual([silence])
    await f.clock.advance(60_000)
    expect(engine.silences()).toEqual([])
    await engine.stop()
    expect(() => createAlertEngine({ outbox: f.store.outbox, silenceRefreshMs: -1 })).toThrow(
      'silenceRefreshMs: expected a whole number of ms >= 0; found -1',
    )
  })
})
