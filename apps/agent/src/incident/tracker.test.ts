import type { AlertRecord, HealthState } from '@noa/core'
import { FakeClock, noopLogger } from '@noa/core'
import { createMemoryStore, type Store } from '@noa/store'
import { afterEach, describe, expect, it } from 'vitest'
import { ELIDED_REF } from './timeline.ts'
import { IncidentTracker, type IncidentTrackerOptions } from './tracker.ts'

const T0 = Date.parse('2026-12-01T10:00:00.000Z')

function alert(service: string, state: AlertRecord['state'], at: number, severity = 'critical'): AlertRecord {
  return {
    fingerprint: `fp-${service}`,
    rule: 'service-down',
    severity: severity as AlertRecord['severity'],
    state,
    labels: { alertname: 'service-down', service, severity },
    annotations: { summary: `${service} is down` },
    activeAt: at,
    updatedAt: at,
  }
}

const stores: Store[] = []
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close()
})

/** A tracker over a memory store with a fixed clock, the services' states and alerts set by the test. */
function setup(options: Partial<IncidentTrackerOptions> = {}, store = createMemoryStore()) {
  stores.push(store)
  const clock = new FakeClock(T0)
  const states = new Map<string, HealthState>()
  const checkedAt = new Map<string, number>()
  const firing = new Set<string>()
  const tracker = new IncidentTracker({
    store: store.incidents,
    clock,
    logger: noopLogger,
    service: (name) => ({
      state: states.get(name) ?? 'unknown',
      critical: name !== 'batch',
      ...(checkedAt.has(name) ? { checkedAt: checkedAt.get(name) } : {}),
    }),
    firing: (service) => firing.has(service),
    reopenWindowMs: 60_000,
    ...options,
  })
  const changes: string[] = []
  tracker.on('incident', (e) => changes.push(`${e.change}:${e.incident.service}`))
  /** The service goes to `to` now (the monitor's state follows, as it does before its event). */
  const change = (service: string, to: HealthState, message?: string) => {
    const from = states.get(service) ?? 'unknown'
    states.set(service, to)
    checkedAt.set(service, clock.now())
    tracker.stateChanged({ service, from, to, at: clock.now(), ...(message ? { result: { message } } : {}) })
  }
  const fire = (service: string, severity = 'critical') => {
    firing.add(service)
    tracker.alertChanged(alert(service, 'firing', clock.now(), severity))
  }
  const resolveAlert = (service: string) => {
    firing.delete(service)
    tracker.alertChanged(alert(service, 'resolved', clock.now()))
  }
  /** A check result that changes nothing (the same state as before). */
  const check = (service: string, state: HealthState) => {
    states.set(service, state)
    checkedAt.set(service, clock.now())
    if (state !== 'unknown') tracker.checked({ service, state })
  }
  return { tracker, clock, store, states, change, check, fire, resolveAlert, changes }
}

const kinds = (events: Array<{ kind: string; text: string }>) => events.map((e) => `${e.kind}: ${e.text}`)

