import { metrics, type ObservableCallback } from '@opentelemetry/api'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { Registry } from '../registry.ts'
import { createMeterProvider } from './provider.ts'
import { expose, recordingLogger, samples } from './test-support.ts'

afterEach(() => {
  metrics.disable()
  vi.useRealTimers()
})

function setup(options: Parameters<typeof createMeterProvider>[1] = { scopeLabels: false }): Registry {
  const registry = new Registry()
  metrics.setGlobalMeterProvider(createMeterProvider(registry, options))
  return registry
}

describe('createMeterProvider: observable instruments', () => {
  it('should write what the callbacks of an observable gauge observe at each exposition, and only that', async () => {
    const registry = setup({})
    let reading: Array<[number, string]> = [
      [0.5, 'sda'],
      [0.25, 'sdb'],
    ]
    const used = metrics.getMeter('disk', '2.0.0').createObservableGauge('disk.used', { unit: '1' })
    used.addCallback((result) => {
      for (const [value, device] of reading) result.observe(value, { device })
    })
    const first = await expose(registry)
    expect(first.openmetrics).toBe(
      [
        '# HELP disk_used_ratio ',
        '# TYPE disk_used_ratio gauge',
        '# UNIT disk_used_ratio ratio',
        'disk_used_ratio{otel_scope_name="disk",otel_scope_version="2.0.0",device="sda"} 0.5',
        'disk_used_ratio{otel_scope_name="disk",otel_scope_version="2.0.0",device="sdb"} 0.25',
        '# EOF',
        '',
      ].join('\n'),
    )
    reading = [[0.75, 'sdb']]
    const { prometheus } = await expose(registry)
    expect(samples(prometheus, 'disk_used_ratio')).toEqual([
      'disk_used_ratio{otel_scope_name="disk",otel_scope_version="2.0.0",device="sdb"} 0.75',
    ])
  })

  it('should bring an observable counter to the observed total, and reset the series when the total goes down', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'))
    const registry = setup()
    let total = 10
    const cpu = metrics.getMeter('proc').createObservableCounter('process.cpu.time', { unit: 's' })
    cpu.addCallback((result) => result.observe(total, { state: 'user' }))
    expect(samples((await expose(registry)).prometheus, 'process_cpu_time')).toEqual([
      'process_cpu_time_seconds_total{state="user"} 10',
    ])
    total = 10.3
    expect(samples(await registry.metrics('openmetrics', { created: true }), 'process_cpu_time')).toEqual([
      'process_cpu_time_seconds_total{state="user"} 10.3',
      `process_cpu_time_seconds_created{state="user"} ${Date.parse('2026-01-01T00:00:00Z') / 1000}`,
    ])
    vi.setSystemTime(new Date('2026-01-01T00:10:00Z'))
    total = 3
    expect(samples(await registry.metrics('openmetrics', { created: true }), 'process_cpu_time')).toEqual([
      'process_cpu_time_seconds_total{state="user"} 3',
      // A lower total is a restart of what is counted: the series starts again, and says when.
      `process_cpu_time_seconds_created{state="user"} ${Date.parse('2026-01-01T00:10:00Z') / 1000}`,
    ])
    total = -1
    const { prometheus } = await expose(registry)
    expect(samples(prometheus, 'process_cpu_time')).toEqual([
      'process_cpu_time_seconds_total{state="user"} 3',
    ])
    expect(samples(prometheus, 'noa_metrics_dropped_samples_total{')).toEqual([
      'noa_metrics_dropped_samples_total{metric="process_cpu_time_seconds_total",reason="invalid_value"} 1',
    ])
  })

  it('should write an observable up-down counter as a gauge and stop observing when the callback is removed', async () => {
    const registry = setup()
    const connections = metrics.getMeter('db').createObservableUpDownCounter('db.connections')
    const callback: ObservableCallback = (result) => result.observe(-4)
    connections.addCallback(callback)
    connections.addCallback(callback)
    expect((await expose(registry)).prometheus).toContain('# TYPE db_connections gauge\ndb_connections -4\n')
    connections.removeCallback(callback)
    expect(samples((await expose(registry)).prometheus, 'db_connections')).toEqual([])
  })

  it('should run a batch callback once per exposition for all its instruments, until it is removed', async () => {
    const registry = setup()
    const meter = metrics.getMeter('pool')
    const idle = meter.createObservableGauge('pool.idle')
    const busy = meter.createObservableGauge('pool.busy')
    let calls = 0
    const callback = (result: Parameters<Parameters<typeof meter.addBatchObservableCallback>[0]>[0]) => {
      calls++
      result.observe(idle, 3)
      result.observe(busy, 5, { pool: 'main' })
    }
    meter.addBatchObservableCallback(callback, [idle, busy])
    const { prometheus } = await expose(registry)
    expect(calls).toBe(2) // one per exposition: expose() writes both formats
    expect([...samples(prometheus, 'pool_idle'), ...samples(prometheus, 'pool_busy')]).toEqual([
      'pool_idle 3',
      'pool_busy{pool="main"} 5',
    ])
    meter.removeBatchObservableCallback(callback, [idle, busy])
    await expose(registry)
    expect(calls).toBe(2)
  })

  it('should count a callback that throws, rejects or hangs, keep the old values, and still answer the scrape', async () => {
    const registry = setup({ scopeLabels: false, callbackTimeoutMs: 50 })
    const meter = metrics.getMeter('flaky')
    let mode: 'ok' | 'throw' | 'reject' | 'hang' = 'ok'
    meter.createObservableGauge('flaky.value').addCallback(async (result) => {
      if (mode === 'ok') result.observe(7, { source: 'a' })
      if (mode === 'throw') throw new Error('boom')
      if (mode === 'reject') await Promise.reject(new Error('later boom'))
      if (mode === 'hang') {
        await new Promise(() => {})
      }
    })
    meter.createObservableGauge('steady').addCallback((result) => result.observe(1))
    await expose(registry)
    for (const next of ['throw', 'reject', 'hang'] as const) {
      mode = next
      const prometheus = await registry.metrics('prometheus')
      expect(samples(prometheus, 'flaky_value')).toEqual(['flaky_value{source="a"} 7'])
      expect(samples(prometheus, 'steady')).toEqual(['steady 1'])
    }
    await expose(registry) // the hanging callback fails twice more, both texts still parse
    expect(samples(registry.render(), 'noa_metrics_dropped_samples_total{')).toEqual([
      'noa_metrics_dropped_samples_total{metric="flaky_value",reason="collect_failed"} 5',
    ])
  })

  it('should ignore an observation made after its callback timed out', async () => {
    const registry = setup({ scopeLabels: false, callbackTimeoutMs: 20 })
    let late: ((value: number) => void) | undefined
    metrics
      .getMeter('slow')
      .createObservableGauge('slow.value')
      .addCallback(async (result) => {
        late = (value) => result.observe(value)
        await new Promise(() => {})
      })
    await registry.metrics()
    expect(late).toBeDefined()
    late?.(42)
    late?.('not a number' as never)
    const text = registry.render()
    expect(samples(text, 'slow_value')).toEqual([])
    // Only the timeout is counted: what the callback did after it belongs to no exposition.
    expect(samples(text, 'noa_metrics_dropped_samples_total{')).toEqual([
      'noa_metrics_dropped_samples_total{metric="slow_value",reason="collect_failed"} 1',
    ])
  })

  it('should bound what one exposition observes by maxSeries, and drop a value that is not a number or an unlisted instrument', async () => {
    const { logger, warnings } = recordingLogger()
    const registry = new Registry()
    metrics.setGlobalMeterProvider(
      createMeterProvider(registry, { scopeLabels: false, maxSeries: 2, logger }),
    )
    const meter = metrics.getMeter('m')
    const sessions = meter.createObservableGauge('sessions')
    const other = meter.createObservableGauge('other')
    meter.addBatchObservableCallback(
      (result) => {
        for (const user of ['a', 'b', 'c']) result.observe(sessions, 1, { user })
        result.observe(sessions, 'many' as never, { user: 'a' })
        result.observe(other, 5)
      },
      [sessions],
    )
    const { prometheus } = await expose(registry)
    expect(samples(prometheus, 'sessions')).toEqual(['sessions{user="a"} 1', 'sessions{user="b"} 1'])
    expect(samples(prometheus, 'other')).toEqual([])
    expect(samples(prometheus, 'noa_metrics_dropped_samples_total{')).toEqual([
      'noa_metrics_dropped_samples_total{metric="sessions",reason="cardinality_limit"} 1',
      'noa_metrics_dropped_samples_total{metric="sessions",reason="invalid_value"} 1',
    ])
    expect(warnings.map((w) => w.message)).toContain(
      'opentelemetry: a batch callback observed an instrument it was not added for; ignored',
    )
  })
})
