import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createAlertEngine, defaultRules, type EvaluationContext } from '@noa/alerts'
import { createRecordingChannel } from '@noa/alerts/testing'
import { FakeClock, noopLogger } from '@noa/core'
import { createMemoryStore, type SampleInput, type Store } from '@noa/store'
import { createSqliteStore } from '@noa/store/sqlite'
import { afterEach, describe, expect, it } from 'vitest'
import type { AgentService } from '../config/schema.ts'
import { serviceSloSchema, sloDefaultsSchema } from '../config/slo.ts'
import { SLO_LATENCY_GOOD, SLO_LATENCY_TOTAL } from './latency-samples.ts'
import { budgetRemaining, burnRate, stepFor } from './math.ts'
import { createSloTracker } from './tracker.ts'

const NOW = Date.parse('2026-12-06T12:00:00.000Z')
const MIN = 60_000
const HOUR = 60 * MIN

/** A service as the config gives it, with only what the tracker reads. */
const service = (name: string, slo: unknown) =>
  ({ name, slo: slo === undefined ? undefined : serviceSloSchema.parse(slo) }) as AgentService

/**
 * `noa_service_up` of `name` every 6 s over the last `hours` before NOW (50 samples per 5
 * minutes); `down(t)` says which samples are 0.
 */
function upSamples(name: string, hours: number, down: (at: number) => boolean): SampleInput[] {
  const out: SampleInput[] = []
  for (let at = NOW - hours * HOUR; at < NOW; at += 6000)
    out.push({ name: 'noa_service_up', labels: { service: name }, value: down(at) ? 0 : 1, at })
  return out
}

/** One bad sample in every 5 minutes of the last hour: 2 % errors. */
const twoPercentLastHour = (at: number) => at >= NOW - HOUR && (at - NOW) % (5 * MIN) === 0

const stores: Array<{ store: Store; dir?: string }> = []
afterEach(async () => {
  for (const { store, dir } of stores.splice(0)) {
    await store.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  }
})

const backends = {
  memory: (clock: FakeClock) => {
    const store = createMemoryStore({ clock })
    stores.push({ store })
    return store
  },
  sqlite: async (clock: FakeClock) => {
    const dir = mkdtempSync(join(tmpdir(), 'noa-slo-'))
    const store = await createSqliteStore({ path: join(dir, 'noa.db'), clock })
    stores.push({ store, dir })
    return store
  },
}

async function tracked(store: Store, clock: FakeClock, services: AgentService[], holdRiskyHealing = false) {
  const tracker = createSloTracker({
    store,
    clock,
    logger: noopLogger,
    services,
    defaults: sloDefaultsSchema.parse({ holdRiskyHealing }),
  })
  await tracker.refresh()
  return tracker
}

describe('SLO math', () => {
  it('should burn 20x at 2 % errors against a 99.9 % objective, and leave a budget of 1 - the burn', () => {
    expect(burnRate(0.02, 99.9)).toBeCloseTo(20, 9)
    expect(budgetRemaining(0.0005, 99.9)).toBeCloseTo(0.5, 9)
    expect(budgetRemaining(0.002, 99.9)).toBeCloseTo(-1, 9)
  })

  it('should read each window in about twelve steps of whole minutes or hours', () => {
    expect(stepFor(5 * MIN)).toBe(MIN)
    expect(stepFor(HOUR)).toBe(5 * MIN)
    expect(stepFor(6 * HOUR)).toBe(30 * MIN)
    expect(stepFor(3 * 24 * HOUR)).toBe(6 * HOUR)
    expect(stepFor(30 * 24 * HOUR)).toBe(60 * HOUR)
  })
})

