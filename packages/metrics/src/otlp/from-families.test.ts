import { FakeClock } from '@noa/core'
import { describe, expect, it } from 'vitest'
import { parseExposition } from '../exposition/parse.ts'
import { Registry } from '../registry.ts'
import { otlpMetricsOf } from './from-families.ts'
import type { OtlpHistogramPoint, OtlpMetric } from './model.ts'
import { registryOtlpMetrics } from './registry-metrics.ts'

const timeMs = Date.parse('2026-12-07T03:00:00Z')
const startMs = Date.parse('2026-12-07T00:00:00Z')

function convert(text: string, format: 'openmetrics' | 'prometheus'): OtlpMetric[] {
  const parsed = parseExposition(text, { format })
  if (!parsed.ok) throw new Error(parsed.error.message)
  return otlpMetricsOf(parsed.families, { timeMs, startMs })
}

const byName = (metrics: OtlpMetric[], name: string) => {
  const m = metrics.find((x) => x.name === name)
  if (!m) throw new Error(`no ${name} in ${metrics.map((x) => x.name).join(', ')}`)
  return m
}

describe('otlpMetricsOf', () => {
  it('turns an OpenMetrics counter into a monotonic cumulative sum without _total, started at _created', () => {
    const metrics = convert(
      [
        '# TYPE jobs counter',
        '# HELP jobs Jobs done',
        'jobs_total{queue="mail"} 42',
        'jobs_created{queue="mail"} 1796601600.5',
        'jobs_total{queue="sms"} 7',
        '# EOF',
        '',
      ].join('\n'),
      'openmetrics',
    )
    expect(metrics).toEqual([
      {
        name: 'jobs',
        description: 'Jobs done',
        unit: '',
        data: {
          kind: 'sum',
          monotonic: true,
          points: [
            { attributes: { queue: 'mail' }, timeMs, startMs: 1796601600500, value: 42 },
            { attributes: { queue: 'sms' }, timeMs, startMs, value: 7 },
          ],
        },
      },
    ])
  })

  it('reads a Prometheus 0.0.4 counter family named with _total the same way', () => {
    const metrics = convert(
      '# TYPE http_requests_total counter\nhttp_requests_total{code="200"} 3\n',
      'prometheus',
    )
    expect(metrics[0]).toMatchObject({ name: 'http_requests', data: { kind: 'sum', monotonic: true } })
  })

  it('turns cumulative histogram buckets into per-bucket counts with the finite bounds', () => {
    const metrics = convert(
      [
        '# TYPE latency_seconds histogram',
        '# UNIT latency_seconds seconds',
        'latency_seconds_bucket{route="/a",le="0.1"} 4',
        'latency_seconds_bucket{route="/a",le="0.5"} 7',
        'latency_seconds_bucket{route="/a",le="+Inf"} 10',
        'latency_seconds_sum{route="/a"} 2.5',
        'latency_seconds_count{route="/a"} 10',
        'latency_seconds_created{route="/a"} 1796605200',
        'latency_seconds_bucket{route="/b",le="0.1"} 0',
        'latency_seconds_bucket{route="/b",le="0.5"} 0',
        'latency_seconds_bucket{route="/b",le="+Inf"} 0',
        'latency_seconds_sum{route="/b"} 0',
        'latency_seconds_count{route="/b"} 0',
        '# EOF',
        '',
      ].join('\n'),
      'openmetrics',
    )
    const m = byName(metrics, 'latency_seconds')
    expect(m.unit).toBe('seconds')
    expect(m.data).toEqual({
      kind: 'histogram',
      points: [
        {
          attributes: { route: '/a' },
          timeMs,
          startMs: 1796605200000,
          count: 10,
          sum: 2.5,
          bounds: [0.1, 0.5],
          counts: [4, 3, 3],
        },
        {
          attributes: { route: '/b' },
          timeMs,
          startMs,
          count: 0,
          sum: 0,
          bounds: [0.1, 0.5],
          counts: [0, 0, 0],
        },
      ],
    })
  })

  it('never makes a negative bucket count from a malformed exposition', () => {
    const metrics = convert(
      [
        '# TYPE h histogram',
        'h_bucket{le="1"} 5',
        'h_bucket{le="2"} 3',
        'h_bucket{le="+Inf"} 5',
        'h_count 5',
        'h_sum 1',
      ].join('\n'),
      'prometheus',
    )
    const point = byName(metrics, 'h').data.points[0] as OtlpHistogramPoint
    expect(point.counts.every((c) => c >= 0)).toBe(true)
    expect(point.counts).toEqual([5, 0, 0])
  })

  it('keeps a summary with its quantiles in order', () => {
    const metrics = convert(
      [
        '# TYPE rpc summary',
        'rpc{quantile="0.99"} 120',
        'rpc{quantile="0.5"} 40',
        'rpc_sum 900',
        'rpc_count 20',
      ].join('\n'),
      'prometheus',
    )
    expect(byName(metrics, 'rpc').data).toEqual({
      kind: 'summary',
      points: [
        {
          attributes: {},
          timeMs,
          startMs,
          count: 20,
          sum: 900,
          quantiles: [
            { quantile: 0.5, value: 40 },
            { quantile: 0.99, value: 120 },
          ],
        },
      ],
    })
  })

  it('makes gauges of gauges, unknown, info and stateset families, one per sample name', () => {
    const metrics = convert(
      [
        '# TYPE temp gauge',
        'temp{room="a"} 21.5',
        '# TYPE build info',
        'build_info{version="1.2"} 1',
        '# TYPE mode stateset',
        'mode{mode="on"} 1',
        'mode{mode="off"} 0',
        '# TYPE odd unknown',
        'odd 3',
        '# EOF',
        '',
      ].join('\n'),
      'openmetrics',
    )
    expect(metrics.map((m) => [m.name, m.data.kind, m.data.points.length])).toEqual([
      ['temp', 'gauge', 1],
      ['build_info', 'gauge', 1],
      ['mode', 'gauge', 2],
      ['odd', 'gauge', 1],
    ])
    expect(metrics[0]!.data.points[0]).toEqual({ attributes: { room: 'a' }, timeMs, value: 21.5 })
  })

  it("reads a registry directly as it reads the registry's OpenMetrics text", async () => {
    const clock = new FakeClock(startMs)
    const registry = new Registry()
    const requests = registry.counter({
      name: 'requests_total',
      help: 'Requests "served"',
      labelNames: ['code'],
      clock,
    })
    requests.inc({ code: '200' }, 5)
    requests.inc({ code: '500' })
    registry
      .gauge({ name: 'queue_depth', help: 'Jobs\nwaiting', labelNames: ['queue'], clock })
      .set({ queue: 'a' }, -1.5)
    registry.gauge({ name: 'idle', help: 'No series yet', labelNames: ['x'], clock })
    const latency = registry.histogram({
      name: 'latency_seconds',
      help: 'Latency',
      unit: 'seconds',
      buckets: [0.1, 0.5],
      labelNames: ['route'],
      clock,
    })
    for (const v of [0.05, 0.2, 0.3, 2]) latency.observe({ route: '/a' }, v)
    const sizes = registry.summary({ name: 'size_bytes', help: 'Sizes', labelNames: [], clock })
    for (const v of [10, 20, 30]) sizes.observe(v)
    requests.inc({ code: '200' }, -1) // dropped and counted
    // An open metric (the OpenTelemetry bridge's): a label added later, absent on the first series.
    const open = registry.counter({ name: 'open_total', help: 'Open', labelNames: ['a'], clock })
    open.inc({ a: 'x' })
    open.addLabelNames(['b'])
    open.inc({ a: 'y', b: 'z' } as never)

    const direct = await registryOtlpMetrics(registry, timeMs, startMs)
    const parsed = parseExposition(await registry.metrics('openmetrics', { created: true }), {
      format: 'openmetrics',
    })
    if (!parsed.ok) throw new Error(parsed.error.message)
    const viaText = otlpMetricsOf(parsed.families, { timeMs, startMs }).filter(
      (m) => m.data.points.length > 0,
    )
    expect(direct).toEqual(viaText)
    expect(direct.map((m) => m.name)).toEqual([
      'requests',
      'queue_depth',
      'latency_seconds',
      'size_bytes',
      'open',
      'noa_metrics_dropped_samples',
    ])
  })
})
