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
import { ProtoBuilder } from './proto-builder.ts'

// Field numbers of opentelemetry/proto/{collector/metrics,metrics,common,resource}/v1.

/**
 * Encodes an `ExportMetricsServiceRequest` (OTLP/HTTP with `application/x-protobuf`): one
 * ResourceMetrics with one ScopeMetrics holding the metrics.
 */
export function encodeOtlpProtobuf(request: OtlpExportRequest): Uint8Array<ArrayBuffer> {
  const w = new ProtoBuilder()
  // ExportMetricsServiceRequest.resource_metrics = 1
  const resourceMetrics = w.begin(1)
  // ResourceMetrics.resource = 1 { attributes = 1 }
  const resource = w.begin(1)
  attributes(w, 1, request.resource)
  w.end(resource)
  // ResourceMetrics.scope_metrics = 2
  const scopeMetrics = w.begin(2)
  // ScopeMetrics.scope = 1 { name = 1, version = 2 }
  const scope = w.begin(1)
  w.string(1, request.scope.name)
  if (request.scope.version) w.string(2, request.scope.version)
  w.end(scope)
  // ScopeMetrics.metrics = 2
  for (const m of request.metrics) {
    const at = w.begin(2)
    metric(w, m)
    w.end(at)
  }
  w.end(scopeMetrics)
  w.end(resourceMetrics)
  return w.finish()
}

function metric(w: ProtoBuilder, m: OtlpMetric): void {
  w.string(1, m.name)
  if (m.description) w.string(2, m.description)
  if (m.unit) w.string(3, m.unit)
  const data = m.data
  switch (data.kind) {
    case 'gauge': {
      // Metric.gauge = 5 { data_points = 1 }
      const at = w.begin(5)
      for (const p of data.points) numberPoint(w, p)
      w.end(at)
      return
    }
    case 'sum': {
      // Metric.sum = 7 { data_points = 1, aggregation_temporality = 2, is_monotonic = 3 }
      const at = w.begin(7)
      for (const p of data.points) numberPoint(w, p)
      w.uint(2, CUMULATIVE)
      if (data.monotonic) w.bool(3, true)
      w.end(at)
      return
    }
    case 'histogram': {
      // Metric.histogram = 9 { data_points = 1, aggregation_temporality = 2 }
      const at = w.begin(9)
      for (const p of data.points) histogramPoint(w, p)
      w.uint(2, CUMULATIVE)
      w.end(at)
      return
    }
    case 'summary': {
      // Metric.summary = 11 { data_points = 1 }
      const at = w.begin(11)
      for (const p of data.points) summaryPoint(w, p)
      w.end(at)
      return
    }
  }
}

function times(w: ProtoBuilder, p: { startMs?: number; timeMs: number }): void {
  if (p.startMs !== undefined) w.fixed64(2, nanosOf(p.startMs))
  w.fixed64(3, nanosOf(p.timeMs))
}

/** data_points = 1, a NumberDataPoint: attributes = 7, start = 2, time = 3, as_double = 4 (a oneof: written even when 0). */
function numberPoint(w: ProtoBuilder, p: OtlpNumberPoint): void {
  const at = w.begin(1)
  attributes(w, 7, p.attributes)
  times(w, p)
  w.double(4, p.value)
  w.end(at)
}

/** data_points = 1, a HistogramDataPoint: attributes = 9, count = 4, sum = 5, bucket_counts = 6, explicit_bounds = 7. */
function histogramPoint(w: ProtoBuilder, p: OtlpHistogramPoint): void {
  const at = w.begin(1)
  attributes(w, 9, p.attributes)
  times(w, p)
  w.fixed64(4, BigInt(p.count))
  if (p.sum !== undefined) w.double(5, p.sum)
  w.packedFixed64(6, p.counts)
  w.packedDoubles(7, p.bounds)
  w.end(at)
}

/** data_points = 1, a SummaryDataPoint: attributes = 7, count = 4, sum = 5, quantile_values = 6 { quantile = 1, value = 2 }. */
function summaryPoint(w: ProtoBuilder, p: OtlpSummaryPoint): void {
  const at = w.begin(1)
  attributes(w, 7, p.attributes)
  times(w, p)
  w.fixed64(4, BigInt(p.count))
  w.double(5, p.sum)
  for (const q of p.quantiles) {
    const value = w.begin(6)
    w.double(1, q.quantile)
    w.double(2, q.value)
    w.end(value)
  }
  w.end(at)
}

/** Repeated KeyValue { key = 1, value = 2: AnyValue { string = 1, bool = 2, int = 3, double = 4 } }. */
function attributes(w: ProtoBuilder, field: number, attrs: OtlpAttributes): void {
  for (const key in attrs) {
    const value = attrs[key]!
    const kv = w.begin(field)
    w.string(1, key)
    const any = w.begin(2)
    if (typeof value === 'string') w.string(1, value)
    else if (typeof value === 'boolean') w.bool(2, value)
    else if (Number.isSafeInteger(value) && value >= 0) w.uint(3, value)
    else w.double(4, value)
    w.end(any)
    w.end(kv)
  }
}
