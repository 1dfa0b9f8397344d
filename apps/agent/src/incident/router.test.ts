import type { CheckResult, HealingRecord, HealingSkip, HealingTrigger, HealthState } from '@noa/core'
import { FakeClock, noopLogger } from '@noa/core'
import type { HealingEngine, ProcessExit } from '@noa/healing'
import type { HealthChange, HealthMonitor, ServiceStatus } from '@noa/health'
import { describe, expect, it } from 'vitest'
import { type Decision, EXIT_SETTLE_MS, IncidentRouter } from './router.ts'

/**
 * The router's policy alone: the health monitor and the healing engine are doubles that say
 * what a test sets and record what the router asks (the end-to-end tests in test/pipeline.test.ts
 * run the same policy with the real engines and real processes).
 */
function world(
  options: {
    enabled?: boolean
    owns?: (service: string) => boolean
    inMaintenance?: (service: string) => boolean
  } = {},
) {
  const clock = new FakeClock()
  const states = new Map<string, { state: HealthState; flapping?: boolean; blockedBy?: string[] }>()
  const executors = new Map<string, { type: string }>()
  const healed: Array<[HealingTrigger, string]> = []
  const reported: string[] = []
  const checked: string[] = []
  const noted: Array<[string, HealthState]> = []
  let skip: HealingSkip | undefined
  let outcome: HealingRecord['outcome'] = 'succeeded'
  const health = {
    running: true,
    services: [] as Array<{ name: string; interval: number }>,
    status: (service: string) =>
      ({
        service,
        state: states.get(service)?.state ?? 'unknown',
        flapping: states.get(service)?.flapping ?? false,
        blockedBy: states.get(service)?.blockedBy ?? [],
      }) as unknown as ServiceStatus,
    report: (service: string) => {
      reported.push(service)
      return {} as CheckResult
    },
    checkNow: async (service: string) => {
      checked.push(service)
      return { service, state: states.get(service)?.state ?? 'unknown' } as CheckResult
    },
  }
  const healing = {
    executor: (service: string) => executors.get(service),
    targets: (trigger: HealingTrigger) =>
      trigger === 'high-load' ? [...executors].filter(([, e]) => e.type === 'pm2').map(([n]) => n) : [],
    noteHealth: (service: string, state: HealthState) => void noted.push([service, state]),
    heal: async (trigger: HealingTrigger, service: string) => {
      healed.push([trigger, service])
      return { outcome: skip ? 'skipped' : outcome, ...(skip ? { skip } : {}) } as HealingRecord
    },
  }
  const decisions: Decision[] = []
  const router = new IncidentRouter({
    health: health as unknown as HealthMonitor,
    healing: healing as unknown as HealingEngine,
    enabled: options.enabled ?? true,
    verifyAfterMs: 5000,
    leaseRetryMs: 1000,
    clock,
    logger: noopLogger,
    decided: (d) => decisions.push(d),
    ...(options.owns ? { owns: options.owns } : {}),
    ...(options.inMaintenance ? { inMaintenance: options.inMaintenance } : {}),
  })
  const service = (name: string, executor = 'command', interval = 1000) => {
    executors.set(name, { type: executor })
    health.services.push({ name, interval })
    states.set(name, { state: 'healthy' })
  }
  const set = (name: string, state: HealthState, extra: { flapping?: boolean; blockedBy?: string[] } = {}) =>
    states.set(name, { state, ...extra })
  const change = (name: string, from: HealthState, to: HealthState): HealthChange => {
    const { flapping, blockedBy } = states.get(name) ?? {}
    set(name, to, { ...(flapping ? { flapping } : {}), ...(blockedBy ? { blockedBy } : {}) })
    return {
      service: name,
      from,
      to,
      at: clock.now(),
      result: {} as CheckResult,
      critical: true,
      blockedBy: [],
    }
  }
  const said = () => decisions.map((d) => `${d.event}:${d.service}:${d.heal ? 'heal' : d.reason}`)
  const flush = () => new Promise((r) => setTimeout(r, 0))
  return {
    clock,
    router,
    service,
    set,
    change,
    said,
    flush,
    healed,
    reported,
    checked,
    noted,
    executors,
    skipWith: (s: HealingSkip | undefined) => {
      skip = s
    },
    endWith: (o: HealingRecord['outcome']) => {
      outcome = o
    },
  }
}

const exit = (service: string): ProcessExit => ({
  service,
  pid: 1,
  code: null,
  signal: 'SIGKILL',
  at: 0,
  uptimeMs: 5000,
  crashes: 1,
  delayMs: 0,
})

