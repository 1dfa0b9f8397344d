import { EventEmitter } from 'node:events'
import { type CheckResult, FakeClock, type HealthState } from '@noa/core'
import type { HealthChange, ServiceStatus } from '@noa/health'
import { Registry } from '@noa/metrics'
import { describe, expect, it } from 'vitest'
import type { FleetService, ServicesDeltaEvent, SummaryBody } from './api-types.ts'
import { FleetFeed, registerFeedMetrics } from './fleet-feed.ts'
import { FleetIndex } from './fleet-index.ts'

/** A health monitor's events and statuses, driven by the test. */
function setup(
  n: number,
  tickSlice?: number,
  more: { sweep?: number; dependsOn?: Record<string, string[]> } = {},
) {
  const clock = new FakeClock(0)
  const health = new EventEmitter()
  const states = new Map<string, HealthState>()
  const blocked = new Map<string, string[]>()
  const healing = new EventEmitter()
  const guards = new Map<string, { circuit: 'closed' | 'open'; degraded: boolean; nextRetryAt?: number }>()
  /** The services the feed read from the monitor, in order. */
  const reads: string[] = []
  const published: Array<{ event: string; data: unknown }> = []
  const index = new FleetIndex()
  const feed = new FleetFeed({
    index,
    health: {
      on: health.on.bind(health) as never,
      status: (name: string) => {
        reads.push(name)
        return {
          service: name,
          state: states.get(name) ?? 'unknown',
          flapping: false,
          blockedBy: blocked.get(name) ?? [],
        } as unknown as ServiceStatus
      },
    },
    healing: {
      guardState: (name: string) => guards.get(name) ?? { circuit: 'closed', degraded: false },
      on: healing.on.bind(healing) as never,
    },
    sse: {
      publish: (event: string, data: unknown) => {
        published.push({ event, data: JSON.parse(JSON.stringify(data)) })
        return published.length
      },
    },
    clock,
    extras: () => ({
      metrics: { cpu: null, memory: null, errorRate: null, latency: null },
      alerts: { firing: 2, pending: 0 },
      healing: { running: 0, pendingApprovals: 0 },
    }),
    maxDelta: 50,
    maxChangeEventsPerSecond: 10,
    ...(tickSlice === undefined ? {} : { tickSlice }),
    ...(more.sweep === undefined ? {} : { sweep: more.sweep }),
  })
  const names = Array.from({ length: n }, (_, i) => `s${String(i).padStart(3, '0')}`)
  feed.configure(
    names.map((name) => ({ name, critical: name === 's000', group: 'g', dependsOn: more.dependsOn?.[name] })),
  )
  const change = (service: string, to: CheckResult['state']): HealthChange => {
    const from = states.get(service) ?? 'unknown'
    states.set(service, to)
    const result: CheckResult = {
      service,
      state: to,
      at: clock.now(),
      durationMs: 7,
      attempts: 1,
      message: 'm',
    }
    const c: HealthChange = {
      service,
      from,
      to,
      at: clock.now(),
      result,
      critical: service === 's000',
      blockedBy: [],
    }
    health.emit('change', c)
    return c
  }
  return { clock, health, healing, published, feed, names, change, blocked, guards, reads }
}

