import { metrics } from '@opentelemetry/api'
import { afterEach, describe, expect, it } from 'vitest'
import { Registry } from '../registry.ts'
import { createMeterProvider } from './provider.ts'
import { expose, samples } from './test-support.ts'

afterEach(() => {
  metrics.disable()
})

function setup(options: Parameters<typeof createMeterProvider>[1] = {}): Registry {
  const registry = new Registry()
  metrics.setGlobalMeterProvider(createMeterProvider(registry, options))
  return registry
}

describe('createMeterProvider: synchronous instruments', () => {
  it('should write a counter with its scope, attributes and unit annotation dropped, in both formats', async () => {
    const registry = setup()
    const orders = metrics.getMeter('shop', '1.2.0').createCounter('shop.orders', {
      description: 'Orders placed',
      unit: '{order}',
    })
    orders.add(2, { 'payment.method': 'card' })
    orders.add(1, { 'payment.method': 'cash', retry: true })
    orders.add(3, { 'payment.method': 'card' })
    const { prometheus, openmetrics } = await expose(registry)
    expect(prometheus).toBe(
      [
        '# HELP shop_orders_total Orders placed',
        '# TYPE shop_orders_total counter',
        'shop_orders_total{otel_scope_name="shop",otel_scope_version="1.2.0",payment_method="card"} 5',
        'shop_orders_total{otel_scope_name="shop",otel_scope_version="1.2.0",payment_method="cash",retry="true"} 1',
        '',
      ].join('\n'),
    )
    expect(openmetrics).toBe(
      [
        '# HELP shop_orders Orders placed',
        '# TYPE shop_orders counter',
        'shop_orders_total{otel_scope_name="shop",otel_scope_version="1.2.0",payment_method="card"} 5',
        'shop_orders_total{otel_scope_name="shop",otel_scope_version="1.2.0",payment_method="cash",retry="true"} 1',
        '# EOF',
        '',
      ].join('\n'),
    )
  })

  it('should write an up-down counter and a gauge as gauges, with their unit suffix and # UNIT line', async () => {
    const registry = setup()
    const meter = metrics.getMeter('worker')
    const inFlight = meter.createUpDownCounter('jobs.in_flight', { unit: '{job}' })
    inFlight.add(3, { queue: 'mail' })
    inFlight.add(-1, { queue: 'mail' })
    inFlight.add(-2, { queue: 'sms' })
    const heap = meter.createGauge('process.heap.used', { unit: 'By', description: 'Heap in use' })
    heap.record(1000)
    heap.record(1500)
    const { prometheus, openmetrics } = await expose(registry)
    expect(prometheus).toBe(
      [
        '# HELP jobs_in_flight ',
        '# TYPE jobs_in_flight gauge',
        'jobs_in_flight{otel_scope_name="worker",queue="mail"} 2',
        'jobs_in_flight{otel_scope_name="worker",queue="sms"} -2',
        '# HELP process_heap_used_bytes Heap in use',
        '# TYPE process_heap_used_bytes gauge',
        'process_heap_used_bytes{otel_scope_name="worker"} 1500',
        '',
      ].join('\n'),
    )
    expect(openmetrics).toContain(
      '# TYPE process_heap_used_bytes gauge\n# UNIT process_heap_used_bytes bytes\nprocess_heap_used_bytes{otel_scope_name="worker"} 1500\n',
    )
  })

  it('should use the advice bucket boundaries of a histogram, as given', async () => {
    const registry = setup({ scopeLabels: false })
    const duration = metrics.getMeter('http').createHistogram('http.server.request.duration', {
      unit: 's',
      advice: { explicitBucketBoundaries: [0.1, 0.5, 2] },
    })
    duration.record(0.05, { 'http.route': '/a' })
    duration.record(0.3, { 'http.route': '/a' })
    duration.record(7, { 'http.route': '/a' })
    const { prometheus, openmetrics } = await expose(registry)
    expect(prometheus).toBe(
      [
        '# HELP http_server_request_duration_seconds ',
        '# TYPE http_server_request_duration_seconds histogram',
        'http_server_request_duration_seconds_bucket{http_route="/a",le="0.1"} 1',
        'http_server_request_duration_seconds_bucket{http_route="/a",le="0.5"} 2',
        'http_server_request_duration_seconds_bucket{http_route="/a",le="2"} 2',
        'http_server_request_duration_seconds_bucket{http_route="/a",le="+Inf"} 3',
        'http_server_request_duration_seconds_sum{http_route="/a"} 7.35',
        'http_server_request_duration_seconds_count{http_route="/a"} 3',
        '',
      ].join('\n'),
    )
    expect(openmetrics).toContain('# UNIT http_server_request_duration_seconds seconds\n')
  })

  it("should use noa's default buckets without advice (or with advice noa cannot take) and keep milliseconds as given", async () => {
    const registry = setup({ scopeLabels: false })
    const meter = metrics.getMeter('db')
    meter.createHistogram('db.duration', { unit: 'ms' }).record(3)
    meter.createHistogram('db.rows', { advice: { explicitBucketBoundaries: [10, 5] } }).record(3)
    const { prometheus } = await expose(registry)
    expect(samples(prometheus, 'db_duration_milliseconds_bucket').map((l) => l.split(' ')[0])).toEqual([
      ...['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf'].map(
        (le) => `db_duration_milliseconds_bucket{le="${le}"}`,
      ),
    ])
    expect(samples(prometheus, 'db_duration_milliseconds_count')).toEqual([
      'db_duration_milliseconds_count 1',
    ])
    expect(samples(prometheus, 'db_rows_bucket')).toHaveLength(12)
  })

  it('should sanitise attribute keys, join two keys that collide with ";" and write arrays as JSON', async () => {
    const registry = setup({ scopeLabels: false })
    const counter = metrics.getMeter('m').createCounter('calls')
    const attributes = {
      'a.b': 'dot',
      'a-b': 'dash',
      '2xx': 200,
      tags: ['x', 'y'],
      gone: undefined,
      le: 'kept',
    }
    counter.add(1, attributes)
    // Again, once the label names exist: the same series (the keys still meet on a_b).
    counter.add(1, { le: 'kept', tags: ['x', 'y'], '2xx': 200, 'a-b': 'dash', 'a.b': 'dot' })
    counter.add(1, { a_b: 'plain' })
    const { prometheus } = await expose(registry)
    expect(samples(prometheus, 'calls_total')).toEqual([
      'calls_total{key_2xx="200",a_b="dash;dot",le="kept",tags="[\\"x\\",\\"y\\"]"} 2',
      'calls_total{a_b="plain"} 1',
    ])
  })

  it('should keep one family when recordings bring different attribute keys, an absent key written as no label', async () => {
    const registry = setup({ scopeLabels: false })
    const requests = metrics.getMeter('m').createCounter('requests')
    requests.add(1)
    requests.add(2, { method: 'GET' })
    requests.add(4, { method: 'GET', code: 200 })
    requests.add(8, { code: 500 })
    requests.add(16, { method: '' })
    const latency = metrics
      .getMeter('m')
      .createHistogram('latency', { advice: { explicitBucketBoundaries: [1] } })
    latency.record(0.5, { route: '/x' })
    const { prometheus } = await expose(registry)
    expect(samples(prometheus, 'requests_total')).toEqual([
      'requests_total 17',
      'requests_total{method="GET"} 2',
      'requests_total{method="GET",code="200"} 4',
      'requests_total{code="500"} 8',
    ])
    // The zero series a metric without labels starts with is not kept when no recording made it.
    expect(samples(prometheus, 'latency_count')).toEqual(['latency_count{route="/x"} 1'])
  })

  it('should drop and count what noa refuses: a negative counter add, a negative histogram value, an object attribute, attributes that throw', async () => {
    const registry = setup({ scopeLabels: false })
    const meter = metrics.getMeter('m')
    const counter = meter.createCounter('c')
    expect(() => counter.add(-1)).not.toThrow()
    counter.add(1, { bad: { nested: true } } as never)
    meter.createHistogram('h').record(-3)
    const hostile = {
      get boom(): string {
        throw new Error('getter')
      },
    }
    expect(() => counter.add(1, hostile as never)).not.toThrow()
    const { prometheus } = await expose(registry)
    expect(samples(prometheus, 'noa_metrics_dropped_samples_total{')).toEqual([
      'noa_metrics_dropped_samples_total{metric="c_total",reason="invalid_value"} 1',
      'noa_metrics_dropped_samples_total{metric="c_total",reason="invalid_label_value"} 2',
      'noa_metrics_dropped_samples_total{metric="h",reason="invalid_value"} 1',
    ])
  })

  it('should bound the series of an instrument by maxSeries and count what is dropped', async () => {
    const registry = setup({ maxSeries: 3, scopeLabels: false })
    const counter = metrics.getMeter('m').createCounter('users.seen')
    for (let i = 0; i < 5; i++) counter.add(1, { user: `u${i}` })
    const { prometheus } = await expose(registry)
    expect(samples(prometheus, 'users_seen_total')).toEqual([
      'users_seen_total{user="u0"} 1',
      'users_seen_total{user="u1"} 1',
      'users_seen_total{user="u2"} 1',
    ])
    expect(samples(prometheus, 'noa_metrics_dropped_samples_total{')).toEqual([
      'noa_metrics_dropped_samples_total{metric="users_seen_total",reason="cardinality_limit"} 2',
    ])
  })

  it('should bound the label names of an instrument by maxLabelNames (scope labels included)', async () => {
    const registry = setup({ maxLabelNames: 3 })
    const counter = metrics.getMeter('m').createCounter('c')
    counter.add(1, { a: '1' })
    counter.add(1, { b: '1' })
    counter.add(1, { a: '2' })
    const { prometheus } = await expose(registry)
    expect(samples(prometheus, 'c_total')).toEqual([
      'c_total{otel_scope_name="m",a="1"} 1',
      'c_total{otel_scope_name="m",a="2"} 1',
    ])
    expect(samples(prometheus, 'noa_metrics_dropped_samples_total{')).toEqual([
      'noa_metrics_dropped_samples_total{metric="c_total",reason="extra_label"} 1',
    ])
  })

  it('should join an attribute that meets a scope label with it, as two attributes are joined', async () => {
    const registry = setup()
    const counter = metrics.getMeter('lib', '2').createCounter('c')
    counter.add(1, { 'otel.scope.name': 'mine' })
    counter.add(1, { 'otel.scope.name': 'mine' })
    const { prometheus } = await expose(registry)
    expect(samples(prometheus, 'c_total')).toEqual([
      'c_total{otel_scope_name="lib;mine",otel_scope_version="2"} 2',
    ])
  })

  it('should keep the series of two meters apart by their scope labels, or merge them when scope labels are off', async () => {
    for (const scopeLabels of [true, false]) {
      const registry = setup({ scopeLabels })
      metrics.getMeter('lib.a', '1.0.0').createCounter('shared').add(1)
      metrics.getMeter('lib.b').createCounter('shared').add(2)
      const { prometheus } = await expose(registry)
      expect(samples(prometheus, 'shared_total')).toEqual(
        scopeLabels
          ? [
              'shared_total{otel_scope_name="lib.a",otel_scope_version="1.0.0"} 1',
              'shared_total{otel_scope_name="lib.b"} 2',
            ]
          : ['shared_total 3'],
      )
      metrics.disable()
    }
  })
})