describe('IncidentRouter', () => {
  it('should heal nothing of a service in maintenance, and heal what is still down once the window ends', async () => {
    const inMaintenance = new Set(['api', 'worker'])
    const w = world({ inMaintenance: (s) => inMaintenance.has(s) })
    w.service('api')
    w.service('worker', 'local')
    w.service('web')
    w.router.stateChanged(w.change('api', 'healthy', 'error'))
    w.router.processExited(exit('worker'))
    w.router.ruleFired('high-error-rate', 'web')
    w.router.ruleFired('memory-leak', 'api')
    await w.flush()
    expect(w.said()).toEqual([
      'state-change:api:maintenance',
      'process-exit:worker:maintenance',
      'rule:web:heal',
      'rule:api:same-incident',
    ])
    // the exit is still reported to the checks: they run and record during maintenance
    await w.clock.advance(0)
    expect(w.reported).toEqual(['worker'])
    expect(w.healed).toEqual([['high-error-rate', 'web']])
    inMaintenance.clear()
    w.set('worker', 'error')
    expect(w.router.maintenanceEnded('api')).toMatchObject({ event: 'maintenance-ended', heal: true })
    expect(w.router.maintenanceEnded('worker')).toMatchObject({ event: 'maintenance-ended', heal: true })
    expect(w.router.maintenanceEnded('web')).toBeUndefined()
    await w.flush()
    expect(w.healed).toEqual([
      ['high-error-rate', 'web'],
      ['service-down', 'api'],
      ['service-down', 'worker'],
    ])
    // a service that recovered during its window has nothing to heal at its end
    inMaintenance.add('api')
    w.router.stateChanged(w.change('api', 'error', 'healthy'))
    inMaintenance.clear()
    expect(w.router.maintenanceEnded('api')).toBeUndefined()
  })

  it('should start one healing per incident, and a new one for the next incident', () => {
    const w = world()
    w.service('api')
    w.router.stateChanged(w.change('api', 'healthy', 'error'))
    w.router.stateChanged(w.change('api', 'error', 'unhealthy'))
    w.router.ruleFired('service-down', 'api')
    expect(w.said()).toEqual([
      'state-change:api:heal',
      'state-change:api:same-incident',
      'rule:api:same-incident',
    ])
    w.router.stateChanged(w.change('api', 'unhealthy', 'healthy'))
    w.router.stateChanged(w.change('api', 'healthy', 'error'))
    expect(w.healed).toEqual([
      ['service-down', 'api'],
      ['service-down', 'api'],
    ])
    expect(w.noted.map(([, s]) => s)).toEqual(['error', 'unhealthy', 'healthy', 'error'])
  })

  it('should say why it does not heal: healing off, nothing to act through, flapping', () => {
    const off = world({ enabled: false })
    off.service('api')
    off.router.stateChanged(off.change('api', 'healthy', 'error'))
    const w = world()
    w.service('api')
    w.executors.delete('api')
    w.router.stateChanged(w.change('api', 'healthy', 'error'))
    w.service('web')
    w.set('web', 'healthy', { flapping: true })
    w.router.stateChanged(w.change('web', 'healthy', 'error'))
    expect([...off.said(), ...w.said()]).toEqual([
      'state-change:api:healing-off',
      'state-change:api:no-executor',
      'state-change:web:flapping',
    ])
    expect([...off.healed, ...w.healed]).toEqual([])
  })

  it('should heal an incident held back while the service flapped once it stops flapping still down', () => {
    const w = world()
    w.service('web')
    w.set('web', 'healthy', { flapping: true })
    w.router.stateChanged(w.change('web', 'healthy', 'error'))
    // still flapping, still down: nothing reopens the incident
    w.router.stateChanged(w.change('web', 'error', 'unhealthy'))
    w.set('web', 'unhealthy')
    w.router.flappingStopped('web')
    w.router.flappingStopped('web')
    expect(w.said()).toEqual([
      'state-change:web:flapping',
      'state-change:web:same-incident',
      'flapping-stopped:web:heal',
    ])
    expect(w.healed).toEqual([['service-down', 'web']])
    // one that stopped flapping healthy, or was never held, needs nothing
    w.service('api')
    w.set('api', 'healthy', { flapping: true })
    w.router.stateChanged(w.change('api', 'healthy', 'error'))
    w.set('api', 'healthy')
    expect(w.router.flappingStopped('api')).toBeUndefined()
    expect(w.router.flappingStopped('db')).toBeUndefined()
    expect(w.healed).toEqual([['service-down', 'web']])
  })

  it('should let the supervisor restart an exit, and judge a supervised down state only once an exit had time to arrive', async () => {
    const w = world()
    w.service('api', 'local')
    w.router.processExited(exit('api'))
    expect(w.reported).toEqual([])
    await w.clock.advance(0)
    w.router.stateChanged(w.change('api', 'healthy', 'error'))
    expect(w.reported).toEqual(['api'])
    expect(w.said()).toEqual(['process-exit:api:heal', 'state-change:api:supervisor-restarts'])
    // A check that saw the process gone a moment before its exit was reported: one action.
    w.service('web', 'local')
    w.router.stateChanged(w.change('web', 'healthy', 'error'))
    await w.clock.advance(EXIT_SETTLE_MS / 2)
    w.router.processExited(exit('web'))
    await w.clock.advance(EXIT_SETTLE_MS)
    // A hang: no exit comes, so it is restarted as a down service.
    w.service('db', 'local')
    w.router.stateChanged(w.change('db', 'healthy', 'error'))
    await w.clock.advance(EXIT_SETTLE_MS)
    expect(w.healed).toEqual([
      ['process-exit', 'api'],
      ['process-exit', 'web'],
      ['service-down', 'db'],
    ])
  })

  it('should check a restarted process soon, and restart it as a hang when it still does not answer', async () => {
    const w = world()
    w.service('api', 'local', 1000)
    w.set('api', 'error')
    w.router.processExited(exit('api'))
    await w.flush()
    await w.clock.advance(250)
    expect(w.checked).toEqual(['api'])
    // a slow start: checked again 500 ms later, then every second (its interval)
    await w.clock.advance(500)
    expect(w.checked).toHaveLength(2)
    await w.clock.advance(1000)
    expect(w.checked).toHaveLength(3)
    await w.clock.advance(10_000)
    await w.flush()
    // every second until the 10 s verification, which judges it hung
    expect(w.checked).toHaveLength(12)
    expect(w.said()).toEqual(['process-exit:api:heal', 'restart-unverified:api:heal'])
    expect(w.healed.at(-1)).toEqual(['service-down', 'api'])
  })

  it('should stop checking a restarted process once it answers', async () => {
    const w = world()
    w.service('api', 'local', 1000)
    w.set('api', 'error')
    w.router.processExited(exit('api'))
    await w.flush()
    await w.clock.advance(750)
    expect(w.checked).toHaveLength(2)
    w.router.stateChanged(w.change('api', 'error', 'healthy'))
    await w.clock.advance(20_000)
    expect(w.checked).toHaveLength(2)
    expect(w.said()).toEqual(['process-exit:api:heal'])
  })

  it("should end an exit's incident once the restarted process answers, even when its state is held while it flaps", async () => {
    const w = world()
    w.service('api', 'local', 1000)
    // the last kill of a crash loop: the service flaps, its state is held at healthy, no change comes
    w.set('api', 'healthy', { flapping: true })
    w.router.processExited(exit('api'))
    await w.flush()
    // the first check answers: the incident is over, and so are the checks
    await w.clock.advance(10_250)
    await w.flush()
    expect(w.checked).toEqual(['api'])
    // it stopped flapping; then it hangs: a new incident, healed, not taken for the old exit
    w.set('api', 'healthy')
    w.router.stateChanged(w.change('api', 'healthy', 'error'))
    await w.clock.advance(EXIT_SETTLE_MS)
    expect(w.said()).toEqual(['process-exit:api:heal', 'state-change:api:heal'])
    expect(w.healed).toEqual([
      ['process-exit', 'api'],
      ['service-down', 'api'],
    ])
  })

  it('should heal a dependency first and its dependent only once the dependency is back and it is still down', () => {
    const w = world()
    w.service('db')
    w.service('api')
    w.set('db', 'error')
    w.router.stateChanged(w.change('db', 'healthy', 'error'))
    w.set('api', 'error', { blockedBy: ['db'] })
    w.router.stateChanged(w.change('api', 'healthy', 'error'))
    w.router.ruleFired('dependency-failure', 'api')
    w.set('api', 'error', { blockedBy: [] })
    w.router.stateChanged(w.change('db', 'error', 'healthy'))
    expect(w.said()).toEqual([
      'state-change:db:heal',
      'state-change:api:dependency-down',
      'rule:api:same-incident',
      'dependency-recovered:api:heal',
    ])
  })

  it('should leave a down service to the agent that checks it, and still heal what a rule asks of it', () => {
    const w = world({ owns: (service) => service !== 'api' })
    w.service('api')
    w.service('db')
    w.router.stateChanged(w.change('api', 'healthy', 'error'))
    w.router.stateChanged(w.change('db', 'healthy', 'error'))
    w.router.ruleFired('memory-leak', 'api')
    expect(w.said()).toEqual([
      'state-change:api:checked-elsewhere',
      'state-change:db:heal',
      'rule:api:same-incident',
    ])
    w.router.stateChanged(w.change('api', 'error', 'healthy'))
    w.router.ruleFired('memory-leak', 'api')
    expect(w.healed).toEqual([
      ['service-down', 'db'],
      ['memory-leak', 'api'],
    ])
  })

  it('should route a rule to its service, a fleet-wide one to the services that can, and say when none can', () => {
    const w = world()
    w.service('api')
    w.service('web', 'pm2')
    w.router.ruleFired('high-error-rate', 'api')
    w.router.ruleFired('high-load', undefined)
    w.executors.delete('web')
    w.router.ruleFired('high-load', undefined)
    expect(w.said()).toEqual(['rule:api:heal', 'rule:web:heal', 'rule:*:no-target'])
    expect(w.healed).toEqual([
      ['high-error-rate', 'api'],
      ['high-load', 'web'],
    ])
  })

  it('should try again a healing left to another agent while the incident lasts, and stop when told', async () => {
    const w = world()
    w.service('api')
    w.skipWith('lease-held')
    w.router.stateChanged(w.change('api', 'healthy', 'error'))
    await w.flush()
    await w.clock.advance(1000)
    await w.flush()
    expect(w.said()).toEqual(['state-change:api:heal', 'lease-retry:api:heal'])
    w.router.stop()
    await w.clock.advance(10_000)
    expect(w.healed).toHaveLength(2)
  })
})
