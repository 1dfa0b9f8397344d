import { EventEmitter } from 'node:events'
import { FakeClock } from '@noa/core'
import type { HealingEngine } from '@noa/healing'
import { createHealthMonitor } from '@noa/health'
import { parseExposition, Registry } from '@noa/metrics'
import { describe, expect, it, vi } from 'vitest'
import { createOwnMetrics, SERVICE_GAUGES_SLICE } from './own-metrics.ts'

/** A real monitor (results reported by hand); healing reduced to the circuits the gauges read. */
function world(n: number) {
  const clock = new FakeClock()
  const services = Array.from({ length: n }, (_, i) => ({
    name: `svc-${i}`,
    check: { type: 'http' as const, url: `http://127.0.0.1:1/health/${i}` },
    critical: i % 2 === 0,
  }))
  const health = createHealthMonitor({ clock, services })
  const open = new Set<string>()
  const healing = Object.assign(new EventEmitter(), {
    guardState: (s: string) => ({
      circuit: open.has(s) ? 'open' : 'closed',
      degraded: false,
      healingFailed: false,
    }),
  }) as unknown as HealingEngine
  const registry = new Registry()
  createOwnMetrics(registry, { health, healing, sseClients: () => 0 })
  return { health, open, registry, services }
}

/** The parsed samples of one family of the registry's OpenMetrics text. */
async function samplesOf(registry: Registry, family: string) {
  const parsed = parseExposition(await registry.metrics('openmetrics'), { format: 'openmetrics' })
  if (!parsed.ok) throw new Error(parsed.error.message)
  return parsed.families.find((f) => f.name === family)?.samples ?? []
}

describe('own metrics', () => {
  it('refreshes the per-service gauges in one walk of the fleet that lets the event loop run', async () => {
    const n = SERVICE_GAUGES_SLICE * 2 + 1
    const { health, open, registry } = world(n)
    health.report('svc-0', { state: 'healthy' })
    health.report('svc-1', { state: 'error', message: 'refused' })
    open.add('svc-1')
    const reads = vi.spyOn(health, 'status')
    // Three slices of services: the event loop turns between them (a callback queued now runs
    // before the walk ends); the five gauges' collect callbacks share one walk.
    const order: string[] = []
    setImmediate(() => order.push('the loop turned'))
    await registry.collect()
    order.push('collected')
    expect(order).toEqual(['the loop turned', 'collected'])
    expect(reads).toHaveBeenCalledTimes(n)
    const text = await registry.metrics('openmetrics')
    const parsed = parseExposition(text, { format: 'openmetrics' })
    if (!parsed.ok) throw new Error(parsed.error.message)
    const value = (family: string, labels: Record<string, string>) =>
      parsed.families
        .find((f) => f.name === family)
        ?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value
    expect(value('noa_service_up', { service: 'svc-0' })).toBe(1)
    expect(value('noa_service_up', { service: 'svc-1' })).toBe(0)
    expect(value('noa_service_state', { service: 'svc-1', state: 'error' })).toBe(1)
    expect(value('noa_service_state', { service: 'svc-1', state: 'healthy' })).toBe(0)
    expect(value('noa_service_state', { service: 'svc-2', state: 'unknown' })).toBe(1)
    expect(value('noa_service_critical', { service: 'svc-0' })).toBe(1)
    expect(value('noa_service_critical', { service: 'svc-1' })).toBe(0)
    expect(value('noa_healing_circuit_open', { service: 'svc-1' })).toBe(1)
    expect(value('noa_healing_circuit_open', { service: 'svc-0' })).toBe(0)
    expect(value('noa_service_flapping', { service: 'svc-0' })).toBe(0)
  })

  it('shows every service of a 10,000-service fleet, and none of those a reload removed', async () => {
    const { health, registry, services } = world(10_000)
    expect(await samplesOf(registry, 'noa_service_up')).toHaveLength(10_000)
    expect(await samplesOf(registry, 'noa_service_state')).toHaveLength(40_000)
    health.update(services.slice(0, 10))
    const up = await samplesOf(registry, 'noa_service_up')
    expect(up.map((s) => s.labels.service).sort()).toEqual(
      services
        .slice(0, 10)
        .map((s) => s.name)
        .sort(),
    )
    expect(await samplesOf(registry, 'noa_healing_circuit_open')).toHaveLength(10)
  })
})
