import { describe, expect, it } from 'vitest'
import { encodeOtlpJson } from './encode-json.ts'
import { encodeOtlpProtobuf } from './encode-protobuf.ts'
import type { OtlpExportRequest } from './model.ts'
import { attributesOf, decodeOfficialJson, decodeOfficialProtobuf } from './official.testing.ts'

const at = Date.parse('2026-12-07T03:00:00.123Z')
const start = Date.parse('2026-12-07T02:00:00.000Z')

const request: OtlpExportRequest = {
  resource: {
    'service.name': 'checkout',
    'service.instance.id': 'pod-7',
    healthy: true,
    replicas: 3,
    load: 0.5,
  },
  scope: { name: '@noa/metrics', version: '1.2.3' },
  metrics: [
    {
      name: 'http_requests',
      description: 'Requests served',
      unit: '',
      data: {
        kind: 'sum',
        monotonic: true,
        points: [
          { attributes: { route: '/pay', code: '200' }, timeMs: at, startMs: start, value: 1234 },
          { attributes: { route: '/pay', code: '500' }, timeMs: at, startMs: start, value: 0 },
        ],
      },
    },
    {
      name: 'queue_depth',
      description: 'Jobs waiting',
      unit: '{job}',
      data: {
        kind: 'gauge',
        points: [
          { attributes: { queue: 'mail ✉' }, timeMs: at, value: -2.5 },
          { attributes: { queue: 'nan' }, timeMs: at, value: Number.NaN },
          { attributes: { queue: 'inf' }, timeMs: at, value: Number.POSITIVE_INFINITY },
        ],
      },
    },
    {
      name: 'request_duration',
      description: 'Time to answer',
      unit: 's',
      data: {
        kind: 'histogram',
        points: [
          {
            attributes: { route: '/pay' },
            timeMs: at,
            startMs: start,
            count: 10,
            sum: 1.75,
            bounds: [0.1, 0.5, 1],
            counts: [4, 3, 2, 1],
          },
        ],
      },
    },
    {
      name: 'payload_size',
      description: '',
      unit: 'By',
      data: {
        kind: 'summary',
        points: [
          {
            attributes: {},
            timeMs: at,
            startMs: start,
            count: 3,
            sum: 3000,
            quantiles: [
              { quantile: 0.5, value: 900 },
              { quantile: 0.99, value: 1200 },
            ],
          },
        ],
      },
    },
  ],
}

const nanos = (ms: number) => `${BigInt(ms) * 1_000_000n}`

describe('OTLP encoders, read with the official OpenTelemetry definitions', () => {
  it('writes an ExportMetricsServiceRequest the official protobuf classes decode field for field', () => {
    const decoded = decodeOfficialProtobuf(encodeOtlpProtobuf(request))
    expect(decoded.resourceMetrics).toHaveLength(1)
    const [resourceMetrics] = decoded.resourceMetrics
    expect(attributesOf(resourceMetrics!.resource?.attributes)).toEqual({
      'service.name': 'checkout',
      'service.instance.id': 'pod-7',
      healthy: true,
      replicas: '3',
      load: 0.5,
    })
    const [scope] = resourceMetrics!.scopeMetrics
    expect(scope!.scope).toEqual({ name: '@noa/metrics', version: '1.2.3' })
    const [sum, gauge, histogram, summary] = scope!.metrics

    expect(sum).toMatchObject({ name: 'http_requests', description: 'Requests served' })
    expect(sum!.sum).toMatchObject({ aggregationTemporality: 2, isMonotonic: true })
    expect(sum!.sum!.dataPoints.map((p) => [attributesOf(p.attributes), p.asDouble])).toEqual([
      [{ route: '/pay', code: '200' }, 1234],
      [{ route: '/pay', code: '500' }, 0],
    ])
    expect(sum!.sum!.dataPoints[0]).toMatchObject({
      startTimeUnixNano: nanos(start),
      timeUnixNano: nanos(at),
    })

    expect(gauge).toMatchObject({ name: 'queue_depth', unit: '{job}' })
    expect(gauge!.gauge!.dataPoints.map((p) => [attributesOf(p.attributes).queue, p.asDouble])).toEqual([
      ['mail ✉', -2.5],
      ['nan', Number.NaN],
      ['inf', Number.POSITIVE_INFINITY],
    ])
    expect(gauge!.gauge!.dataPoints[0]!.startTimeUnixNano).toBeUndefined()

    expect(histogram).toMatchObject({ name: 'request_duration', unit: 's' })
    expect(histogram!.histogram!.aggregationTemporality).toBe(2)
    expect(histogram!.histogram!.dataPoints[0]).toMatchObject({
      count: '10',
      sum: 1.75,
      bucketCounts: ['4', '3', '2', '1'],
      explicitBounds: [0.1, 0.5, 1],
      startTimeUnixNano: nanos(start),
    })

    expect(summary).toMatchObject({ name: 'payload_size', unit: 'By' })
    expect(summary!.summary!.dataPoints[0]).toMatchObject({
      count: '3',
      sum: 3000,
      quantileValues: [
        { quantile: 0.5, value: 900 },
        { quantile: 0.99, value: 1200 },
      ],
    })
  })

  it('writes OTLP/JSON that the official definitions accept and read as the same message', () => {
    const fromJson = decodeOfficialJson(encodeOtlpJson(request))
    const fromProtobuf = decodeOfficialProtobuf(encodeOtlpProtobuf(request))
    expect(fromJson).toEqual(fromProtobuf)
  })

  it('keeps times to the microsecond and 64-bit counts past 2^32 exact', () => {
    const big: OtlpExportRequest = {
      resource: {},
      scope: { name: 't' },
      metrics: [
        {
          name: 'h',
          description: '',
          unit: '',
          data: {
            kind: 'histogram',
            points: [{ attributes: {}, timeMs: at + 0.456, count: 2 ** 40, bounds: [], counts: [2 ** 40] }],
          },
        },
      ],
    }
    for (const decoded of [
      decodeOfficialProtobuf(encodeOtlpProtobuf(big)),
      decodeOfficialJson(encodeOtlpJson(big)),
    ]) {
      const point = decoded.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.histogram!.dataPoints[0]!
      expect(point.timeUnixNano).toBe(`${BigInt(at) * 1_000_000n + 456_000n}`)
      expect(point.count).toBe(String(2 ** 40))
      expect(point.bucketCounts).toEqual([String(2 ** 40)])
    }
  })

  it('writes an export of thousands of points, nested messages past 16 KiB, without losing a byte', () => {
    const points = Array.from({ length: 5000 }, (_, i) => ({
      attributes: { series: `s-${i}`, pad: 'x'.repeat(i % 50) },
      timeMs: at,
      value: i,
    }))
    const decoded = decodeOfficialProtobuf(
      encodeOtlpProtobuf({
        resource: {},
        scope: { name: 't' },
        metrics: [{ name: 'g', description: '', unit: '', data: { kind: 'gauge', points } }],
      }),
    )
    const read = decoded.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.gauge!.dataPoints
    expect(read).toHaveLength(5000)
    expect(read.map((p) => p.asDouble)).toEqual(points.map((p) => p.value))
    expect(attributesOf(read[4321]!.attributes)).toEqual({ series: 's-4321', pad: 'x'.repeat(4321 % 50) })
  })
})
