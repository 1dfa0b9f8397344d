import { EventEmitter } from 'node:events'
import type { AlertEngine } from '@noa/alerts'
import { FakeClock } from '@noa/core'
import type { HealingEngine } from '@noa/healing'
import { createHealthMonitor } from '@noa/health'
import { describe, expect, it } from 'vitest'
import type { MetricsRound } from './metrics/round.ts'
import { StatusView, type StatusViewOptions } from './status-view.ts'

type Guard = { circuit: 'closed' | 'open'; degraded: boolean; healingFailed: boolean; nextRetryAt?: number }

/** A real monitor (checks reported by hand); healing, alerts and the round reduced to what the view reads. */
function world(
  n: number,
  options: StatusViewOptions = {},
  dependsOn: Record<string, string[]> = {},
  more: { critical?: readonly string[]; maintenance?: ReadonlySet<string> } = {},
) {
  const clock = new FakeClock()
  const services = Array.from({ length: n }, (_, i) => ({
    name: `svc-${i}`,
    check: { type: 'http' as const, url: `http://127.0.0.1:1/health/${i}` },
    ...(dependsOn[`svc-${i}`] ? { dependsOn: dependsOn[`svc-${i}`] } : {}),
    // Services are critical by default; a world that names its critical ones makes the others not.
    ...(more.critical ? { critical: more.critical.includes(`svc-${i}`) } : {}),
  }))
  const health = createHealthMonitor({ clock, services })
  const guards = new Map<string, Guard>()
  const emitter = new EventEmitter()
  const healing = Object.assign(emitter, {
    guardState: (s: string) => guards.get(s) ?? { circuit: 'closed', degraded: false, healingFailed: false },
  }) as unknown as HealingEngine
  const alerts = { alerts: () => [] } as unknown as AlertEngine
  const round = { latest: undefined } as { latest: unknown }
  const sources = {
    health,
    healing,
    alerts,
    round: round as unknown as MetricsRound,
    clock,
    runningHealings: () => 0,
    pendingApprovals: () => 0,
    ...(more.maintenance ? { inMaintenance: (s: string) => more.maintenance!.has(s) } : {}),
  }
  const view = new StatusView(sources, { maxAgeMs: 1000, ...options })
  view.start()
  /** What a view built now, from nothing, answers: the reference every incremental answer must equal. */
  const fresh = () => new StatusView(sources, { maxAgeMs: 1000 })
  return { clock, health, healing: emitter, guards, round, view, services, fresh }
}

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString()
/** The body's JSON without its timestamp (each body is stamped when it is made). */
const untimed = (bytes: Uint8Array) => text(bytes).replace(/"timestamp":"[^"]*"/, '')

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

  it('should show a state change at the next body, reading only the service that changed', () => {
    const { health, view } = world(100)
    expect(view.body().services[1]!.state).toBe('unknown')
    const reads = view.reads
    health.report('svc-1', { state: 'error', message: 'down' })
    const body = view.body()
    expect(body.services[1]!.state).toBe('error')
    expect(body.health).not.toBe('healthy')
    expect(view.builds).toBe(1)
    expect(view.reads - reads).toBe(1)
  })

  it('should not count a down service in maintenance in the overall status, and count it again once the window ends', () => {
    const maintenance = new Set<string>()
    const { health, view, fresh } = world(3, {}, {}, { critical: ['svc-0'], maintenance })
    for (let i = 0; i < 3; i++) health.report(`svc-${i}`, { state: 'healthy' })
    expect(view.body().health).toBe('healthy')
    health.report('svc-0', { state: 'error', message: 'down' })
    expect(view.body().health).toBe('unhealthy')
    // The window opens: the agent touches the services it covers.
    maintenance.add('svc-0')
    view.touch(['svc-0'])
    const during = view.body()
    expect(during.health).toBe('healthy')
    expect(during.services[0]).toMatchObject({ state: 'error', critical: true, maintenance: true })
    expect(Buffer.from(view.json()).toString()).toContain('"health":"healthy"')
    // Another service down outside the window still counts.
    health.report('svc-1', { state: 'unhealthy', message: 'slow' })
    expect(view.body().health).toBe('degraded')
    health.report('svc-1', { state: 'healthy' })
    expect(view.body().health).toBe('healthy')
    maintenance.delete('svc-0')
    view.touch(['svc-0'])
    const after = view.body()
    expect(after.health).toBe('unhealthy')
    expect(after.services[0]!.maintenance).toBeUndefined()
    // A view built whole counts the same way.
    maintenance.add('svc-0')
    expect(fresh().body().health).toBe('healthy')
  })

  it('should leave a body it handed out as it was when a service changes', () => {
    const { health, view } = world(3)
    const before = view.body()
    health.report('svc-1', { state: 'error', message: 'down' })
    const after = view.body()
    expect(before.services[1]!.state).toBe('unknown')
    expect(after.services[1]!.state).toBe('error')
    expect(after.services).not.toBe(before.services)
  })

  it('should read checked services again every maxAgeMs on its timer, not in a request, and healed ones at once', async () => {
    const { clock, health, healing, guards, view } = world(3000, { sweep: 0 })
    health.report('svc-7', { state: 'healthy' })
    view.body()
    const reads = view.reads
    // A result that changes no state: only its latency may have moved.
    health.report('svc-7', { state: 'healthy' })
    await clock.advance(999)
    view.body()
    expect(view.reads - reads).toBe(0)
    await clock.advance(1)
    expect(view.reads - reads).toBe(1)
    view.body()
    expect(view.reads - reads).toBe(1)
    guards.set('svc-9', { circuit: 'open', degraded: true, healingFailed: true, nextRetryAt: 5000 })
    healing.emit('escalation', { service: 'svc-9' })
    expect(view.body().services[9]).toMatchObject({ circuit: 'open', degraded: true, nextRetryAt: 5000 })
    expect(view.reads - reads).toBe(2)
    expect(view.builds).toBe(1)
  })

  it('should read nothing on its own once stopped', async () => {
    const { clock, health, view } = world(10, { sweep: 10 })
    view.body()
    const reads = view.reads
    view.stop()
    health.report('svc-1', { state: 'healthy' })
    await clock.advance(5000)
    expect(view.reads).toBe(reads)
  })

  it("should show a dependency's fall in its dependents' blockedBy, dependents of dependents too", () => {
    const { health, view } = world(4, {}, { 'svc-1': ['svc-0'], 'svc-2': ['svc-1'] })
    for (let i = 0; i < 4; i++) health.report(`svc-${i}`, { state: 'healthy' })
    expect(view.body().services.map((s) => s.blockedBy)).toEqual([[], [], [], []])
    health.report('svc-0', { state: 'error', message: 'down' })
    expect(view.body().services.map((s) => s.blockedBy)).toEqual([[], ['svc-0'], ['svc-0'], []])
  })

  it('should read what changed when refreshed, so the next body reads nothing', async () => {
    const { clock, health, view } = world(100, { sweep: 0 })
    view.refresh()
    expect(view.builds).toBe(1)
    health.report('svc-5', { state: 'error', message: 'down' })
    await clock.advance(1000)
    view.refresh()
    const reads = view.reads
    expect(view.body().services[5]!.state).toBe('error')
    expect(view.reads).toBe(reads)
  })

  it('should show what no event announces within fleet / sweep refreshes', async () => {
    const { clock, guards, view } = world(10, { sweep: 3 })
    view.body()
    guards.set('svc-8', { circuit: 'open', degraded: false, healingFailed: true, nextRetryAt: 9000 })
    const seen: string[] = []
    for (let refresh = 0; refresh < 4; refresh++) {
      await clock.advance(1000)
      seen.push(view.body().services[8]!.circuit)
    }
    expect(seen).toEqual(['closed', 'closed', 'open', 'open'])
  })

  it('should list the services of a reload at once', () => {
    const { health, view, services } = world(2)
    expect(view.body().services.map((s) => s.name)).toEqual(['svc-0', 'svc-1'])
    health.update([...services, { name: 'new', check: { type: 'http', url: 'http://127.0.0.1:1/new' } }])
    expect(view.body().services.map((s) => s.name)).toEqual(['svc-0', 'svc-1', 'new'])
    expect(view.builds).toBe(2)
  })

  it('should answer the same JSON bytes until the body would differ', async () => {
    const { clock, health, view } = world(50)
    const a = view.json()
    await clock.advance(10)
    expect(view.json()).toBe(a)
    expect(JSON.parse(text(a))).toMatchObject({ health: 'unknown', services: expect.any(Array) })
    health.report('svc-3', { state: 'error', message: 'down' })
    const b = view.json()
    expect(b).not.toBe(a)
    expect(JSON.parse(text(b)).services[3]).toMatchObject({ name: 'svc-3', state: 'error' })
    await clock.advance(1000)
    expect(view.json()).toBe(b)
  })

  it('should answer, after any changes, the bytes of JSON.stringify(body) and of a list built whole', async () => {
    const dependsOn = { 'svc-4': ['svc-2'], 'svc-5': ['svc-4'] }
    const { clock, health, healing, guards, round, view, fresh } = world(6, { sweep: 2 }, dependsOn)
    const same = () => {
      const bytes = view.json()
      expect(text(bytes)).toBe(JSON.stringify(view.body()))
      expect(untimed(bytes)).toBe(untimed(fresh().json()))
    }
    same()
    for (let i = 0; i < 6; i++) health.report(`svc-${i}`, { state: 'healthy' })
    await clock.advance(1000)
    same()
    health.report('svc-2', { state: 'unhealthy', message: 'slow' })
    same()
    guards.set('svc-1', { circuit: 'open', degraded: true, healingFailed: true, nextRetryAt: 123 })
    healing.emit('healing-finished', { service: 'svc-1' })
    same()
    // a step's payload is { record, step }: the service of its record is the one that changed
    guards.set('svc-3', { circuit: 'open', degraded: false, healingFailed: false, nextRetryAt: 456 })
    healing.emit('healing-step', { record: { service: 'svc-3' }, step: { name: 'restart' } })
    same()
    health.report('svc-2', { state: 'healthy' })
    health.report('svc-0', { state: 'error', message: 'gone' })
    same()
    // Only the figures around the services changed: their part is taken from the last body.
    const before = view.json()
    round.latest = { system: { cpu: { usage: { average: 12.5 } }, memory: { usagePercent: 40 } } }
    expect(view.json()).not.toBe(before)
    same()
    expect(JSON.parse(text(view.json())).health).toBe('unhealthy')
  })

  it('should reuse the buffer of a released body for a later one, never one still held or handed out', async () => {
    const { clock, health, view, fresh } = world(20)
    const states = ['healthy', 'unhealthy', 'error'] as const
    let turn = 0
    const next = async () => {
      health.report(`svc-${turn % 20}`, { state: states[turn++ % 3]!, message: 'm' })
      await clock.advance(1000)
    }
    const first = view.heldJson()
    const firstText = text(first.bytes)
    await next()
    const second = view.heldJson()
    expect(second.bytes.buffer).not.toBe(first.bytes.buffer)
    await next()
    // both still held: a third buffer, and the first's bytes as they were
    const third = view.heldJson()
    expect(new Set([first, second, third].map((b) => b.bytes.buffer)).size).toBe(3)
    expect(text(first.bytes)).toBe(firstText)
    first.release()
    first.release() // twice is once
    second.release()
    await next()
    const fourth = view.heldJson()
    expect([first.bytes.buffer, second.bytes.buffer]).toContain(fourth.bytes.buffer)
    expect(untimed(fourth.bytes)).toBe(untimed(fresh().json()))
    // handed out by json(): kept as it is for good
    const pinned = view.json()
    const pinnedText = text(pinned)
    third.release()
    fourth.release()
    for (let i = 0; i < 4; i++) {
      await next()
      const held = view.heldJson()
      expect(held.bytes.buffer).not.toBe(pinned.buffer)
      expect(untimed(held.bytes)).toBe(untimed(fresh().json()))
      held.release()
    }
    expect(text(pinned)).toBe(pinnedText)
  })

  it('should answer the bytes of a list built whole after changes anywhere: first, last, side by side, none', async () => {
    const { clock, health, view, fresh } = world(12)
    // states of 5, 7 and 9 letters: a changed entry is longer or shorter than it was
    const states = ['healthy', 'unhealthy', 'error'] as const
    let turn = 0
    const rounds = [[0], [11], [3, 4, 5], [0, 11], [], [1, 10], [6], Array.from({ length: 12 }, (_, i) => i)]
    for (const changed of rounds) {
      for (const i of changed) health.report(`svc-${i}`, { state: states[turn++ % 3]!, message: 'm' })
      await clock.advance(1000)
      expect(untimed(view.json())).toBe(untimed(fresh().json()))
    }
  })
})
