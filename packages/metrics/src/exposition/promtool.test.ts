import { execFileSync, spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { collectDefaultMetrics } from '../defaults.ts'
import { HttpMetrics } from '../middleware/http-metrics.ts'
import { Registry } from '../registry.ts'
import { MetricsCollector } from '../snapshot/collector.ts'

function findPromtool(): string | undefined {
  try {
    return execFileSync('which', ['promtool'], { encoding: 'utf8' }).trim() || undefined
  } catch {
    return undefined
  }
}

const promtool = findPromtool()
if (promtool === undefined)
  console.warn('promtool not found: skipping the promtool check of the exposition (apt install prometheus)')

describe.skipIf(promtool === undefined)('exposition checked by promtool', () => {
  it('should pass `promtool check metrics` (parse and lint) for every metric type', async () => {
    const registry = new Registry()
    const counter = registry.counter({
      name: 'http_requests_total',
      help: 'Requests "served"\nby \\ us',
      labelNames: ['method', 'route'],
    })
    counter.inc({ method: 'GET', route: 'a"b\\c\nd' })
    counter.inc({ method: 'GET' } as never)
    registry.gauge({ name: 'room_temperature_celsius', help: 'Room', unit: 'celsius' }).set(Number.NaN)
    registry
      .histogram({ name: 'request_duration_seconds', help: 'Latency', labelNames: ['route'] })
      .observe({ route: '/' }, 0.3)
    registry.summary({ name: 'payload_bytes', help: 'Payload' }).observe(3)
    const result = spawnSync(promtool as string, ['check', 'metrics'], {
      input: await registry.metrics(),
      encoding: 'utf8',
    })
    expect({ status: result.status, out: result.stdout + result.stderr }).toEqual({ status: 0, out: '' })
  })

  // Lint, not only parse: a gauge named `_count` (noa_system_cpu_count) made promtool exit 3.
  it.each(['noa', 'prom-client'] as const)(
    'should pass for a registry with every collector registered (%s names)',
    async (naming) => {
      const registry = new Registry()
      const defaults = collectDefaultMetrics(registry, { process: { naming } })
      try {
        const http = new HttpMetrics({ registry })
        http.record({ method: 'GET', route: '/users/:id', status: 200, durationMs: 12, bytes: 300 })
        http.record({ method: 'POST', route: '/users', status: 503, durationMs: 40 })
        const collector = new MetricsCollector({
          registry,
          system: defaults.system,
          process: defaults.process,
          http,
        })
        collector.setGauge('custom_active_connections', 42)
        collector.incrementCounter('custom_api_calls', 1)
        collector.recordHistogram('custom_response_time', 150)
        collector.setBusiness('activeUsers', 42)
        await collector.snapshot()
        const result = spawnSync(promtool as string, ['check', 'metrics'], {
          input: await registry.metrics(),
          encoding: 'utf8',
        })
        expect({ status: result.status, out: result.stdout + result.stderr }).toEqual({ status: 0, out: '' })
      } finally {
        defaults.stop()
      }
    },
  )
})
