import { FakeClock, type Logger } from '@noa/core'
import { afterEach, describe, expect, it } from 'vitest'
import { createProcessCollector, type ProcessCollector } from '../collectors/process/process.ts'
import { createSystemCollector } from '../collectors/system/system.ts'
import { HttpMetrics } from '../middleware/http-metrics.ts'
import { Registry } from '../registry.ts'
import { MetricsCollector } from './collector.ts'

describe('MetricsCollector', () => {
  let proc: ProcessCollector | undefined
  afterEach(() => proc?.stop())

  it("should build a snapshot in the seed's shape from every source", async () => {
    const clock = new FakeClock(Date.parse('2025-10-22T22:00:00.000Z'))
    const registry = new Registry()
    const http = new HttpMetrics({ registry, clock })
    http.record({ method: 'GET', route: '/', status: 200, durationMs: 120 })
    http.record({ method: 'GET', route: '/', status: 500, durationMs: 250 })
    proc = createProcessCollector()
    const collector = new MetricsCollector({
      registry,
      system: createSystemCollector(),
      process: proc,
      http,
      clock,
    })
    collector.setGauge('custom_active_connections', 42)
    collector.incrementCounter('custom_api_calls', 1)
    collector.incrementCounter('custom_api_calls')
    for (const v of [100, 150, 200]) collector.recordHistogram('custom_response_time', v)
    collector.setBusiness('activeUsers', 42)
    collector.incrementBusiness('tasksCompleted', 128)
    const snapshot = await collector.snapshot()
    expect(Object.keys(snapshot)).toEqual(['timestamp', 'system', 'application', 'business', 'custom'])
    expect(snapshot.timestamp).toBe('2025-10-22T22:00:00.000Z')
    expect(snapshot.system.cpu?.usage?.average).toBeGreaterThanOrEqual(0)
    expect(snapshot.system.memory?.usagePercent).toBeGreaterThan(0)
    expect(snapshot.application.process?.pid).toBe(process.pid)
    expect(snapshot.application.requests).toEqual({
      total: 2,
      successful: 1,
      failed: 1,
      errors: 1,
      errorRate: 0.5,
    })
    expect(snapshot.application.latency?.average).toBe(185)
    expect(snapshot.business).toEqual({ activeUsers: 42, tasksCompleted: 128 })
    expect(snapshot.custom).toMatchObject({
      custom_active_connections: 42,
      custom_api_calls: 2,
      custom_response_time_count: 3,
      custom_response_time_avg: 150,
      custom_response_time_max: 200,
    })
    expect(Math.abs(snapshot.custom.custom_response_time_p50! - 150) / 150).toBeLessThanOrEqual(0.01)
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot)
    const text = await registry.metrics()
    expect(text).toContain('custom_active_connections 42\n')
    expect(text).toContain('custom_api_calls_total 2\n')
    expect(text).toContain('custom_response_time{quantile="1"} 200\n')
    expect(text).toContain('business_metric{name="activeUsers"} 42\n')
  })

  it('should give empty sections when it has no sources', async () => {
    const snapshot = await new MetricsCollector().snapshot()
    expect(snapshot.system).toEqual({})
    expect(snapshot.application).toEqual({})
    expect(snapshot.business).toEqual({})
    expect(snapshot.custom).toEqual({})
  })

  it('should ignore bad convenience calls without throwing and warn once each', async () => {
    const warnings: string[] = []
    const logger: Logger = { debug() {}, info() {}, error() {}, warn: (m) => warnings.push(m) }
    const collector = new MetricsCollector({ logger })
    collector.recordHistogram('latency', 5)
    const calls = [
      () => collector.setGauge('bad-name', 1),
      () => collector.setGauge('bad-name', 1),
      () => collector.incrementCounter('latency', 1),
      () => collector.incrementCounter('counter_x', -5),
      () => collector.setGauge('business_metric', 1),
      () => collector.setBusiness('x', Number.NaN),
      () => collector.incrementBusiness('x', Number.POSITIVE_INFINITY),
    ]
    for (const call of calls) expect(call).not.toThrow()
    expect(warnings).toEqual([
      'metrics: ignored a custom metric call for "bad-name": metric names must match [a-zA-Z_:][a-zA-Z0-9_:]*',
      'metrics: ignored a custom metric call for "latency": already a histogram, not a counter',
      'metrics: ignored a custom metric call for "business_metric": business_metric: cannot register gauge: "business_metric" is already written by gauge "business_metric"',
      'metrics: ignored a custom metric call for "x": value must be a number',
      'metrics: ignored a custom metric call for "x": increment must be a finite number',
    ])
    const snapshot = await collector.snapshot()
    expect(snapshot.custom).toEqual({
      latency_count: 1,
      latency_avg: 5,
      latency_p50: 5,
      latency_p95: 5,
      latency_p99: 5,
      latency_max: 5,
      counter_x: 0,
    })
    expect(collector.registry.droppedSamples()).toEqual([
      { metric: 'counter_x', reason: 'invalid_value', count: 1 },
    ])
  })
})