describe.each(Object.entries(backends))('SloTracker on the %s store', (_name, open) => {
  it('should compute burn rates per window and the budget left from noa_service_up', async () => {
    const clock = new FakeClock(NOW)
    const store = await open(clock)
    await store.samples.append(upSamples('api', 6, twoPercentLastHour))
    await store.samples.append(upSamples('web', 6, () => false))
    // Rolled up as the agent's maintenance does: the long windows read the 1-minute and 1-hour rollups.
    await store.maintain(NOW + HOUR)
    const tracker = await tracked(store, clock, [
      service('api', { availability: { objective: 99.9, windowDays: 30 } }),
      service('web', { availability: { objective: 99.9, windowDays: 30 } }),
      service('docs', undefined),
    ])
    const api = tracker.status('api')!
    const [availability] = api.slos
    expect(availability?.burnRates['1h']).toBeCloseTo(20, 3)
    expect(availability?.burnRates['5m']).toBeCloseTo(20, 3)
    expect(availability?.burnRates['30m']).toBeCloseTo(20, 3)
    // 2 % for 1 h out of the 6 h stored: 1/3 % errors.
    expect(availability?.burnRates['6h']).toBeCloseTo(20 / 6, 3)
    expect(availability?.budgetRemaining).toBeCloseTo(1 - 20 / 6, 3)
    expect(availability?.sli).toBeCloseTo(1 - 0.02 / 6, 5)
    expect(api.spent).toBe(true)
    expect(tracker.status('web')?.slos[0]?.budgetRemaining).toBe(1)
    expect(tracker.status('web')?.spent).toBe(false)
    expect(tracker.status('docs')).toBeUndefined()
    expect(tracker.list().map((s) => s.service)).toEqual(['api', 'web'])
    const facts = tracker.facts('api')!
    expect(facts.burnRates['1h']).toBeCloseTo(20, 3)
    expect(facts.annotations?.budget_left).toBeCloseTo(-233.3, 1)
    // The same object until something changes: the rules' fact reader keeps an unchanged service.
    expect(tracker.facts('api')).toBe(facts)
  })

  it('should read a window that had no data again after one interval, not after its own period', async () => {
    const clock = new FakeClock(NOW)
    const store = await open(clock)
    const tracker = await tracked(store, clock, [
      service('api', { availability: { objective: 99.9, windowDays: 30 } }),
    ])
    // A fresh start: nothing stored yet.
    expect(tracker.status('api')?.slos[0]?.budgetRemaining).toBeUndefined()
    await store.samples.append(upSamples('api', 1, () => false).map((s) => ({ ...s, at: s.at + 2 * MIN })))
    // One interval (60 s) later the 30-day window is read again, though its period is 15 min.
    await clock.advance(MIN)
    await tracker.refresh()
    expect(tracker.status('api')?.slos[0]?.budgetRemaining).toBe(1)
  })

  it('should compute the latency SLI from the rates of the requests under the threshold and of all', async () => {
    const clock = new FakeClock(NOW)
    const store = await open(clock)
    // 100 requests a minute, 5 of them slower than the threshold: 5 % slow.
    const samples: SampleInput[] = []
    for (let i = 0, at = NOW - HOUR; at < NOW; at += 10_000, i++) {
      const labels = { service: 'api' }
      samples.push({ name: SLO_LATENCY_TOTAL, labels, value: (i * 100) / 6, at })
      samples.push({ name: SLO_LATENCY_GOOD, labels, value: (i * 95) / 6, at })
    }
    await store.samples.append(samples)
    const tracker = await tracked(store, clock, [
      service('api', {
        latency: { objective: 99, thresholdMs: 300, metric: 'http_request_duration_seconds', windowDays: 30 },
      }),
    ])
    const [latency] = tracker.status('api')!.slos
    expect(latency?.slo).toBe('latency')
    expect(latency?.burnRates['1h']).toBeCloseTo(5, 2)
    expect(latency?.burnRates['5m']).toBeCloseTo(5, 2)
  })
})

describe('SloTracker and the default rules', () => {
  async function evaluate(down: (at: number) => boolean) {
    const clock = new FakeClock(NOW)
    const store = createMemoryStore({ clock })
    stores.push({ store })
    await store.samples.append(upSamples('api', 6, down))
    const tracker = await tracked(store, clock, [service('api', { availability: { objective: 99.9 } })])
    const ops = createRecordingChannel()
    const engine = createAlertEngine({
      rules: defaultRules(),
      outbox: store.outbox,
      alertLog: store.alerts,
      clock,
      groupWaitMs: 0,
      channels: { ops: { channel: ops } },
    })
    const ctx: EvaluationContext = {
      services: { api: { state: 'healthy', slo: tracker.facts('api')! } },
    }
    await engine.start()
    await engine.evaluate(ctx)
    await engine.worker.idle()
    await engine.stop()
    // The pages; the ticket (1x over 3 d and 6 h) is judged apart.
    const firing = engine.alerts().filter((a) => a.state === 'firing' && a.severity === 'critical')
    const tickets = engine.alerts().filter((a) => a.state === 'firing' && a.severity === 'warning')
    return { firing, tickets, ops }
  }

  it('should page when 1 h and 5 min both burn faster than 14.4x, saying the budget left', async () => {
    const { firing, tickets, ops } = await evaluate(twoPercentLastHour)
    expect(firing.map((a) => a.labels.alertname)).toEqual(['slo-burn-fast'])
    // 1/3 % over 6 h (and over the 3 days, as far as they are stored): the budget will not last.
    expect(tickets.map((a) => a.labels.alertname)).toEqual(['slo-burn-slow'])
    const alert = ops.sent
      .flatMap((s) => s.notification.alerts)
      .find((a) => a.labels.alertname === 'slo-burn-fast')
    expect(alert?.labels.severity).toBe('critical')
    expect(alert?.annotations.description).toContain('Burn rate 20x over 1 h and 20x over 5 min')
    expect(alert?.annotations.description).toContain(
      'Error budget left: -233.3 % (availability 99.9 % over 30 d)',
    )
  })

  it('should not page for a short spike that makes 5 min hot but not 1 h', async () => {
    // 5 of the last 50 samples down: 10 % over 5 min (100x), 5/600 over 1 h (8.3x).
    const { firing } = await evaluate((at) => at >= NOW - 30_000)
    expect(firing).toEqual([])
  })

  it('should not page for an old burn that has stopped (hot over 1 h, cold over 5 min)', async () => {
    // Down for 10 minutes, 40 minutes ago: 16.7 % over 1 h (167x), 0 over 5 min.
    const { firing } = await evaluate((at) => at >= NOW - 50 * MIN && at < NOW - 40 * MIN)
    expect(firing).toEqual([])
  })
})

