import type { HealingRecord, HealingTrigger } from '@noa/core'
import { FakeClock, noopLogger } from '@noa/core'
import type { HealingEngine } from '@noa/healing'
import type { HealthMonitor, ServiceStatus } from '@noa/health'
import { createMemoryStore, type SampleInput } from '@noa/store'
import { describe, expect, it } from 'vitest'
import type { AgentService } from '../config/schema.ts'
import { serviceSloSchema, sloDefaultsSchema } from '../config/slo.ts'
import { type Decision, IncidentRouter } from '../incident/router.ts'
import { riskyHold, strategyOf } from './hold.ts'
import { createSloTracker } from './tracker.ts'

const NOW = Date.parse('2026-12-06T12:00:00.000Z')
const HOUR = 3_600_000

/**
 * The router with the real SLO tracker and hold over a memory store: `api` was down 5 % of the
 * last hour (its 99.9 % budget is spent), `web` was up throughout. The health monitor and the
 * healing engine are doubles that record what the router asks.
 */
async function world(triggers: Record<string, string> = {}) {
  const clock = new FakeClock(NOW)
  const store = createMemoryStore({ clock })
  const samples: SampleInput[] = []
  for (let at = NOW - HOUR; at < NOW; at += 10_000)
    for (const service of ['api', 'web'])
      samples.push({
        name: 'noa_service_up',
        labels: { service },
        value: service === 'api' && at >= NOW - 3 * 60_000 ? 0 : 1,
        at,
      })
  await store.samples.append(samples)
  const slo = serviceSloSchema.parse({ availability: { objective: 99.9 }, holdRiskyHealing: true })
  const tracker = createSloTracker({
    store,
    clock,
    logger: noopLogger,
    services: ['api', 'web'].map((name) => ({ name, slo }) as AgentService),
    defaults: sloDefaultsSchema.parse({}),
  })
  await tracker.refresh()
  const healed: Array<[HealingTrigger, string]> = []
  const healing = {
    options: { triggers },
    executor: () => ({ type: 'kubernetes' }),
    targets: () => [],
    noteHealth: () => undefined,
    heal: async (trigger: HealingTrigger, service: string) => {
      healed.push([trigger, service])
      return { outcome: 'succeeded' } as HealingRecord
    },
  }
  const health = {
    running: true,
    services: [{ name: 'api', interval: 1000 }],
    status: (service: string) =>
      ({ service, state: 'unhealthy', flapping: false, blockedBy: [] }) as unknown as ServiceStatus,
  }
  const decisions: Decision[] = []
  const router = new IncidentRouter({
    health: health as unknown as HealthMonitor,
    healing: healing as unknown as HealingEngine,
    enabled: true,
    verifyAfterMs: 5000,
    leaseRetryMs: 1000,
    clock,
    logger: noopLogger,
    holds: riskyHold(healing as unknown as HealingEngine, tracker),
    decided: (d) => decisions.push(d),
  })
  const said = () => decisions.map((d) => `${d.trigger}:${d.service}:${d.heal ? 'heal' : d.reason}`)
  await store.close()
  return { router, tracker, healed, said }
}

describe('riskyHold', () => {
  it('should name the strategy of a trigger, the config first', () => {
    const healing = { options: { triggers: { 'service-down': 'rollback' } } } as unknown as HealingEngine
    expect(strategyOf(healing, 'deployment-failure')).toBe('rollback')
    expect(strategyOf(healing, 'high-load')).toBe('scale-up')
    expect(strategyOf(healing, 'service-down')).toBe('rollback')
    expect(strategyOf(healing, 'process-exit')).toBe('process-restart')
  })

  it('should hold a rollback and a scale-up of a service whose budget is spent, and run its restarts', async () => {
    const w = await world()
    expect(w.tracker.status('api')?.spent).toBe(true)
    w.router.ruleFired('deployment-failure', 'api')
    w.router.ruleFired('high-load', 'api')
    w.router.ruleFired('high-error-rate', 'api')
    w.router.ruleFired('service-down', 'api')
    expect(w.said()).toEqual([
      'deployment-failure:api:slo-budget-spent',
      'high-load:api:slo-budget-spent',
      'high-error-rate:api:heal',
      'service-down:api:heal',
    ])
    await new Promise((r) => setTimeout(r, 0))
    expect(w.healed).toEqual([
      ['high-error-rate', 'api'],
      ['service-down', 'api'],
    ])
  })

  it('should roll back a service whose budget is not spent', async () => {
    const w = await world()
    w.router.ruleFired('deployment-failure', 'web')
    expect(w.said()).toEqual(['deployment-failure:web:heal'])
  })

  it('should hold a service-down healing too when the config makes it a rollback', async () => {
    const w = await world({ 'service-down': 'rollback' })
    w.router.ruleFired('service-down', 'api')
    expect(w.said()).toEqual(['service-down:api:slo-budget-spent'])
  })
})
