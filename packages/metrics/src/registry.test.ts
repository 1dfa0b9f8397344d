import { ConfigError, FakeClock, type Logger } from '@noa/core'
import { describe, expect, it } from 'vitest'
import { Counter } from './counter.ts'
import { Gauge } from './gauge.ts'
import { Histogram } from './histogram.ts'
import { DEFAULT_MAX_SERIES } from './metric.ts'
import { Registry } from './registry.ts'
import { Summary } from './summary.ts'
import { recordingLogger } from './testing/logger.ts'

function thrown(fn: () => unknown): ConfigError {
  try {
    fn()
  } catch (error) {
    if (error instanceof ConfigError) return error
    throw error
  }
  throw new Error('expected a ConfigError')
}

describe('metric construction', () => {
  it('should refuse invalid metric and label names naming the metric and the rule', () => {
    const error = thrown(
      () => new Counter({ name: 'http-requests', help: 'x', labelNames: ['1bad', '__x', 'ok', 'ok'] }),
    )
    expect(error.issues).toEqual([
      {
        path: 'http-requests.name',
        message: 'metric names must match [a-zA-Z_:][a-zA-Z0-9_:]*; found "http-requests"',
      },
      {
        path: 'http-requests.labelNames[0]',
        message: 'label names must match [a-zA-Z_][a-zA-Z0-9_]*; found "1bad"',
      },
      {
        path: 'http-requests.labelNames[1]',
        message: 'label names starting with "__" are reserved; found "__x"',
      },
      { path: 'http-requests.labelNames[3]', message: 'label "ok" is listed twice' },
    ])
  })

  it('should reserve le for histograms and quantile for summaries', () => {
    expect(thrown(() => new Histogram({ name: 'h', help: '', labelNames: ['le'] })).message).toBe(
      'h.labelNames[0]: label "le" is reserved for histogram buckets',
    )
    expect(thrown(() => new Summary({ name: 's', help: '', labelNames: ['quantile'] })).message).toBe(
      's.labelNames[0]: label "quantile" is reserved for summary quantiles',
    )
    expect(() => new Gauge({ name: 'g', help: '', labelNames: ['le', 'quantile'] })).not.toThrow()
  })

  it('should refuse bad buckets, units and options with every problem at once', () => {
    expect(
      thrown(() => new Histogram({ name: 'h', help: '', buckets: [1, 1, -2, Number.NaN] })).issues,
    ).toEqual([
      { path: 'h.buckets[1]', message: 'buckets must be strictly increasing; found 1 after 1' },
      { path: 'h.buckets[2]', message: 'must be a finite number >= 0; found -2' },
      { path: 'h.buckets[3]', message: 'must be a finite number >= 0; found NaN' },
    ])
    expect(thrown(() => new Histogram({ name: 'h', help: '', buckets: [] })).message).toContain('h.buckets')
    expect(thrown(() => new Gauge({ name: 'latency', help: '', unit: 'seconds' })).message).toBe(
      'latency.unit: OpenMetrics requires the metric name to end with "_seconds" when its unit is "seconds"',
    )
    expect(thrown(() => new Gauge({ name: 'x', help: '', unit: 'a b' })).message).toContain(
      'units must match',
    )
    expect(() => new Counter({ name: 'wait_seconds_total', help: '', unit: 'seconds' })).not.toThrow()
    const summary = thrown(
      () =>
        new Summary({
          name: 's',
          help: 3 as unknown as string,
          percentiles: [0.5, 2],
          relativeAccuracy: 0,
          maxBuckets: 2,
          maxAgeSeconds: -1,
          ageBuckets: 0,
          maxSeries: 0,
        }),
    )
    expect(summary.issues.map((i) => i.path)).toEqual([
      's.help',
      's.maxSeries',
      's.percentiles[1]',
      's.relativeAccuracy',
      's.maxBuckets',
      's.maxAgeSeconds',
      's.ageBuckets',
    ])
    expect(thrown(() => new Gauge({ name: 'g', help: '', collect: 1 as never })).message).toContain(
      'g.collect',
    )
    expect(thrown(() => new Gauge(undefined as never)).message).toContain('(unnamed metric).name')
  })
})

