import { EventEmitter } from 'node:events'
import type { AlertEngine } from '@noa/alerts'
import { FakeClock } from '@noa/core'
import type { HealingEngine } from '@noa/healing'
import { createHealthMonitor } from '@noa/health'
import { describe, expect, it } from 'vitest'
import type { MetricsRound } from './metrics/round.ts'
import { StatusView } from './status-view.ts'

/** A real monitor (checks reported by hand); healing, alerts and the round reduced to what the view reads. */
function world(n: number) {
  const clock = new FakeClock()
  const services = Array.from({ length: n }, (_, i) => ({
    name: `svc-${i}`,
    check: { type: 'http' as const, url: `http://127.0.0.1:1/health/${i}` },
  }))
  const health = createHealthMonitor({ clock, services })
  const healing = Object.assign(new EventEmitter(), {
    guardState: () => ({ circuit: 'closed', degraded: false, healingFailed: false }),
  }) as unknown as HealingEngine
  const alerts = { alerts: () => [] } as unknown as AlertEngine
  const round = { latest: undefined } as unknown as MetricsRound
  const view = new StatusView(
    { health, healing, alerts, round, clock, runningHealings: () => 0, pendingApprovals: () => 0 },
    1000,
  )
  return { clock, health, healing, view, services }
}

describe('StatusView', () => {
  it('should build the list of services once for many bodies, each with its own timestamp', async () => {
    const { clock, view } = world(100)
    const a = view.body()
    await clock.advance(500)
    const b = view.body()
    expect(view.builds).toBe(1)
    expect(b.services).toBe(a.services)
    expect(b.services).toHaveLength(100)
    expect(b.timestamp).not.toBe(a.timestamp)
  })

  it('should show a state change at the next body', () => {
    const { health, view } = world(3)
    expect(view.body().services[1]!.state).toBe('unknown')
    health.report('svc-1', { state: 'error', message: 'down' })
    const body = view.body()
    expect(body.services[1]!.state).toBe('error')
    expect(body.health).not.toBe('healthy')
    expect(view.builds).toBe(2)
  })

  it('should rebuild after maxAgeMs (latencies move without a change) and after a healing event', async () => {
    const { clock, healing, view } = world(3)
    view.body()
    await clock.advance(999)
    view.body()
    expect(view.builds).toBe(1)
    await clock.advance(1)
    view.body()
    expect(view.builds).toBe(2)
    ;(healing as unknown as EventEmitter).emit('escalation', { service: 'svc-0' })
    view.body()
    expect(view.builds).toBe(3)
  })

  it('should list the services of a reload at once', () => {
    const { health, view, services } = world(2)
    expect(view.body().services.map((s) => s.name)).toEqual(['svc-0', 'svc-1'])
    health.update([...services, { name: 'new', check: { type: 'http', url: 'http://127.0.0.1:1/new' } }])
    expect(view.body().services.map((s) => s.name)).toEqual(['svc-0', 'svc-1', 'new'])
  })

  it('should answer the same JSON bytes until the body would differ', async () => {
    const { clock, health, view } = world(50)
    const a = view.json()
    await clock.advance(10)
    expect(view.json()).toBe(a)
    expect(JSON.parse(Buffer.from(a).toString())).toMatchObject({
      health: 'unknown',
      services: expect.any(Array),
    })
    health.report('svc-3', { state: 'error', message: 'down' })
    const b = view.json()
    expect(b).not.toBe(a)
    expect(JSON.parse(Buffer.from(b).toString()).services[3]).toMatchObject({ name: 'svc-3', state: 'error' })
    await clock.advance(1000)
    expect(view.json()).not.toBe(b)
  })
})