describe('IncidentTracker', () => {
  it('should open an incident when a service leaves healthy, append what happens in order, and resolve it once healthy with its alerts resolved', async () => {
    const { tracker, clock, store, change, fire, resolveAlert, changes } = setup()
    change('api', 'healthy')
    expect(tracker.openFor('api')).toBeUndefined()
    await clock.advance(1000)
    change('api', 'error', 'connect ECONNREFUSED')
    const incident = tracker.openFor('api')!
    expect(incident).toMatchObject({
      service: 'api',
      title: 'api is error: connect ECONNREFUSED',
      severity: 'critical',
      state: 'open',
      openedAt: T0 + 1000,
    })
    await clock.advance(1000)
    fire('api')
    tracker.notified({
      version: '4',
      groupKey: 'g',
      truncatedAlerts: 0,
      status: 'firing',
      receiver: 'hook',
      groupLabels: {},
      commonLabels: {},
      commonAnnotations: {},
      externalURL: '',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'service-down', service: 'api' },
          annotations: {},
          startsAt: '',
          endsAt: '',
          generatorURL: '',
          fingerprint: 'fp-api',
        },
      ],
    })
    const record = {
      id: 'heal_1',
      service: 'api',
      trigger: 'service-down' as const,
      strategy: 'service-restart',
      startedAt: clock.now(),
      outcome: 'running' as const,
      steps: [],
      dryRun: false,
    }
    tracker.healing('started', record)
    await clock.advance(500)
    tracker.healing('step', record, { name: 'restart', startedAt: T0, endedAt: clock.now(), ok: true })
    change('api', 'healthy')
    // Healthy, but its alert still fires: not resolved yet.
    expect(tracker.openFor('api')?.state).toBe('open')
    tracker.healing('finished', { ...record, outcome: 'succeeded', endedAt: clock.now() })
    expect(tracker.openFor('api')).toBeDefined()
    await clock.advance(500)
    resolveAlert('api')
    expect(tracker.openFor('api')).toBeUndefined()
    await tracker.stop()
    const stored = (await store.incidents.getIncident(incident.id))!
    expect(stored).toMatchObject({ state: 'resolved', resolvedAt: T0 + 3000 })
    expect(kinds(stored.events)).toEqual([
      'state: healthy -> error: connect ECONNREFUSED',
      'alert: service-down firing (critical): api is down',
      'notification: firing notification to hook: service-down',
      'healing: service-restart started (service-down)',
      'healing: restart ok',
      'state: error -> healthy',
      'healing: service-restart succeeded',
      'alert: service-down resolved (critical): api is down',
      'resolved: healthy again and its alerts resolved',
    ])
    expect(stored.events.map((e) => e.at)).toEqual([...stored.events.map((e) => e.at)].sort((a, b) => a - b))
    expect(changes).toEqual(['opened:api', ...Array.from({ length: 7 }, () => 'updated:api'), 'resolved:api'])
  })

  it('should open one for a critical alert on a healthy service, not for a warning, and take the graver severity', async () => {
    const { tracker, change, fire, resolveAlert } = setup()
    change('api', 'healthy')
    fire('api', 'warning')
    expect(tracker.openFor('api')).toBeUndefined()
    change('batch', 'unhealthy')
    expect(tracker.openFor('batch')).toMatchObject({ severity: 'warning' })
    fire('batch', 'critical')
    expect(tracker.openFor('batch')).toMatchObject({ severity: 'critical' })
    fire('api', 'critical')
    expect(tracker.openFor('api')).toMatchObject({ title: 'api is down', severity: 'critical' })
    resolveAlert('api')
    expect(tracker.openFor('api')).toBeUndefined()
  })

  it('should continue the same incident when a service flaps within the reopen window, and open a new one after it', async () => {
    const { tracker, clock, change, changes } = setup()
    change('api', 'error')
    const id = tracker.openFor('api')!.id
    for (let i = 0; i < 3; i++) {
      await clock.advance(10_000)
      change('api', 'healthy')
      expect(tracker.openFor('api')).toBeUndefined()
      await clock.advance(10_000)
      change('api', 'error')
      expect(tracker.openFor('api')?.id).toBe(id)
    }
    expect(changes.filter((c) => c.startsWith('opened'))).toHaveLength(1)
    const events = tracker.openFor('api')!.events
    expect(events.filter((e) => e.text.startsWith('reopened'))).toHaveLength(3)
    change('api', 'healthy')
    await clock.advance(60_001)
    change('api', 'error')
    expect(tracker.openFor('api')?.id).not.toBe(id)
    expect(changes.filter((c) => c.startsWith('opened'))).toHaveLength(2)
  })

  it('should keep the first and the latest events within maxEvents, counting the elided ones in one marker', async () => {
    const { tracker, clock, change, store } = setup({ maxEvents: 10 })
    change('api', 'error')
    const id = tracker.openFor('api')!.id
    const note = await tracker.acknowledge(id, 'ops', 'looking')
    expect(note).toMatchObject({ state: 'acknowledged' })
    for (let i = 0; i < 30; i++) {
      await clock.advance(1000)
      tracker.record('api', { kind: 'maintenance', text: `step ${i}` })
    }
    const events = tracker.openFor('api')!.events
    expect(events).toHaveLength(10)
    expect(events[0]!.text).toBe('unknown -> error')
    expect(events[1]).toMatchObject({ kind: 'note', ref: ELIDED_REF, text: '23 events elided' })
    // A person's acknowledgement is never elided.
    expect(events[2]).toMatchObject({ kind: 'acknowledged', by: 'ops', text: 'looking' })
    expect(events.slice(3).map((e) => e.text)).toEqual(Array.from({ length: 7 }, (_, i) => `step ${23 + i}`))
    expect(tracker.stats()).toMatchObject({ open: 1, elided: 23 })
    // A person's notes are capped instead: half the bound.
    for (let i = 0; i < 4; i++) expect(await tracker.note(id, 'ops', `n${i}`)).not.toBe('full')
    expect(await tracker.note(id, 'ops', 'one too many')).toBe('full')
    await tracker.stop()
    expect((await store.incidents.getIncident(id))!.events).toHaveLength(10)
  })

  it('should open one for a process exit and resolve it only on a check after the exit, not on the healthy state from before it', async () => {
    const { tracker, clock, change, check } = setup()
    change('api', 'healthy')
    await clock.advance(1000)
    tracker.processExited({ service: 'api', code: null, signal: 'SIGKILL', at: clock.now() })
    expect(tracker.openFor('api')).toMatchObject({
      title: 'api: process exited (signal SIGKILL)',
      severity: 'critical',
    })
    const record = {
      id: 'heal_1',
      service: 'api',
      trigger: 'process-exit' as const,
      strategy: 'process-restart',
      startedAt: clock.now(),
      outcome: 'succeeded' as const,
      steps: [],
      dryRun: false,
    }
    await clock.advance(200)
    // The restart is done, but no check has seen the service since it exited.
    tracker.healing('finished', { ...record, endedAt: clock.now() })
    expect(tracker.openFor('api')).toBeDefined()
    await clock.advance(300)
    check('api', 'healthy')
    expect(tracker.openFor('api')).toBeUndefined()
    expect((await tracker.list({})).map((i) => i.events.at(-1)?.kind)).toEqual(['resolved'])
  })

  it('should refuse, count and log the incidents over maxOpen', () => {
    const { tracker, change } = setup({ maxOpen: 2 })
    change('a', 'error')
    change('b', 'error')
    change('c', 'error')
    expect(tracker.openFor('c')).toBeUndefined()
    expect(tracker.stats()).toMatchObject({ open: 2, refused: 1 })
  })

  it('should acknowledge once with a note, hold the reminders of its alerts until it resolves, and refuse what cannot be done', async () => {
    const { tracker, change, fire, resolveAlert } = setup()
    change('api', 'error')
    fire('api')
    const id = tracker.openFor('api')!.id
    expect(tracker.holds(alert('api', 'firing', T0))).toBe(false)
    const acked = await tracker.acknowledge(id, 'alice', 'on it')
    expect(acked).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'alice', acknowledgedAt: T0 })
    expect(tracker.holds(alert('api', 'firing', T0))).toBe(true)
    expect(tracker.holds(alert('db', 'firing', T0))).toBe(false)
    expect(await tracker.acknowledge(id, 'bob')).toBe('acknowledged')
    expect(await tracker.acknowledge('inc_nope', 'bob')).toBe('unknown')
    expect(await tracker.note('inc_nope', 'bob', 'x')).toBe('unknown')
    change('api', 'healthy')
    resolveAlert('api')
    expect(tracker.holds(alert('api', 'firing', T0))).toBe(false)
    expect(await tracker.acknowledge(id, 'bob')).toBe('resolved')
    // A note after the fact is kept (a review).
    expect(await tracker.note(id, 'bob', 'root cause: disk')).toMatchObject({ state: 'resolved' })
    const timeline = (await tracker.get(id))!.events
    expect(timeline.filter((e) => e.by).map((e) => `${e.kind}/${e.by}: ${e.text}`)).toEqual([
      'acknowledged/alice: on it',
      'note/bob: root cause: disk',
    ])
  })

  it('should continue the incident left open by the last run after a restart, not open a second one', async () => {
    const store = createMemoryStore()
    const first = setup({}, store)
    first.change('api', 'error')
    const id = first.tracker.openFor('api')!.id
    await first.tracker.acknowledge(id, 'alice')
    await first.tracker.stop()

    const second = setup({}, store)
    await second.tracker.start()
    expect(second.tracker.openFor('api')).toMatchObject({ id, state: 'acknowledged' })
    second.change('api', 'error')
    expect(second.changes).toEqual(['updated:api'])
    second.change('api', 'healthy')
    await second.tracker.stop()
    expect((await store.incidents.incidents()).map((i) => [i.id, i.state])).toEqual([[id, 'resolved']])
  })

  it('should record events given through record() only in an open incident', () => {
    const { tracker, change } = setup()
    expect(tracker.record('api', { kind: 'maintenance', text: 'window started' })).toBeUndefined()
    change('api', 'error')
    const id = tracker.record('api', { kind: 'maintenance', text: 'window started', by: 'ops', ref: 'mw_1' })
    expect(id).toBe(tracker.openFor('api')!.id)
    expect(tracker.openFor('api')!.events.at(-1)).toMatchObject({
      kind: 'maintenance',
      text: 'window started',
      by: 'ops',
      ref: 'mw_1',
    })
  })

  it('should keep an incident in memory when the store cannot save it, and count the failure', async () => {
    const store = createMemoryStore()
    const { tracker, change } = setup({}, store)
    await store.close()
    change('api', 'error')
    await tracker.stop()
    expect(tracker.openFor('api')).toBeDefined()
    expect(tracker.stats().saveFailures).toBe(1)
  })
})