describe('SloTracker.holdsRisky', () => {
  it('should hold only while the budget is spent and holding is on; a held healing is a fact until it recovers', async () => {
    const clock = new FakeClock(NOW)
    const store = createMemoryStore({ clock })
    stores.push({ store })
    await store.samples.append(upSamples('api', 6, twoPercentLastHour))
    await store.samples.append(upSamples('web', 6, () => false))
    const tracker = await tracked(
      store,
      clock,
      [
        service('api', { availability: { objective: 99.9 } }),
        service('web', { availability: { objective: 99.9 } }),
        service('free', { availability: { objective: 99.9 }, holdRiskyHealing: false }),
      ],
      true,
    )
    expect(tracker.holdsRisky('api')).toBe(true)
    expect(tracker.holdsRisky('web')).toBe(false)
    expect(tracker.holdsRisky('free')).toBe(false)
    tracker.noteHeld('api', 'deployment-failure', NOW)
    expect(tracker.facts('api')?.heldTrigger).toBe('deployment-failure')
    expect(tracker.status('api')?.held).toEqual({ trigger: 'deployment-failure', at: NOW })
    // Seven healthy hours later the 6-hour windows are clean, but the 30-day budget is still spent.
    await clock.advance(7 * HOUR)
    await store.samples.append(
      Array.from({ length: 7 * 600 }, (_, i) => ({
        name: 'noa_service_up',
        labels: { service: 'api' },
        value: 1,
        at: NOW + i * 6000,
      })),
    )
    await tracker.refresh()
    expect(tracker.status('api')?.slos[0]?.burnRates['1h']).toBe(0)
    expect(tracker.holdsRisky('api')).toBe(true)
  })
})

describe('SloTracker at fleet size', () => {
  it('should read a large fleet with one query per window and leave out the services without an SLO', async () => {
    const clock = new FakeClock(NOW)
    const store = createMemoryStore({ clock })
    stores.push({ store })
    const names = Array.from({ length: 150 }, (_, i) => `svc-${String(i).padStart(3, '0')}`)
    const samples: SampleInput[] = []
    for (const name of [...names, 'docs'])
      for (let at = NOW - HOUR; at < NOW; at += MIN)
        samples.push({
          name: 'noa_service_up',
          labels: { service: name },
          value: name === 'svc-007' ? 0 : 1,
          at,
        })
    await store.samples.append(samples)
    let queries = 0
    const counted = {
      samples: {
        ...store.samples,
        range: (q: Parameters<Store['samples']['range']>[0]) => {
          queries++
          return store.samples.range(q)
        },
      },
    }
    const tracker = createSloTracker({
      store: counted,
      clock,
      logger: noopLogger,
      services: names.map((n) => service(n, { availability: { objective: 99 } })),
      defaults: sloDefaultsSchema.parse({}),
    })
    await tracker.refresh()
    // The last hour by the minute, 3 days by the hour, the 30-day window: one query each for all 150.
    expect(queries).toBe(3)
    expect(tracker.list()).toHaveLength(150)
    expect(tracker.status('svc-007')?.slos[0]?.burnRates['1h']).toBe(100)
    expect(tracker.status('svc-008')?.slos[0]?.burnRates['1h']).toBe(0)
    expect(tracker.status('docs')).toBeUndefined()
    // A minute later only the windows up to 1 h are read again.
    await clock.advance(MIN)
    await tracker.refresh()
    expect(queries).toBe(4)
  })
})
