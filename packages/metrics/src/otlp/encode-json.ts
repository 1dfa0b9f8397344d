import {
  CUMULATIVE,
  type OtlpAttributes,
  type OtlpExportRequest,
  type OtlpHistogramPoint,
  type OtlpMetric,
  type OtlpNumberPoint,
  type OtlpSummaryPoint,
} from './model.ts'
import { nanosOf } from './nanos.ts'

/**
 * Encodes an `ExportMetricsServiceRequest` as OTLP/JSON (`application/json`): lowerCamelCase
 * keys, enums as numbers, 64-bit integers as decimal strings, and NaN and the infinities as
 * the strings protobuf's JSON mapping uses (JSON has no number for them).
 */
export function encodeOtlpJson(request: OtlpExportRequest): string {
  return JSON.stringify({
    resourceMetrics: [
      {
        resource: withAttributes({}, request.resource),
        scopeMetrics: [
          {
            scope: request.scope.version
              ? { name: request.scope.name, version: request.scope.version }
              : { name: request.scope.name },
            metrics: request.metrics.map(metric),
          },
        ],
      },
    ],
  })
}

function metric(m: OtlpMetric): Record<string, unknown> {
  const head: Record<string, unknown> = { name: m.name }
  if (m.description) head.description = m.description
  if (m.unit) head.unit = m.unit
  const data = m.data
  switch (data.kind) {
    case 'gauge':
      return { ...head, gauge: { dataPoints: data.points.map(numberPoint) } }
    case 'sum':
      return {
        ...head,
        sum: {
          dataPoints: data.points.map(numberPoint),
          aggregationTemporality: CUMULATIVE,
          isMonotonic: data.monotonic,
        },
      }
    case 'histogram':
      return {
        ...head,
        histogram: { dataPoints: data.points.map(histogramPoint), aggregationTemporality: CUMULATIVE },
      }
    case 'summary':
      return { ...head, summary: { dataPoints: data.points.map(summaryPoint) } }
  }
}

function base(p: { attributes: OtlpAttributes; startMs?: number; timeMs: number }): Record<string, unknown> {
  const out = withAttributes({}, p.attributes)
  if (p.startMs !== undefined) out.startTimeUnixNano = String(nanosOf(p.startMs))
  out.timeUnixNano = String(nanosOf(p.timeMs))
  return out
}

const numberPoint = (p: OtlpNumberPoint) => ({ ...base(p), asDouble: double(p.value) })

function histogramPoint(p: OtlpHistogramPoint): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base(p), count: String(p.count) }
  if (p.sum !== undefined) out.sum = double(p.sum)
  if (p.counts.length > 0) out.bucketCounts = p.counts.map(String)
  if (p.bounds.length > 0) out.explicitBounds = p.bounds.map(double)
  return out
}

const summaryPoint = (p: OtlpSummaryPoint) => ({
  ...base(p),
  count: String(p.count),
  sum: double(p.sum),
  quantileValues: p.quantiles.map((q) => ({ quantile: double(q.quantile), value: double(q.value) })),
})

/** `attributes` added to `out` when there are any: protobuf's JSON mapping leaves empty lists out. */
function withAttributes(out: Record<string, unknown>, attrs: OtlpAttributes): Record<string, unknown> {
  const list = Object.entries(attrs)
  if (list.length > 0) out.attributes = list.map(attribute)
  return out
}

function attribute([key, value]: [string, OtlpAttributes[string]]): {
  key: string
  value: Record<string, unknown>
} {
  return {
    key,
    value:
      typeof value === 'string'
        ? { stringValue: value }
        : typeof value === 'boolean'
          ? { boolValue: value }
          : Number.isSafeInteger(value) && value >= 0
            ? { intValue: String(value) }
            : { doubleValue: double(value) },
  }
}

/** A double as protobuf's JSON mapping writes it. */
function double(v: number): number | string {
  if (Number.isFinite(v)) return v
  return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity'
}
