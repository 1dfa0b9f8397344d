import type { HealthState, LogFields } from '@noa/core'
import { FakeClock } from '@noa/core'
import { createMemoryStore } from '@noa/store'
import { describe, expect, it } from 'vitest'
import type { Channel } from './channel.ts'
import type { AlertAction, AlertEngineOptions } from './engine.ts'
import { createAlertEngine, fingerprint } from './engine.ts'
import type { AlertRuleOptions } from './rule.ts'
import { createMemorySilenceStore } from './testing/memory-silence-store.ts'
import { createRecordingChannel } from './testing/recording-channel.ts'

const T0 = Date.parse('2025-10-22T22:00:00.000Z')
const MIN = 60_000
const DOWN_RULE: AlertRuleOptions = {
  name: 'down',
  condition: 'health_check_failed',
  severity: 'critical',
  actions: ['notify', { type: 'heal', trigger: 'service-down' }],
}
const FP = fingerprint({ alertname: 'down', severity: 'critical', service: 'api' })
const api = (state: HealthState) => ({ services: { api: { state } } })

/**
 * One agent's world across restarts: the store, the silence store and the receiver outlive
 * each engine; `boot()` builds a new engine over them, as a restarted agent does.
 */
function world(extra: Partial<AlertEngineOptions> = {}) {
  const clock = new FakeClock(T0)
  const store = createMemoryStore({ clock })
  const silenceStore = createMemorySilenceStore()
  const ops = createRecordingChannel()
  const actions: AlertAction[] = []
  const boot = async () => {
    const engine = createAlertEngine({
      rules: [DOWN_RULE],
      outbox: store.outbox,
      alertLog: store.alerts,
      silenceStore,
      clock,
      groupWaitMs: 0,
      channels: { ops: { channel: ops } },
      onAction: (a) => actions.push(a),
      ...extra,
    })
    await engine.start()
    const run = async (ctx: Parameters<typeof engine.evaluate>[0]) => {
      const r = await engine.evaluate(ctx)
      await engine.worker.idle()
      return r
    }
    return { engine, run }
  }
  const sent = () =>
    ops.sent.map((s) => s.notification.alerts.map((a) => `${a.status}:${a.labels.alertname}`).join(','))
  return { clock, store, silenceStore, ops, actions, boot, sent }
}

