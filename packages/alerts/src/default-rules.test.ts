import type { MetricSnapshot } from '@noa/core'
import { FakeClock } from '@noa/core'
import { createMemoryStore } from '@noa/store'
import { describe, expect, it } from 'vitest'
import type { EvaluationContext, ServiceHealth } from './context.ts'
import { defaultRules } from './default-rules.ts'
import { createAlertEngine } from './engine.ts'
import { createRecordingChannel } from './testing/recording-channel.ts'

const T0 = Date.parse('2026-12-06T08:00:00.000Z')

const snapshot = (cpu: number, mem = 40): MetricSnapshot => ({
  timestamp: new Date(T0).toISOString(),
  system: { cpu: { usage: { average: cpu } }, memory: { usagePercent: mem } },
  application: {},
  business: {},
  custom: {},
})

function setup() {
  const clock = new FakeClock(T0)
  const store = createMemoryStore({ clock })
  const ops = createRecordingChannel()
  const engine = createAlertEngine({
    outbox: store.outbox,
    alertLog: store.alerts,
    clock,
    groupWaitMs: 0,
    channels: { ops: { channel: ops } },
  })
  const sent = () =>
    ops.sent.flatMap((s) =>
      s.notification.alerts.map(
        (a) => `${a.status}:${a.labels.alertname}${a.labels.service ? `/${a.labels.service}` : ''}`,
      ),
    )
  const run = async (ctx: EvaluationContext) => {
    await engine.evaluate(ctx)
    await engine.worker.idle()
  }
  return { clock, engine, sent, run }
}

describe('defaultRules', () => {
  it('should name every rule once with the seed cooldowns and a `for` on the resource rules', () => {
    const rules = defaultRules()
    expect(rules.map((r) => [r.name, r.severity, r.for ?? 0, r.cooldown])).toEqual([
      ['high-error-rate', 'critical', 60_000, 300_000],
      ['service-down', 'critical', 0, 60_000],
      ['service-unhealthy', 'warning', 0, 60_000],
      ['service-flapping', 'warning', 0, 600_000],
      ['cpu-overload', 'critical', 120_000, 180_000],
      ['high-latency', 'warning', 120_000, 600_000],
      ['memory-pressure', 'warning', 300_000, 300_000],
      ['dependency-down', 'critical', 0, 60_000],
      ['scrape-limited', 'warning', 0, 3_600_000],
      ['store-unavailable', 'critical', 0, 300_000],
      ['store-recovered', 'warning', 0, 3_600_000],
      ['service-degraded', 'critical', 0, 300_000],
      ['slo-burn-fast', 'critical', 0, 300_000],
      ['slo-burn-medium', 'critical', 0, 1_800_000],
      ['slo-burn-slow', 'warning', 0, 21_600_000],
      ['slo-healing-held', 'critical', 0, 3_600_000],
    ])
  })

  it('should send nothing for a CPU spike shorter than 2 minutes, and fire for a longer one', async () => {
    const { clock, engine, sent, run } = setup()
    await engine.start()
    await run({ snapshot: snapshot(99) })
    await clock.advance(110_000)
    await run({ snapshot: snapshot(97) })
    await clock.advance(10_000)
    await run({ snapshot: snapshot(30) })
    expect(sent()).toEqual([])
    await run({ snapshot: snapshot(95) })
    await clock.advance(120_000)
    await run({ snapshot: snapshot(96) })
    expect(sent()).toEqual(['firing:cpu-overload'])
    await engine.stop()
  })

  it('should warn about a non-critical service that is down, and page for a critical one', async () => {
    const { engine, sent, run } = setup()
    await engine.start()
    await run({
      services: {
        docs: { state: 'error', critical: false },
        api: { state: 'unhealthy', critical: true },
        web: { state: 'healthy', critical: false },
      },
    })
    expect(sent()).toEqual(['firing:service-down/api', 'firing:service-unhealthy/docs'])
    await engine.stop()
  })

  it('should give a flapping service one alert marked flapping instead of a stream', async () => {
    const { clock, engine, sent, run } = setup()
    await engine.start()
    const api = (state: ServiceHealth['state'], flapping = false) => ({
      services: { api: { state, critical: true, flapping } },
    })
    await run(api('error'))
    await clock.advance(5_000)
    await run(api('healthy'))
    for (let i = 0; i < 10; i++) {
      await clock.advance(5_000)
      await run(api(i % 2 ? 'healthy' : 'error', true))
    }
    expect(sent()).toEqual([
      'firing:service-down/api',
      'resolved:service-down/api',
      'firing:service-flapping/api',
    ])
    await engine.stop()
  })

  it('should escalate what healing could not solve, in words a person can act on', async () => {
    const { engine, run } = setup()
    await engine.start()
    await run({
      services: {
        api: {
          state: 'error',
          critical: true,
          circuitOpen: true,
          escalation:
            'api was restarted 5 times within 3600000 ms (max 5); retrying with backoff, next in 10 s',
        },
        web: { state: 'error', critical: true, healingFailed: true },
      },
    })
    const degraded = engine.alerts().filter((a) => a.rule === 'service-degraded')
    expect(degraded.map((a) => [a.labels.service, a.annotations.description])).toEqual([
      [
        'api',
        'api was restarted 5 times within 3600000 ms (max 5); retrying with backoff, next in 10 s. A person is needed.',
      ],
      ['web', 'Healing failed or hit its limits. A person is needed.'],
    ])
    await engine.stop()
  })

  it("should alert about noa's own store from the host's facts, without metrics or health", async () => {
    const { engine, sent, run } = setup()
    await engine.start()
    await run({ agent: { storeUnavailable: false } })
    expect(sent()).toEqual([])
    await run({ agent: { storeUnavailable: true, storeRecovered: true } })
    expect(sent()).toEqual(['firing:store-unavailable', 'firing:store-recovered'])
    // A context without the host's facts leaves those alerts as they are.
    await run({ services: { api: { state: 'healthy' } } })
    await run({ agent: { storeUnavailable: false, storeRecovered: true } })
    expect(sent()).toEqual([
      'firing:store-unavailable',
      'firing:store-recovered',
      'resolved:store-unavailable',
    ])
    await engine.stop()
  })
  it('should page on an SLO only when the long and the short window both burn, and never without an SLO', async () => {
    const { engine, sent, run } = setup()
    await engine.start()
    const slo = (burnRates: Record<string, number>, budgetRemaining = 0.5) => ({
      state: 'healthy' as const,
      slo: { burnRates, budgetRemaining, annotations: { budget_left: budgetRemaining * 100 } },
    })
    await run({
      services: {
        // hot over 1 h and over 5 min: page
        api: slo({ '5m': 20, '1h': 15 }),
        // a spike: hot over 5 min only
        web: slo({ '5m': 100, '1h': 8 }),
        // a burn that stopped: hot over 1 h only
        docs: slo({ '5m': 0, '1h': 30 }),
        // 6x over 6 h and 30 min: page; 1x over 3 d and 6 h: ticket
        db: slo({ '30m': 7, '6h': 6.5, '3d': 2 }),
        // no SLO at all
        cache: { state: 'healthy' },
      },
    })
    expect(sent().sort()).toEqual([
      'firing:slo-burn-fast/api',
      'firing:slo-burn-medium/db',
      'firing:slo-burn-slow/db',
    ])
    await engine.stop()
  })
})
