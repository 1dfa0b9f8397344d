/**
 * The part of the OTLP metrics data model noa sends: cumulative sums, gauges, explicit-bucket
 * histograms and summaries, each data point with its attributes and times. Times are epoch
 * milliseconds here and nanoseconds on the wire.
 */

/** An attribute value (OTLP AnyValue): noa sends strings, numbers and booleans. */
export type OtlpAttributeValue = string | number | boolean

export type OtlpAttributes = Readonly<Record<string, OtlpAttributeValue>>

interface PointBase {
  attributes: Readonly<Record<string, string>>
  /** When the value was read, epoch ms. */
  timeMs: number
  /** When the cumulative count began (a counter's creation), epoch ms; absent for gauges. */
  startMs?: number
}

export interface OtlpNumberPoint extends PointBase {
  value: number
}

export interface OtlpHistogramPoint extends PointBase {
  count: number
  sum?: number
  /** Upper bounds, finite and increasing; the last bucket is everything above the last bound. */
  bounds: readonly number[]
  /** Observations per bucket (not cumulative), `bounds.length + 1` of them. */
  counts: readonly number[]
}

export interface OtlpSummaryPoint extends PointBase {
  count: number
  sum: number
  quantiles: readonly { quantile: number; value: number }[]
}

/** How a metric's points are to be read. */
export type OtlpData =
  | { kind: 'gauge'; points: OtlpNumberPoint[] }
  | { kind: 'sum'; monotonic: boolean; points: OtlpNumberPoint[] }
  | { kind: 'histogram'; points: OtlpHistogramPoint[] }
  | { kind: 'summary'; points: OtlpSummaryPoint[] }

/** One metric: its name, help text, unit (UCUM, e.g. `s`, `By`, or empty) and points. */
export interface OtlpMetric {
  name: string
  description: string
  unit: string
  data: OtlpData
}

/** What one export request carries: who sent it (resource), by what (scope), and the metrics. */
export interface OtlpExportRequest {
  /** Resource attributes, e.g. `{ 'service.name': 'checkout' }`. */
  resource: OtlpAttributes
  scope: { name: string; version?: string }
  metrics: readonly OtlpMetric[]
}

/** The two OTLP/HTTP encodings. */
export type OtlpEncoding = 'protobuf' | 'json'

/** Content types of the two encodings. */
export const OTLP_CONTENT_TYPES: Readonly<Record<OtlpEncoding, string>> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
}

/** OTLP AggregationTemporality: noa's counters and histograms are cumulative. */
export const CUMULATIVE = 2

/** Data points of an export (what the counters count). */
export function pointsOf(metrics: readonly OtlpMetric[]): number {
  let n = 0
  for (const m of metrics) n += m.data.points.length
  return n
}