describe('restoreAlerts', () => {
  it('should send nothing new after a restart during an outage, and resolve it once when it ends', async () => {
    const w = world()
    const first = await w.boot()
    await first.run(api('error'))
    expect(w.sent()).toEqual(['firing:down'])
    await first.engine.stop()

    await w.clock.advance(30_000)
    const second = await w.boot()
    expect(second.engine.alerts()).toMatchObject([
      { fingerprint: FP, state: 'firing', activeAt: T0, firedAt: T0, notifiedAt: T0 },
    ])
    // Right after a start every service is `unknown`: no facts, so nothing resolves.
    expect((await second.run(api('unknown'))).changes).toEqual([])
    await w.clock.advance(10_000)
    expect((await second.run(api('error'))).changes).toEqual([])
    expect(w.sent()).toEqual(['firing:down'])
    expect(w.actions).toHaveLength(1)
    await w.clock.advance(10_000)
    const ended = await second.run(api('healthy'))
    expect(ended.changes).toMatchObject([{ state: 'resolved', resolvedAt: T0 + 50_000, notifiedAt: T0 }])
    await second.run(api('healthy'))
    await second.engine.stop()

    const third = await w.boot()
    expect(third.engine.alerts()).toEqual([])
    await third.run(api('healthy'))
    await third.engine.stop()
    expect(w.sent()).toEqual(['firing:down', 'resolved:down'])
    expect((await w.store.alerts.alertHistory(FP)).map((h) => h.state)).toEqual([
      'pending',
      'firing',
      'resolved',
    ])
  })

  it('should hand the alerts still firing and notified to a channel that keeps them alive, after a restart', async () => {
    const resumed: string[] = []
    const keeper: Channel = {
      type: 'keeper',
      send: async () => ({ ok: true }),
      resume: (alerts) => resumed.push(...alerts.map((a) => `${a.status}:${a.labels.service}:${a.startsAt}`)),
    }
    const w = world({ channels: { keeper: { channel: keeper } } })
    const first = await w.boot()
    await first.run(api('error'))
    expect(resumed).toEqual([])
    await first.engine.stop()
    await w.clock.advance(MIN)
    const second = await w.boot()
    expect(resumed).toEqual([`firing:api:${new Date(T0).toISOString()}`])
    await second.engine.stop()
  })

  it('should resolve an outage that ended while the agent was down exactly once', async () => {
    const w = world()
    const first = await w.boot()
    await first.run(api('error'))
    await first.engine.stop()
    await w.clock.advance(5 * MIN)
    const second = await w.boot()
    await second.run(api('unknown'))
    expect(w.sent()).toEqual(['firing:down'])
    await second.run(api('healthy'))
    await second.run(api('healthy'))
    await second.engine.stop()
    const third = await w.boot()
    await third.run(api('unknown'))
    await third.run(api('healthy'))
    await third.engine.stop()
    expect(w.sent()).toEqual(['firing:down', 'resolved:down'])
  })

  it("should keep a pending alert's `for` progress across a restart", async () => {
    const w = world({ rules: [{ ...DOWN_RULE, for: MIN }] })
    const first = await w.boot()
    expect((await first.run(api('error'))).changes.map((c) => c.state)).toEqual(['pending'])
    await first.engine.stop()
    await w.clock.advance(40_000)
    const second = await w.boot()
    expect(second.engine.alerts()).toMatchObject([{ state: 'pending', activeAt: T0 }])
    expect((await second.run(api('error'))).changes).toEqual([])
    await w.clock.advance(20_000)
    const fired = await second.run(api('error'))
    expect(fired.changes).toMatchObject([{ state: 'firing', activeAt: T0, firedAt: T0 + MIN }])
    expect(w.sent()).toEqual(['firing:down'])
    await second.engine.stop()
  })

  it('should keep the repeat interval and the cooldown running across a restart', async () => {
    const w = world({ repeatIntervalMs: 10 * MIN, rules: [{ ...DOWN_RULE, cooldown: 5 * MIN }] })
    const first = await w.boot()
    await first.run(api('error'))
    await w.clock.advance(10 * MIN)
    await first.run(api('error')) // the repeat, at T0 + 10 min
    expect(w.sent()).toEqual(['firing:down', 'firing:down'])
    expect((await w.store.alerts.alerts())[0]?.notifiedAt).toBe(T0 + 10 * MIN)
    await first.engine.stop()

    await w.clock.advance(5 * MIN)
    const second = await w.boot()
    await second.run(api('error'))
    expect(w.sent()).toHaveLength(2)
    await w.clock.advance(5 * MIN)
    await second.run(api('error')) // 10 min after the last one
    expect(w.sent()).toHaveLength(3)
    await w.clock.advance(MIN)
    await second.run(api('healthy'))
    await second.engine.stop()

    // Back two minutes later: inside the cooldown of the last notification, the re-fire waits.
    await w.clock.advance(MIN)
    const third = await w.boot()
    await third.run(api('error'))
    expect(w.sent()).toEqual(['firing:down', 'firing:down', 'firing:down', 'resolved:down'])
    await w.clock.advance(3 * MIN)
    await third.run(api('error'))
    expect(w.sent()).toHaveLength(5)
    await third.engine.stop()
  })

  it('should keep a restored global alert firing until a metrics round brings facts', async () => {
    const w = world({ rules: [{ name: 'cpu', condition: 'cpu_usage > 0.9', severity: 'critical' }] })
    const snapshot = (cpu: number) => ({
      timestamp: new Date(T0).toISOString(),
      system: { cpu: { usage: { average: cpu } } },
      application: {},
      business: {},
      custom: {},
    })
    const first = await w.boot()
    await first.run({ snapshot: snapshot(97) })
    await first.engine.stop()
    const second = await w.boot()
    // Health answers before the first metrics round: no snapshot yet, no samples scraped.
    expect((await second.run({ ...api('healthy'), samples: [] })).changes).toEqual([])
    expect(second.engine.alerts()).toMatchObject([{ rule: 'cpu', state: 'firing' }])
    await second.run({ snapshot: snapshot(20), samples: [] })
    expect(w.sent()).toEqual(['firing:cpu', 'resolved:cpu'])
    await second.engine.stop()
  })

  it('should announce after a restart a firing alert that was silenced, once its silence has ended', async () => {
    const w = world()
    const first = await w.boot()
    await first.engine.addSilence({
      matchers: [{ label: 'alertname', value: 'down' }],
      startsAt: T0,
      endsAt: T0 + 5 * MIN,
      comment: 'deploy',
    })
    expect((await first.run(api('error'))).active).toMatchObject([{ state: 'firing', muted: 'silenced' }])
    await first.engine.stop()
    await w.clock.advance(6 * MIN)
    const second = await w.boot()
    await second.run(api('error'))
    expect(w.sent()).toEqual(['firing:down'])
    expect(w.actions).toHaveLength(1)
    await second.run(api('error'))
    expect(w.sent()).toEqual(['firing:down'])
    await second.engine.stop()
  })

  it('should start, and count it, when the alert log cannot be read', async () => {
    const w = world()
    const errors: LogFields[] = []
    const engine = createAlertEngine({
      rules: [DOWN_RULE],
      outbox: w.store.outbox,
      alertLog: {
        ...w.store.alerts,
        alerts: () => Promise.reject(new Error('database disk image is malformed')),
      },
      clock: w.clock,
      groupWaitMs: 0,
      channels: { ops: { channel: w.ops } },
      logger: { debug() {}, info() {}, warn() {}, error: (msg, f) => errors.push({ msg, ...f }) },
    })
    await engine.start()
    expect(engine.stats().alertLogFailures).toBe(2)
    expect(errors).toEqual([
      { msg: 'cannot restore alerts', state: 'pending', error: 'database disk image is malformed' },
      { msg: 'cannot restore alerts', state: 'firing', error: 'database disk image is malformed' },
    ])
    await engine.evaluate(api('error'))
    await engine.worker.idle()
    expect(w.sent()).toEqual(['firing:down'])
    await engine.stop()
  })

  it('should leave out alerts whose rule is gone and not take a label `service` of a global rule for a service', async () => {
    const w = world({
      rules: [
        { name: 'cpu', condition: 'cpu_usage > 0.9', severity: 'warning', labels: { service: 'fleet' } },
      ],
    })
    const first = await w.boot()
    await first.engine.stop()
    const at = { activeAt: T0, firedAt: T0, notifiedAt: T0, updatedAt: T0, annotations: {} }
    await w.store.alerts.saveAlert({
      ...at,
      fingerprint: 'gone',
      rule: 'removed-rule',
      severity: 'critical',
      state: 'firing',
      labels: {},
    })
    const labels = { service: 'fleet', alertname: 'cpu', severity: 'warning' }
    await w.store.alerts.saveAlert({
      ...at,
      fingerprint: fingerprint(labels),
      rule: 'cpu',
      severity: 'warning',
      state: 'firing',
      labels,
    })
    const second = await w.boot()
    expect(second.engine.alerts().map((a) => a.rule)).toEqual(['cpu'])
    // Its label `service` does not make it a service's alert: the metrics decide, not `fleet`'s state.
    const snapshot = {
      timestamp: '',
      system: { cpu: { usage: { average: 10 } } },
      application: {},
      business: {},
      custom: {},
    }
    const r = await second.run({ snapshot, services: { fleet: { state: 'unknown' } } })
    expect(r.changes).toMatchObject([{ rule: 'cpu', state: 'resolved' }])
    await second.engine.stop()
  })
})

