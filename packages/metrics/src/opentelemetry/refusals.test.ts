import { ConfigError } from '@noa/core'
import { metrics } from '@opentelemetry/api'
import { afterEach, describe, expect, it } from 'vitest'
import { Registry } from '../registry.ts'
import { createMeterProvider } from './provider.ts'
import { expose, recordingLogger, samples } from './test-support.ts'

afterEach(() => {
  metrics.disable()
})

describe('createMeterProvider: duplicates and refusals', () => {
  it('should return the same instrument for the same name and kind, and add to the same series', async () => {
    const registry = new Registry()
    metrics.setGlobalMeterProvider(createMeterProvider(registry, { scopeLabels: false }))
    const meter = metrics.getMeter('m')
    const first = meter.createCounter('jobs.done', { description: 'Jobs done' })
    const again = meter.createCounter('jobs.done', { description: 'Jobs done' })
    expect(again).toBe(first)
    first.add(1)
    again.add(2)
    const observable = meter.createObservableGauge('temperature')
    expect(meter.createObservableGauge('temperature')).toBe(observable)
    const { prometheus } = await expose(registry)
    expect(samples(prometheus, 'jobs_done_total')).toEqual(['jobs_done_total 3'])
    expect(prometheus).not.toContain('noa_opentelemetry')
  })

  it('should refuse a name taken by another kind or by a metric of the registry with a no-op, counted and warned once', async () => {
    const { logger, warnings } = recordingLogger()
    const registry = new Registry()
    registry.gauge({ name: 'queue_depth', help: 'set by hand' }).set(9)
    metrics.setGlobalMeterProvider(createMeterProvider(registry, { scopeLabels: false, logger }))
    const meter = metrics.getMeter('m')
    meter.createCounter('requests').add(1)
    const clash = meter.createHistogram('requests')
    const clashAgain = meter.createHistogram('requests')
    expect(() => clash.record(5)).not.toThrow()
    clashAgain.record(5)
    const depth = meter.createUpDownCounter('queue.depth')
    depth.add(100)
    const observable = meter.createObservableCounter('requests')
    expect(() => observable.addCallback((result) => result.observe(1))).not.toThrow()
    meter.createCounter('1st.bad name').add(1)
    meter.createCounter('requests.created').add(1) // would write requests_created, which counter requests writes
    const { prometheus } = await expose(registry)
    expect(samples(prometheus, 'requests')).toEqual(['requests_total 1'])
    expect(samples(prometheus, 'queue_depth')).toEqual(['queue_depth 9'])
    expect(samples(prometheus, 'noa_opentelemetry_instruments_refused_total')).toEqual([
      'noa_opentelemetry_instruments_refused_total{reason="kind_conflict"} 3',
      'noa_opentelemetry_instruments_refused_total{reason="name_clash"} 2',
      'noa_opentelemetry_instruments_refused_total{reason="invalid_name"} 1',
    ])
    // One warning per reason and instrument name: the second histogram and the observable counter
    // named "requests" are counted, not warned again.
    expect(warnings.map((w) => w.message)).toEqual([
      'opentelemetry: instrument "requests" (histogram) refused: requests would write "requests", as requests_total (counter) does',
      expect.stringMatching(/^opentelemetry: instrument "queue\.depth" refused: .*queue_depth/),
      'opentelemetry: instrument name "1st.bad name" refused: names are a letter then up to 254 of [a-zA-Z0-9_.-/]',
      'opentelemetry: instrument "requests.created" (counter) refused: requests_created_total would write "requests_created", as requests_total (counter) does',
    ])
  })

  it('should bound the metrics and the callbacks of a provider', async () => {
    const registry = new Registry()
    metrics.setGlobalMeterProvider(createMeterProvider(registry, { maxInstruments: 2, maxCallbacks: 1 }))
    const meter = metrics.getMeter('m')
    meter.createCounter('a').add(1)
    const b = meter.createObservableGauge('b')
    b.addCallback((result) => result.observe(1))
    b.addCallback((result) => result.observe(2))
    meter.createCounter('c').add(1)
    expect(meter.createCounter('a')).not.toBe(meter.createCounter('c'))
    const { prometheus } = await expose(registry)
    expect(samples(prometheus, 'b{')).toEqual(['b{otel_scope_name="m"} 1'])
    expect(samples(prometheus, 'c_total')).toEqual([])
    expect(samples(prometheus, 'noa_opentelemetry_instruments_refused_total')).toEqual([
      'noa_opentelemetry_instruments_refused_total{reason="callback_limit"} 1',
      'noa_opentelemetry_instruments_refused_total{reason="instrument_limit"} 2',
    ])
  })

  it('should warn when an instrument is created again with other settings, and keep the first', async () => {
    const { logger, warnings } = recordingLogger()
    const registry = new Registry()
    metrics.setGlobalMeterProvider(createMeterProvider(registry, { scopeLabels: false, logger }))
    const meter = metrics.getMeter('m')
    meter.createHistogram('size', { advice: { explicitBucketBoundaries: [1, 2] } }).record(1)
    meter.createHistogram('size', { advice: { explicitBucketBoundaries: [5] } }).record(1)
    const { prometheus } = await expose(registry)
    expect(samples(prometheus, 'size_bucket')).toEqual([
      'size_bucket{le="1"} 2',
      'size_bucket{le="2"} 2',
      'size_bucket{le="+Inf"} 2',
    ])
    expect(warnings.map((w) => w.message)).toEqual([
      'opentelemetry: instrument "size" created again with another description or buckets; the first ones are kept',
    ])
  })

  it('should refuse invalid options when the provider is made, naming each', () => {
    const registry = new Registry()
    try {
      createMeterProvider(registry, { maxSeries: 0, scopeLabels: 'yes' as never, callbackTimeoutMs: -1 })
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError)
      expect((error as ConfigError).issues).toEqual([
        { path: 'opentelemetry.scopeLabels', message: 'must be a boolean; found string' },
        { path: 'opentelemetry.maxSeries', message: 'must be an integer >= 1; found 0' },
        { path: 'opentelemetry.callbackTimeoutMs', message: 'must be a finite number > 0; found -1' },
      ])
    }
  })
})
