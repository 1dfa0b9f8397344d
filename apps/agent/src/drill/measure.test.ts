import type { HealingRecord } from '@noa/core'
import { describe, expect, it } from 'vitest'
import { type DrillEvent, type DrillObservation, measureDrill } from './measure.ts'

const T = 1_800_000_000_000

function healing(id: string, service: string, outcome: HealingRecord['outcome'], at: number): DrillEvent {
  return {
    type: 'healing',
    at,
    record: {
      id,
      service,
      trigger: 'process-exit',
      strategy: 'process-restart',
      startedAt: at,
      outcome,
      steps: [],
      dryRun: false,
    },
  }
}

const base: Omit<DrillObservation, 'events'> = {
  fault: 'crash',
  service: 'api',
  round: 0,
  faultAt: T,
  faulted: ['api'],
  scope: ['api', 'ui'],
  injections: 1,
}

describe('measureDrill', () => {
  it('should turn a crash healed by its supervisor into its times, one action and no false alert', () => {
    const events: DrillEvent[] = [
      // before the fault: not part of this drill
      { type: 'change', at: T - 5000, service: 'api', to: 'error' },
      {
        type: 'alert',
        at: T - 4000,
        fingerprint: 'old',
        rule: 'service-down',
        state: 'firing',
        service: 'db',
      },
      { type: 'change', at: T + 12, service: 'api', to: 'error' },
      healing('h1', 'api', 'running', T + 14),
      {
        type: 'alert',
        at: T + 30,
        fingerprint: 'f1',
        rule: 'service-down',
        state: 'pending',
        service: 'api',
      },
      { type: 'alert', at: T + 35, fingerprint: 'f1', rule: 'service-down', state: 'firing', service: 'api' },
      healing('h1', 'api', 'succeeded', T + 400),
      { type: 'change', at: T + 650, service: 'api', to: 'healthy' },
      {
        type: 'alert',
        at: T + 700,
        fingerprint: 'f1',
        rule: 'service-down',
        state: 'resolved',
        service: 'api',
      },
    ]
    expect(measureDrill({ ...base, events })).toEqual({
      fault: 'crash',
      service: 'api',
      outcome: 'healed',
      detectMs: 12,
      alertMs: 35,
      repairMs: 650,
      actions: ['api: process-restart (process-exit) succeeded'],
      doubleActions: 0,
      falseAlerts: 0,
      round: 0,
    })
  })

  it('should count a second healing of the one fault, skipped ones aside, and alerts outside the scope', () => {
    const events: DrillEvent[] = [
      { type: 'change', at: T + 100, service: 'api', to: 'unhealthy' },
      healing('h1', 'api', 'succeeded', T + 200),
      healing('h2', 'api', 'skipped', T + 210),
      healing('h3', 'ui', 'failed', T + 220),
      healing('h4', 'db', 'succeeded', T + 230),
      { type: 'alert', at: T + 300, fingerprint: 'x', rule: 'service-down', state: 'firing', service: 'db' },
      { type: 'alert', at: T + 310, fingerprint: 'x', rule: 'service-down', state: 'firing', service: 'db' },
      { type: 'alert', at: T + 320, fingerprint: 'y', rule: 'cpu-overload', state: 'firing' },
      { type: 'change', at: T + 900, service: 'api', to: 'healthy' },
    ]
    const result = measureDrill({ ...base, events })
    expect(result.actions).toHaveLength(2)
    expect(result.doubleActions).toBe(1)
    expect(result.falseAlerts).toBe(1)
    expect(result.alertMs).toBeNull()
    expect(result.outcome).toBe('healed')
  })

  it('should call a drill escalated when noa asked a person and the service stayed down', () => {
    const events: DrillEvent[] = [
      { type: 'change', at: T + 100, service: 'api', to: 'error' },
      { type: 'escalation', at: T + 5000, service: 'api', kind: 'budget-spent' },
    ]
    const result = measureDrill({ ...base, events, gaveUp: 'waited 60 s' })
    expect(result).toMatchObject({ outcome: 'escalated', detectMs: 100, repairMs: null })
    expect(result.detail).toBe('noa escalated to a person (api budget-spent)')
  })

  it('should fail a drill whose fault was never seen, and one never repaired, saying which', () => {
    expect(measureDrill({ ...base, events: [], gaveUp: 'waited 60 s' })).toMatchObject({
      outcome: 'failed',
      detectMs: null,
      detail: 'the fault was not detected (waited 60 s)',
    })
    const down: DrillEvent[] = [{ type: 'change', at: T + 10, service: 'api', to: 'error' }]
    expect(measureDrill({ ...base, events: down, gaveUp: 'waited 60 s' })).toMatchObject({
      outcome: 'failed',
      detectMs: 10,
      repairMs: null,
      detail: 'not healthy again (waited 60 s)',
    })
  })

  it('should allow one action per injection of a crash loop', () => {
    const events: DrillEvent[] = [
      { type: 'change', at: T + 10, service: 'api', to: 'error' },
      healing('a', 'api', 'succeeded', T + 20),
      healing('b', 'api', 'succeeded', T + 1020),
      healing('c', 'api', 'succeeded', T + 2020),
      { type: 'change', at: T + 2500, service: 'api', to: 'healthy' },
    ]
    expect(measureDrill({ ...base, fault: 'flapping', injections: 3, events }).doubleActions).toBe(0)
    expect(measureDrill({ ...base, fault: 'flapping', injections: 2, events }).doubleActions).toBe(1)
  })

  it('should list the degradation of a spent restart budget as an action but not as a second repair', () => {
    const degrade: DrillEvent = {
      type: 'healing',
      at: T + 2030,
      record: {
        ...(healing('d', 'api', 'succeeded', T + 2030) as Extract<DrillEvent, { type: 'healing' }>).record,
        trigger: 'max-restarts',
        strategy: 'graceful-degradation',
      },
    }
    const events: DrillEvent[] = [
      { type: 'change', at: T + 10, service: 'api', to: 'error' },
      healing('a', 'api', 'succeeded', T + 20),
      healing('b', 'api', 'succeeded', T + 1020),
      degrade,
      // the open circuit's retry, the third crash's own restart
      healing('c', 'api', 'succeeded', T + 12_000),
      { type: 'change', at: T + 12_500, service: 'api', to: 'healthy' },
    ]
    const result = measureDrill({ ...base, fault: 'flapping', injections: 3, events })
    expect(result.actions).toContain('api: graceful-degradation (max-restarts) succeeded')
    expect(result.actions).toHaveLength(4)
    expect(result.doubleActions).toBe(0)
  })
})