describe('Registry', () => {
  it('should refuse a second metric with the same name or a clashing sample name', () => {
    const registry = new Registry()
    registry.counter({ name: 'jobs_total', help: '' })
    expect(thrown(() => registry.gauge({ name: 'jobs_total', help: '' })).message).toBe(
      'jobs_total: cannot register gauge: "jobs_total" is already written by counter "jobs_total"',
    )
    expect(thrown(() => registry.counter({ name: 'jobs', help: '' })).message).toContain(
      '"jobs_total" is already written by counter "jobs_total"',
    )
    registry.histogram({ name: 'latency', help: '' })
    expect(thrown(() => registry.gauge({ name: 'latency_bucket', help: '' })).message).toContain(
      'histogram "latency"',
    )
    expect(
      thrown(() => registry.gauge({ name: 'noa_metrics_dropped_samples_total', help: '' })).message,
    ).toContain("the SDK's own noa_metrics_dropped_samples_total")
    expect(registry.unregister('latency')).toBe(true)
    expect(registry.unregister('latency')).toBe(false)
    expect(() => registry.gauge({ name: 'latency_bucket', help: '' })).not.toThrow()
    expect(registry.list().map((m) => m.name)).toEqual(['jobs_total', 'latency_bucket'])
    expect(registry.get('jobs_total')?.type).toBe('counter')
  })

  it('should keep registries apart (no global default registry)', async () => {
    const a = new Registry()
    const b = new Registry()
    a.counter({ name: 'only_in_a', help: '' })
    expect(await b.metrics()).toBe('')
    expect(await b.metrics('openmetrics')).toBe('# EOF\n')
  })

  it('should run collect callbacks before writing, and count failing ones', async () => {
    const registry = new Registry()
    let calls = 0
    registry.gauge({ name: 'calls', help: '', collect: (g) => g.set(++calls) })
    registry.gauge({
      name: 'async_value',
      help: '',
      collect: async (g) => {
        await Promise.resolve()
        g.set(7)
      },
    })
    registry.gauge({
      name: 'broken',
      help: '',
      collect: () => {
        throw new Error('boom')
      },
    })
    registry.gauge({ name: 'broken_async', help: '', collect: () => Promise.reject(new Error('boom')) })
    let total = 0
    registry.counter({ name: 'pulled_total', help: '', collect: (c) => c.inc(++total) })
    registry.counter({
      name: 'pulled_broken_total',
      help: '',
      collect: () => {
        throw new Error('boom')
      },
    })
    const text = await registry.metrics()
    expect(text).toContain('calls 1\n')
    expect(text).toContain('async_value 7\n')
    expect(text).toContain('noa_metrics_dropped_samples_total{metric="broken",reason="collect_failed"} 1\n')
    expect(text).toContain(
      'noa_metrics_dropped_samples_total{metric="broken_async",reason="collect_failed"} 1\n',
    )
    expect(text).toContain('pulled_total 1\n')
    expect(text).toContain(
      'noa_metrics_dropped_samples_total{metric="pulled_broken_total",reason="collect_failed"} 1\n',
    )
    expect(await registry.metrics()).toContain('pulled_total 3\n')
    expect(registry.render()).toContain('calls 2\n')
  })

  it('should give the content type of each format', () => {
    const registry = new Registry()
    expect(registry.contentType()).toBe('text/plain; version=0.0.4; charset=utf-8')
    expect(registry.contentType('openmetrics')).toBe(
      'application/openmetrics-text; version=1.0.0; charset=utf-8',
    )
  })
})

