import { describe, expect, it } from 'vitest'
import { collectDefaultMetrics } from './defaults.ts'
import { parseExposition } from './exposition/parse.ts'
import { Registry } from './registry.ts'

async function familyNames(registry: Registry): Promise<string[]> {
  const result = parseExposition(await registry.metrics('openmetrics'), { format: 'openmetrics' })
  if (!result.ok) throw new Error(`${result.error.line}: ${result.error.message}`)
  return result.families.map((f) => f.name)
}

describe('collectDefaultMetrics', () => {
  it('should register the system and process collectors in one call', async () => {
    const registry = new Registry()
    const defaults = collectDefaultMetrics(registry)
    try {
      const names = await familyNames(registry)
      expect(names).toContain('noa_system_cpus')
      expect(names).toContain('noa_system_memory_used_bytes')
      expect(names).toContain('noa_process_heap_used_bytes')
      expect(names).toContain('noa_process_event_loop_lag_seconds')
      expect((await defaults.process?.collect())?.pid).toBe(process.pid)
    } finally {
      defaults.stop()
    }
  })

  it("should offer prom-client's process_* and nodejs_* names", async () => {
    const registry = new Registry()
    const defaults = collectDefaultMetrics(registry, { system: false, process: { naming: 'prom-client' } })
    try {
      expect(defaults.system).toBeUndefined()
      expect((await familyNames(registry)).sort()).toEqual(
        [
          'nodejs_eventloop_lag_max_seconds',
          'nodejs_eventloop_lag_mean_seconds',
          'nodejs_eventloop_lag_seconds',
          'nodejs_external_memory_bytes',
          'nodejs_heap_size_total_bytes',
          'nodejs_heap_size_used_bytes',
          'process_cpu_seconds',
          'process_cpu_system_seconds',
          'process_cpu_user_seconds',
          'process_resident_memory_bytes',
          'process_start_time_seconds',
        ].sort(),
      )
      const text = await registry.metrics('prometheus')
      expect(text).toMatch(/^process_cpu_seconds_total \d/m)
      const start = Number(/^process_start_time_seconds (\d+)/m.exec(text)?.[1])
      expect(Math.abs(start - (Date.now() / 1000 - process.uptime()))).toBeLessThan(2)
    } finally {
      defaults.stop()
    }
  })

  it('should refuse a registry that already has its names', () => {
    const registry = new Registry()
    const first = collectDefaultMetrics(registry, { system: false })
    expect(() => collectDefaultMetrics(registry, { system: false })).toThrow(/noa_process_pid/)
    first.stop()
  })
})