describe('measureDrill of a memory growth, which changes no health state', () => {
  const memory = { ...base, fault: 'memory' as const }
  const restart = (outcome: HealingRecord['outcome'], at: number, endedAt?: number): DrillEvent => ({
    type: 'healing',
    at,
    record: {
      ...(healing('g', 'api', outcome, at) as Extract<DrillEvent, { type: 'healing' }>).record,
      trigger: 'memory-leak',
      strategy: 'graceful-restart',
      ...(endedAt ? { endedAt } : {}),
    },
  })
  const alert = (state: string, at: number): DrillEvent => ({
    type: 'alert',
    at,
    fingerprint: 'mem',
    rule: 'memory-growth',
    state,
    service: 'api',
  })

  it('should be seen at its first firing alert and repaired once it resolved after the restart', () => {
    const events: DrillEvent[] = [
      alert('pending', T + 2000),
      alert('firing', T + 3000),
      restart('running', T + 3010),
      // the graceful restart: the old process stops, the new one answers
      { type: 'change', at: T + 3200, service: 'api', to: 'error' },
      { type: 'change', at: T + 3900, service: 'api', to: 'healthy' },
      restart('succeeded', T + 3010, T + 4000),
      alert('resolved', T + 4600),
    ]
    expect(measureDrill({ ...memory, events })).toEqual({
      fault: 'memory',
      service: 'api',
      outcome: 'healed',
      detectMs: 3000,
      alertMs: 3000,
      repairMs: 4600,
      actions: ['api: graceful-restart (memory-leak) succeeded'],
      doubleActions: 0,
      falseAlerts: 0,
      round: 0,
    })
  })

  it('should be repaired at the last of the resolution, the healing end and the service healthy again', () => {
    const events: DrillEvent[] = [
      restart('running', T + 2500),
      alert('firing', T + 3000),
      alert('resolved', T + 3500),
      { type: 'change', at: T + 3600, service: 'api', to: 'error' },
      restart('succeeded', T + 2500, T + 4000),
      { type: 'change', at: T + 5000, service: 'api', to: 'healthy' },
    ]
    // a healing that acts before the alert is announced is what shows it first
    expect(measureDrill({ ...memory, events })).toMatchObject({
      outcome: 'healed',
      detectMs: 2500,
      alertMs: 3000,
      repairMs: 5000,
    })
  })

  it('should fail a growth never alerted, and one whose alert never resolved or fired again, saying which', () => {
    // a down state is no sign of a memory growth
    const down: DrillEvent[] = [{ type: 'change', at: T + 10, service: 'api', to: 'error' }]
    expect(measureDrill({ ...memory, events: down, gaveUp: 'waited 60 s' })).toMatchObject({
      outcome: 'failed',
      detectMs: null,
      detail: 'the fault was not detected (waited 60 s)',
    })
    const stuck: DrillEvent[] = [alert('firing', T + 3000), restart('failed', T + 3010, T + 3500)]
    expect(measureDrill({ ...memory, events: stuck, gaveUp: 'waited 60 s' })).toMatchObject({
      outcome: 'failed',
      detectMs: 3000,
      repairMs: null,
      detail: 'its alerts did not resolve with the service healthy (waited 60 s)',
    })
    const again: DrillEvent[] = [
      alert('firing', T + 3000),
      alert('resolved', T + 4000),
      alert('firing', T + 9000),
    ]
    expect(measureDrill({ ...memory, events: again }).outcome).toBe('failed')
  })
})