describe('absent data', () => {
  const ERRORS: AlertRuleOptions = {
    name: 'errors',
    condition: 'error_rate > 0.05',
    scope: 'service',
    severity: 'critical',
    actions: ['notify'],
  }
  const metrics = (errorRate?: number) => ({
    snapshot: {
      timestamp: '',
      system: {},
      application: {},
      business: {},
      custom: {},
      services: { api: errorRate === undefined ? {} : { requests: { errorRate } } },
    },
    services: { api: { state: 'unknown' as const } },
  })

  it("should evaluate a rule on a service's metrics alone while its health is still unknown", async () => {
    const w = world({ rules: [ERRORS] })
    const { run } = await w.boot()
    await run(metrics(0.2))
    expect(w.sent()).toEqual(['firing:errors'])
  })

  it('should keep a restored alert through a round without data, and resolve it once data is absent 5 minutes', async () => {
    const w = world({ rules: [ERRORS] })
    const first = await w.boot()
    await first.run(metrics(0.2))
    await first.engine.stop()
    await w.clock.advance(MIN)
    const second = await w.boot()
    // The first round after a start has no rates yet: neither yes nor no.
    expect((await second.run(metrics())).changes).toEqual([])
    await w.clock.advance(4 * MIN)
    expect((await second.run(metrics())).changes).toEqual([])
    expect(w.sent()).toEqual(['firing:errors'])
    await w.clock.advance(MIN)
    expect((await second.run(metrics())).changes.map((c) => c.state)).toEqual(['resolved'])
    expect(w.sent()).toEqual(['firing:errors', 'resolved:errors'])
  })
})