describe('recording path', () => {
  it('should never throw: bad values and label sets are dropped, counted by reason and warned once', () => {
    const { logger, warnings } = recordingLogger()
    const registry = new Registry({ logger })
    const counter = registry.counter({ name: 'req_total', help: '', labelNames: ['method'] })
    const bad: Array<() => void> = [
      () => counter.inc({ method: 'GET' }, -1),
      () => counter.inc({ method: 'GET' }, Number.NaN),
      () => counter.inc({ method: 'GET' }, Number.POSITIVE_INFINITY),
      () => counter.inc({ method: 'GET' }, '3' as unknown as number),
      () => counter.inc({} as never),
      () => counter.inc({ method: 'GET', extra: 'x' } as never),
      () => counter.inc({ method: { no: 1 } } as never),
      () => counter.inc({ method: Symbol('s') } as never),
      () => counter.inc(null as never),
      () => counter.inc(),
      () => counter.labels({} as never).inc(),
    ]
    for (const call of bad) expect(call).not.toThrow()
    expect(counter.get({ method: 'GET' })).toBe(0)
    expect(registry.droppedSamples()).toEqual([
      { metric: 'req_total', reason: 'invalid_value', count: 4 },
      { metric: 'req_total', reason: 'missing_label', count: 4 },
      { metric: 'req_total', reason: 'extra_label', count: 1 },
      { metric: 'req_total', reason: 'invalid_label_value', count: 2 },
    ])
    expect(warnings).toEqual([
      {
        message: 'metrics: dropped a sample of req_total',
        fields: { metric: 'req_total', reason: 'invalid_value' },
      },
      {
        message: 'metrics: dropped a sample of req_total',
        fields: { metric: 'req_total', reason: 'missing_label' },
      },
      {
        message: 'metrics: dropped a sample of req_total',
        fields: { metric: 'req_total', reason: 'extra_label' },
      },
      {
        message: 'metrics: dropped a sample of req_total',
        fields: { metric: 'req_total', reason: 'invalid_label_value' },
      },
    ])
  })

  it('should drop label sets past the cardinality limit and count them', () => {
    const registry = new Registry()
    const counter = registry.counter({ name: 'by_user_total', help: '', labelNames: ['user'], maxSeries: 3 })
    for (let i = 0; i < 10; i++) counter.inc({ user: `u${i}` })
    counter.inc({ user: 'u0' })
    expect(counter.seriesCount).toBe(3)
    expect(counter.get({ user: 'u0' })).toBe(2)
    expect(counter.get({ user: 'u5' })).toBeUndefined()
    expect(registry.droppedSamples()).toEqual([
      { metric: 'by_user_total', reason: 'cardinality_limit', count: 7 },
    ])
    expect(registry.render()).toContain(
      'noa_metrics_dropped_samples_total{metric="by_user_total",reason="cardinality_limit"} 7\n',
    )
    expect(DEFAULT_MAX_SERIES).toBe(2000)
    const bound = counter.labels({ user: 'late' })
    bound.inc()
    bound.inc()
    expect(registry.droppedSamples()[0]?.count).toBe(9)
  })

  it('should keep a logger that throws away from the host service', () => {
    const logger: Logger = {
      debug() {},
      info() {},
      warn() {
        throw new Error('logger down')
      },
      error() {},
    }
    const counter = new Counter({ name: 'c', help: '', logger })
    expect(() => counter.inc(-1)).not.toThrow()
    const registry = new Registry()
    registry.register(counter)
    expect(counter.logger).toBe(logger)
  })

  it('should record through bound label sets and treat numbers and booleans as their string form', () => {
    const counter = new Counter({ name: 'c_total', help: '', labelNames: ['code', 'ok'] })
    const bound = counter.labels({ code: 200, ok: true })
    bound.inc()
    bound.inc(2)
    counter.inc({ code: '200', ok: 'true' })
    expect(counter.get({ code: '200', ok: 'true' })).toBe(4)
    expect(counter.seriesCount).toBe(1)
    expect(counter.remove({ code: 200, ok: true })).toBe(true)
    expect(counter.remove({ code: 200, ok: true })).toBe(false)
    expect(counter.seriesCount).toBe(0)
    counter.inc({ code: 500, ok: false })
    counter.reset()
    expect(counter.seriesCount).toBe(0)
  })

  it('should set, increase and decrease gauges, keeping NaN only through set', () => {
    const gauge = new Gauge({ name: 'g', help: '', labelNames: ['k'] })
    gauge.set({ k: 'a' }, 5)
    gauge.inc({ k: 'a' })
    gauge.inc({ k: 'a' }, 2)
    gauge.dec({ k: 'a' })
    gauge.dec({ k: 'a' }, 0.5)
    gauge.inc({ k: 'a' }, Number.NaN)
    gauge.dec({ k: 'a' }, Number.POSITIVE_INFINITY)
    gauge.set({ k: 'a' }, 'x' as unknown as number)
    expect(gauge.get({ k: 'a' })).toBe(6.5)
    const bound = gauge.labels({ k: 'b' })
    bound.set(Number.NaN)
    expect(gauge.get({ k: 'b' })).toBeNaN()
    expect(gauge.drops.get('invalid_value')).toBe(3)
    gauge.set(1)
    gauge.inc()
    gauge.dec()
    expect(gauge.drops.get('missing_label')).toBe(3)
    gauge.labels({} as never).set(1)
    expect(gauge.drops.get('missing_label')).toBe(4)
    const plain = new Gauge({ name: 'p', help: '' })
    plain.inc(3)
    plain.dec()
    expect(plain.get()).toBe(2)
    plain.reset()
    expect(plain.get()).toBe(0)
  })

  it('should observe histograms into the right buckets and time with the clock', async () => {
    const clock = new FakeClock()
    const histogram = new Histogram({ name: 'h', help: '', buckets: [1, 2], labelNames: ['r'], clock })
    for (const v of [0, 1, 1.5, 2, 9]) histogram.observe({ r: 'x' }, v)
    histogram.observe({ r: 'x' }, -1)
    histogram.observe({ r: 'x' }, Number.NaN)
    expect(histogram.get({ r: 'x' })).toEqual({ count: 5, sum: 13.5, buckets: { '1': 2, '2': 4, '+Inf': 5 } })
    const end = histogram.startTimer({ r: 'y' })
    await clock.advance(250)
    expect(end()).toBe(0.25)
    expect(histogram.get({ r: 'y' })?.sum).toBe(0.25)
    histogram.observe(1)
    histogram.startTimer()()
    histogram.labels({} as never).startTimer()()
    histogram.labels({} as never).observe(1)
    expect(histogram.drops.get('missing_label')).toBe(4)
    expect(histogram.drops.get('invalid_value')).toBe(2)
    expect(histogram.get({ r: 'none' })).toBeUndefined()
    const plain = new Histogram({ name: 'p', help: '', clock })
    const stop = plain.startTimer()
    await clock.advance(1500)
    stop()
    expect(plain.get()?.buckets['2.5']).toBe(1)
  })

  it('should give summary quantiles within the stated error and window them by age', async () => {
    const clock = new FakeClock()
    const summary = new Summary({ name: 's', help: '', maxAgeSeconds: 60, ageBuckets: 3, clock })
    for (let v = 1; v <= 1000; v++) summary.observe(v)
    const first = summary.get()!
    expect(first.count).toBe(1000)
    expect(first.quantiles[1]).toBe(1000)
    expect(Math.abs(first.quantiles[0.5]! - 500) / 500).toBeLessThanOrEqual(0.01)
    expect(Math.abs(first.quantiles[0.99]! - 990) / 990).toBeLessThanOrEqual(0.01)
    await clock.advance(30_000)
    summary.observe(5)
    expect(summary.get()?.quantiles[1]).toBe(1000)
    await clock.advance(45_000)
    expect(summary.get()?.quantiles[1]).toBe(5)
    expect(summary.get()?.count).toBe(1001)
    await clock.advance(600_000)
    expect(summary.get()?.quantiles[0.5]).toBeNaN()
    summary.observe(-1)
    summary.observe(1)
    summary.startTimer()()
    const labelled = new Summary({ name: 'l', help: '', labelNames: ['k'], clock })
    const end = labelled.startTimer({ k: 'a' })
    await clock.advance(100)
    end()
    labelled.observe({ k: 'a' }, 2)
    labelled.observe(3)
    labelled.startTimer()()
    labelled.labels({} as never).observe(1)
    expect(labelled.get({ k: 'a' })?.count).toBe(2)
    expect(labelled.get({ k: 'b' })).toBeUndefined()
    expect(labelled.drops.get('missing_label')).toBe(3)
  })
})