describe('measureDrill of a bad deploy, healed by a rollback behind an approval', () => {
  const deploy = { ...base, fault: 'bad-deploy' as const }
  const rollback = (outcome: HealingRecord['outcome'], endedAt?: number): DrillEvent => ({
    type: 'healing',
    at: T + 2010,
    record: {
      ...(healing('r', 'api', outcome, T + 2010) as Extract<DrillEvent, { type: 'healing' }>).record,
      trigger: 'deployment-failure',
      strategy: 'rollback',
      ...(endedAt ? { endedAt } : {}),
    },
  })
  const alert = (state: string, at: number): DrillEvent => ({
    type: 'alert',
    at,
    fingerprint: 'deploy',
    rule: 'bad-deploy',
    state,
    service: 'api',
  })
  const approval: DrillEvent = {
    type: 'approval',
    at: T + 2020,
    id: 'appr_1',
    service: 'api',
    action: 'rollback',
    status: 'pending',
  }

  it('should count the rollback, its approval wait included, as the one action, over once its alert resolved', () => {
    const events = [
      alert('firing', T + 2000),
      rollback('running'),
      approval,
      rollback('succeeded', T + 3000),
      alert('resolved', T + 3500),
    ]
    expect(measureDrill({ ...deploy, events })).toEqual({
      fault: 'bad-deploy',
      service: 'api',
      outcome: 'healed',
      detectMs: 2000,
      alertMs: 2000,
      repairMs: 3500,
      actions: ['api: rollback (deployment-failure) succeeded'],
      doubleActions: 0,
      falseAlerts: 0,
      round: 0,
    })
  })

  it('should be escalated, not failed, while the rollback still waits for a person', () => {
    const events = [alert('firing', T + 2000), rollback('running'), approval]
    expect(measureDrill({ ...deploy, events, gaveUp: 'waited 30 s' })).toMatchObject({
      outcome: 'escalated',
      repairMs: null,
      detail: 'noa escalated to a person (api rollback awaits approval)',
    })
  })

  it("should count a healing cut by its agent's death as an action only once a step acted", () => {
    const step = (name: string) => ({ name, startedAt: T + 20, endedAt: T + 30, ok: true })
    const cut = (id: string, steps: string[]): DrillEvent => {
      const event = healing(id, 'api', 'interrupted', T + 15) as Extract<DrillEvent, { type: 'healing' }>
      return { ...event, record: { ...event.record, steps: steps.map(step) } }
    }
    const events: DrillEvent[] = [
      { type: 'change', at: T + 12, service: 'api', to: 'error' },
      // the lease holder probed the service and died: no action
      cut('h1', ['check api']),
      healing('h2', 'api', 'succeeded', T + 3000),
      { type: 'change', at: T + 3500, service: 'api', to: 'healthy' },
    ]
    const result = measureDrill({ ...base, fault: 'leader-kill', events })
    expect(result.actions).toEqual(['api: process-restart (process-exit) succeeded'])
    expect(result.doubleActions).toBe(0)
    // a holder that restarted before it died acted: a second restart is a double action
    const twice = measureDrill({
      ...base,
      fault: 'leader-kill',
      events: [...events.slice(0, 1), cut('h1', ['check api', 'restart']), ...events.slice(2)],
    })
    expect(twice.actions).toHaveLength(2)
    expect(twice.doubleActions).toBe(1)
  })
})
