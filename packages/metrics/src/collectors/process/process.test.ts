import { afterEach, describe, expect, it } from 'vitest'
import { parseExposition } from '../../exposition/parse.ts'
import { Registry } from '../../registry.ts'
import { createProcessCollector, type ProcessCollector } from './process.ts'

function gcAvailable(): (() => void) | undefined {
  return (globalThis as { gc?: () => void }).gc
}

describe('createProcessCollector', () => {
  let collector: ProcessCollector | undefined
  afterEach(() => {
    collector?.stop()
    collector = undefined
  })

  it('should read pid, uptime, memory and cpu of this process', async () => {
    collector = createProcessCollector()
    const p = await collector.collect()
    expect(p.pid).toBe(process.pid)
    expect(p.uptime).toBeGreaterThan(0)
    expect(p.heapUsed).toBeGreaterThan(0)
    expect(p.heapTotal).toBeGreaterThanOrEqual(p.heapUsed!)
    expect(p.rss).toBeGreaterThan(0)
    expect(p.external).toBeGreaterThan(0)
    expect(p.cpuUser).toBeGreaterThan(0)
    expect(p.cpuSystem).toBeGreaterThanOrEqual(0)
    expect(p.gcPause).toBeGreaterThanOrEqual(0)
    expect(Object.keys(p).sort()).toEqual(
      [
        'cpuSystem',
        'cpuUser',
        'eventLoopLag',
        'external',
        'gcPause',
        'heapTotal',
        'heapUsed',
        'pid',
        'rss',
        'uptime',
      ].sort(),
    )
  })

  it('should see the event loop blocked and the time spent in GC', async () => {
    collector = createProcessCollector({ eventLoopResolutionMs: 10 })
    // Block the loop for ~60 ms several times, letting the monitor's timer run between blocks.
    for (let i = 0; i < 3; i++) {
      const until = performance.now() + 60
      while (performance.now() < until) {
        /* busy */
      }
      await new Promise((resolve) => setTimeout(resolve, 15))
    }
    let garbage: unknown[] = []
    for (let i = 0; i < 400_000; i++) garbage.push({ i, s: `x${i}` })
    garbage = []
    gcAvailable()?.()
    await new Promise((resolve) => setTimeout(resolve, 20))
    const p = await collector.collect()
    expect(p.eventLoopLag).toBeGreaterThan(1)
    expect(p.gcPause).toBeGreaterThan(0)
    expect(garbage).toEqual([])
  })

  // The monitor's histogram holds the time between ticks of its own timer, so read as is an
  // idle loop "lags" by the resolution and a rule `event_loop_lag > 50` fires on an idle process.
  // Resolutions where the old reading (the resolution itself) stands clear of a loaded CI
  // machine's late timers, which can reach 10-20 ms.
  it.each([100, 250])('should read about 0 ms on an idle loop sampled every %i ms', async (resolution) => {
    collector = createProcessCollector({ eventLoopResolutionMs: resolution })
    const registry = new Registry()
    collector.register(registry)
    await new Promise((resolve) => setTimeout(resolve, resolution * 4))
    const p = await collector.collect()
    // Timers on a loaded machine fire a little late; what matters is that the interval itself is gone.
    expect(p.eventLoopLag).toBeLessThan(resolution / 2)
    expect(p.eventLoopLag).toBeGreaterThanOrEqual(0)
    const result = parseExposition(await registry.metrics('prometheus'))
    if (!result.ok) throw new Error(result.error.message)
    const lag = result.families.find((f) => f.name === 'noa_process_event_loop_lag_seconds')
    expect(lag?.samples[0]?.value).toBeLessThan(resolution / 2000)
  })

  it('should still see a block of the loop in full in the maximum', async () => {
    collector = createProcessCollector({ eventLoopResolutionMs: 20 })
    const registry = new Registry()
    collector.register(registry)
    await new Promise((resolve) => setTimeout(resolve, 30))
    const until = performance.now() + 150
    while (performance.now() < until) {
      /* busy */
    }
    await new Promise((resolve) => setTimeout(resolve, 30))
    const result = parseExposition(await registry.metrics('prometheus'))
    if (!result.ok) throw new Error(result.error.message)
    const max = result.families.find((f) => f.name === 'noa_process_event_loop_lag_max_seconds')
    expect(max?.samples[0]?.value).toBeGreaterThan(0.1)
  })

  it('should publish gauges with units that the OpenMetrics parser accepts', async () => {
    collector = createProcessCollector()
    const registry = new Registry()
    collector.register(registry)
    const result = parseExposition(await registry.metrics('openmetrics'), { format: 'openmetrics' })
    if (!result.ok) throw new Error(result.error.message)
    const pid = result.families.find((f) => f.name === 'noa_process_pid')
    expect(pid?.samples[0]?.value).toBe(process.pid)
    expect(result.families.map((f) => f.name)).toContain('noa_process_event_loop_lag_seconds')
    expect(result.families.find((f) => f.name === 'noa_process_heap_used_bytes')?.unit).toBe('bytes')
    const cpu = result.families.find((f) => f.name === 'noa_process_cpu_user_seconds')
    expect(cpu?.type).toBe('counter')
    expect(cpu?.samples[0]?.value).toBeGreaterThan(0)
    // A later scrape adds the CPU time spent since: the counter never goes down.
    const until = performance.now() + 20
    while (performance.now() < until) {
      /* spend CPU */
    }
    const again = parseExposition(await registry.metrics('openmetrics'), { format: 'openmetrics' })
    const later = again.ok ? again.families.find((f) => f.name === 'noa_process_cpu_user_seconds') : undefined
    expect(later?.samples[0]?.value).toBeGreaterThanOrEqual(cpu!.samples[0]!.value)
  })
})