describe('FleetFeed', () => {
  it('should send one changed service as a `service` event once its burst is over', async () => {
    const { clock, published, change } = setup(5)
    await clock.advance(300)
    published.length = 0
    change('s001', 'error')
    expect(published).toEqual([])
    await clock.advance(300)
    expect(published.map((p) => p.event)).toEqual(['service'])
    expect(published[0]?.data).toMatchObject({ name: 's001', state: 'error', message: 'm', latencyMs: 7 })
  })

  it('should coalesce a burst of changes into one bounded `services` event', async () => {
    const { clock, published, change, names } = setup(200)
    await clock.advance(300)
    published.length = 0
    for (const n of names.slice(0, 30)) change(n, 'unhealthy')
    await clock.advance(300)
    expect(published.map((p) => p.event)).toEqual(['services'])
    const delta = published[0]?.data as ServicesDeltaEvent
    expect(delta.services.map((s: FleetService) => s.name)).toEqual(names.slice(0, 30))
    expect(delta).toMatchObject({ removed: [], truncated: false, changed: 30 })
    published.length = 0
    for (const n of names.slice(0, 200)) change(n, 'healthy')
    await clock.advance(300)
    expect(published).toEqual([
      { event: 'services', data: { services: [], removed: [], truncated: true, changed: 200 } },
    ])
  })

  it('should send at most the bound of `change` events a second', async () => {
    const { clock, published, change, names, feed } = setup(30)
    const registry = new Registry()
    registerFeedMetrics(registry, feed)
    for (const n of names) feed.publishChange(change(n, 'error'))
    expect(published.filter((p) => p.event === 'change')).toHaveLength(10)
    expect(feed.suppressedChanges).toBe(20)
    expect(await registry.metrics()).toContain('noa_sse_changes_skipped_total 20')
    await clock.advance(1000)
    feed.publishChange(change('s000', 'healthy'))
    expect(published.filter((p) => p.event === 'change')).toHaveLength(11)
  })

  it('should send the summary each tick, after the changes no event announced', async () => {
    const { clock, published, feed, blocked } = setup(4)
    await clock.advance(300)
    published.length = 0
    // A dependency went down: the dependent's blockedBy changed without an event of its own.
    blocked.set('s002', ['s001'])
    feed.tick()
    expect(published.map((p) => p.event)).toEqual(['service', 'summary'])
    expect(published[0]?.data).toMatchObject({ name: 's002', blockedBy: ['s001'] })
    const summary = published[1]?.data as SummaryBody
    expect(summary).toMatchObject({
      health: 'unknown',
      total: 4,
      counts: { healthy: 0, unhealthy: 0, error: 0, unknown: 4 },
      down: 0,
      criticalDown: 0,
      maintenance: 0,
      groups: [{ name: 'g', total: 4, down: 0, unknown: 4, maintenance: 0 }],
      alerts: { firing: 2, pending: 0 },
    })
  })

  it('should not count a critical service down in maintenance in the summary, and count it again after the window', async () => {
    const { clock, published, feed, names, change } = setup(4)
    for (const name of names) change(name, 'healthy')
    change('s000', 'error') // the critical one
    expect(feed.summary()).toMatchObject({ health: 'unhealthy', down: 1, criticalDown: 1, maintenance: 0 })
    await clock.advance(300)
    published.length = 0
    feed.setMaintenance('s000', { id: 'mnt_1', reason: 'disk swap', endsAt: 60_000 })
    await clock.advance(300)
    // The tile says so at once, its state as checked.
    expect(published.map((p) => p.event)).toEqual(['service'])
    expect(published[0]?.data).toMatchObject({
      name: 's000',
      state: 'error',
      maintenance: { id: 'mnt_1', reason: 'disk swap', endsAt: 60_000 },
    })
    await feed.tick()
    const during = published.at(-1)?.data as SummaryBody
    expect(during).toMatchObject({
      health: 'healthy',
      counts: { healthy: 3, unhealthy: 0, error: 1, unknown: 0 },
      down: 0,
      criticalDown: 0,
      maintenance: 1,
      groups: [{ name: 'g', total: 4, down: 0, unknown: 0, maintenance: 1 }],
    })
    // Another service down outside the window still degrades the fleet.
    change('s001', 'unhealthy')
    expect(feed.summary()).toMatchObject({ health: 'degraded', down: 1, criticalDown: 0 })
    change('s001', 'healthy')
    feed.setMaintenance('s000', undefined)
    expect(feed.summary()).toMatchObject({ health: 'unhealthy', down: 1, criticalDown: 1, maintenance: 0 })
  })

  it('should reconcile a tick in slices that let the event loop run, and send what one pass sends', async () => {
    const { clock, published, feed, blocked } = setup(5, 2)
    await clock.advance(300)
    published.length = 0
    blocked.set('s001', ['s000'])
    blocked.set('s004', ['s000'])
    const tick = feed.tick()
    // One slice is done; the rest waits for the event loop, so nothing is sent yet.
    expect(published).toEqual([])
    let between = false
    setImmediate(() => {
      between = published.length === 0
    })
    await tick
    expect(between).toBe(true)
    expect(published.map((p) => p.event)).toEqual(['services', 'summary'])
    const delta = published[0]?.data as ServicesDeltaEvent | undefined
    expect(delta?.services.map((s) => [s.name, s.blockedBy])).toEqual([
      ['s001', ['s000']],
      ['s004', ['s000']],
    ])
  })

  it('should read again the dependents of a changed service, dependents of dependents too, without a tick', async () => {
    const { clock, published, change, blocked, reads } = setup(4, undefined, {
      dependsOn: { s001: ['s000'], s002: ['s001'] },
    })
    await clock.advance(300)
    published.length = 0
    reads.length = 0
    blocked.set('s001', ['s000'])
    blocked.set('s002', ['s000'])
    change('s000', 'error')
    await clock.advance(300)
    // s003 depends on nothing: it is not read.
    expect(reads.sort()).toEqual(['s001', 's002'])
    const delta = published.find((p) => p.event === 'services')?.data as ServicesDeltaEvent | undefined
    expect(delta?.services.map((s) => [s.name, s.state, s.blockedBy])).toEqual([
      ['s000', 'error', []],
      ['s001', 'unknown', ['s000']],
      ['s002', 'unknown', ['s000']],
    ])
  })

  it('should read a fleet larger than the sweep in turns, and open circuits every tick', async () => {
    const { clock, published, feed, blocked, guards, reads, healing, names } = setup(6, undefined, {
      sweep: 2,
    })
    await clock.advance(300)
    guards.set('s005', { circuit: 'open', degraded: false, nextRetryAt: 1000 })
    healing.emit('escalation', { service: 's005' })
    await clock.advance(300)
    reads.length = 0
    published.length = 0
    // Changed without an event: shows when the sweep reaches it, within fleet / sweep ticks.
    blocked.set('s003', ['s000'])
    guards.set('s005', { circuit: 'open', degraded: false, nextRetryAt: 2000 })
    const ticks: string[][] = []
    for (let i = 0; i < 3; i++) {
      await feed.tick()
      ticks.push(reads.splice(0).sort())
    }
    expect(ticks).toEqual([
      ['s000', 's001', 's005'],
      ['s002', 's003', 's005'],
      ['s004', 's005'],
    ])
    const sent = published.filter((p) => p.event === 'service').map((p) => p.data as FleetService)
    expect(sent.map((s) => [s.name, s.blockedBy, s.nextRetryAt])).toEqual([
      ['s005', [], 2000],
      ['s003', ['s000'], undefined],
    ])
    // Gone with a reload: no longer read every tick.
    feed.configure(['s000', 's001', 's002', 's003', 's004'].map((name) => ({ name, critical: false })))
    reads.length = 0
    await feed.tick()
    expect(reads).not.toContain('s005')
    feed.configure(names.map((name) => ({ name, critical: false })))
    healing.emit('escalation', { service: 's005' })
    // Closed again: read once more (found closed), then only in its turn of the sweep.
    guards.delete('s005')
    const after: string[][] = []
    for (let i = 0; i < 3; i++) {
      reads.length = 0
      await feed.tick()
      after.push(reads.splice(0).sort())
    }
    expect(after).toEqual([
      ['s002', 's003', 's005'],
      ['s004', 's005'],
      ['s000', 's001'],
    ])
  })

  it('should stop a tick in progress when closed', async () => {
    const { clock, published, feed } = setup(5, 2)
    await clock.advance(300)
    published.length = 0
    const tick = feed.tick()
    feed.close()
    await tick
    expect(published).toEqual([])
  })
})
