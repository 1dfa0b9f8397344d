import type { MetricFamily, ParsedSample } from '../exposition/parse.ts'
import type { OtlpHistogramPoint, OtlpMetric, OtlpNumberPoint, OtlpSummaryPoint } from './model.ts'

/** Options of {@link otlpMetricsOf}. */
export interface OtlpConversionOptions {
  /** When the values were read, epoch ms: every point's time. */
  timeMs: number
  /**
   * Start of the cumulative counts of counters, histograms and summaries that have no
   * `_created` sample, epoch ms (the process's start is a fair one).
   */
  startMs: number
}

/**
 * Turns parsed exposition families (Prometheus or OpenMetrics) into OTLP metrics, as the
 * OpenTelemetry Collector's Prometheus receiver does: a counter becomes a monotonic cumulative
 * sum named without `_total`, a histogram an explicit-bucket histogram (buckets no longer
 * cumulative), a summary a summary, and gauges, unknown, info, stateset and gauge-histogram
 * samples gauges, one per sample name. `_created` samples give the start times.
 *
 * @example
 * ```ts
 * const parsed = parseExposition(await registry.metrics('openmetrics', { created: true }), { format: 'openmetrics' })
 * if (parsed.ok) otlpMetricsOf(parsed.families, { timeMs: Date.now(), startMs: processStart })
 * ```
 */
export function otlpMetricsOf(
  families: readonly MetricFamily[],
  options: OtlpConversionOptions,
): OtlpMetric[] {
  const out: OtlpMetric[] = []
  for (const family of families) {
    switch (family.type) {
      case 'counter':
        out.push(counter(family, options))
        break
      case 'histogram':
        out.push(histogram(family, options))
        break
      case 'summary':
        out.push(summary(family, options))
        break
      default:
        out.push(...gauges(family, options))
    }
  }
  return out
}

/** Labels of a sample as a key, without the label that splits a series into buckets or quantiles. */
function seriesKey(labels: Readonly<Record<string, string>>, without?: string): string {
  let key = ''
  for (const name of Object.keys(labels).sort())
    if (name !== without) key += `${name}\u0000${labels[name]}\u0001`
  return key
}

/** A sample's labels without the one that splits its series (`le`, `quantile`). */
function attributesOf(labels: Record<string, string>, without: string | undefined): Record<string, string> {
  if (without === undefined) return labels
  const { [without]: _, ...rest } = labels
  return rest
}

/** The entry of `key`, made by `make` the first time it is asked for. */
function entryOf<T>(map: Map<string, T>, key: string, make: () => T): T {
  let value = map.get(key)
  if (value === undefined) {
    value = make()
    map.set(key, value)
  }
  return value
}

const isCreated = (family: MetricFamily, s: ParsedSample) => s.name === `${family.name}_created`
/** A `_created` sample holds epoch seconds. */
const createdStarts = (family: MetricFamily, without?: string) => {
  const starts = new Map<string, number>()
  for (const s of family.samples)
    if (isCreated(family, s)) starts.set(seriesKey(s.labels, without), s.value * 1000)
  return starts
}

function counter(family: MetricFamily, options: OtlpConversionOptions): OtlpMetric {
  const starts = createdStarts(family)
  const points: OtlpNumberPoint[] = []
  for (const s of family.samples) {
    if (isCreated(family, s)) continue
    const startMs = starts.get(seriesKey(s.labels)) ?? options.startMs
    points.push({ attributes: s.labels, timeMs: options.timeMs, startMs, value: s.value })
  }
  return {
    name: family.name.endsWith('_total') ? family.name.slice(0, -'_total'.length) : family.name,
    description: family.help,
    unit: family.unit,
    data: { kind: 'sum', monotonic: true, points },
  }
}

interface HistogramSeries {
  attributes: Record<string, string>
  buckets: { le: number; cumulative: number }[]
  count?: number
  sum?: number
}

function histogram(family: MetricFamily, options: OtlpConversionOptions): OtlpMetric {
  const starts = createdStarts(family)
  const series = new Map<string, HistogramSeries>()
  const at = (labels: Record<string, string>, without?: string) =>
    entryOf(series, seriesKey(labels, without), () => ({
      attributes: attributesOf(labels, without),
      buckets: [],
    }))
  for (const s of family.samples) {
    if (s.name === `${family.name}_bucket`) {
      const le = Number(s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : s.labels.le)
      if (!Number.isNaN(le)) at(s.labels, 'le').buckets.push({ le, cumulative: s.value })
    } else if (s.name === `${family.name}_count`) at(s.labels).count = s.value
    else if (s.name === `${family.name}_sum`) at(s.labels).sum = s.value
  }
  const points: OtlpHistogramPoint[] = []
  for (const [key, s] of series) {
    s.buckets.sort((a, b) => a.le - b.le)
    const finite = s.buckets.filter((b) => Number.isFinite(b.le))
    const infinite = s.buckets.find((b) => !Number.isFinite(b.le))
    const count = s.count ?? infinite?.cumulative ?? finite.at(-1)?.cumulative ?? 0
    const counts: number[] = []
    let below = 0
    // A malformed exposition may make a bucket smaller than the one before: never a negative count.
    for (const b of finite) {
      counts.push(Math.max(0, b.cumulative - below))
      below = Math.max(below, b.cumulative)
    }
    counts.push(Math.max(0, count - below))
    points.push({
      attributes: s.attributes,
      timeMs: options.timeMs,
      startMs: starts.get(key) ?? options.startMs,
      count,
      ...(s.sum === undefined ? {} : { sum: s.sum }),
      bounds: finite.map((b) => b.le),
      counts,
    })
  }
  return {
    name: family.name,
    description: family.help,
    unit: family.unit,
    data: { kind: 'histogram', points },
  }
}

interface SummarySeries {
  attributes: Record<string, string>
  quantiles: { quantile: number; value: number }[]
  count: number
  sum: number
}

function summary(family: MetricFamily, options: OtlpConversionOptions): OtlpMetric {
  const starts = createdStarts(family)
  const series = new Map<string, SummarySeries>()
  const at = (labels: Record<string, string>, without?: string) =>
    entryOf(series, seriesKey(labels, without), () => ({
      attributes: attributesOf(labels, without),
      quantiles: [],
      count: 0,
      sum: 0,
    }))
  for (const s of family.samples) {
    if (s.name === family.name && s.labels.quantile !== undefined) {
      const quantile = Number(s.labels.quantile)
      if (!Number.isNaN(quantile)) at(s.labels, 'quantile').quantiles.push({ quantile, value: s.value })
    } else if (s.name === `${family.name}_count`) at(s.labels).count = s.value
    else if (s.name === `${family.name}_sum`) at(s.labels).sum = s.value
  }
  const points: OtlpSummaryPoint[] = []
  for (const [key, s] of series)
    points.push({
      attributes: s.attributes,
      timeMs: options.timeMs,
      startMs: starts.get(key) ?? options.startMs,
      count: s.count,
      sum: s.sum,
      quantiles: s.quantiles.sort((a, b) => a.quantile - b.quantile),
    })
  return { name: family.name, description: family.help, unit: family.unit, data: { kind: 'summary', points } }
}

/** Gauges, one metric per sample name (an info family's `_info`, a gauge histogram's `_gsum`...). */
function gauges(family: MetricFamily, options: OtlpConversionOptions): OtlpMetric[] {
  const byName = new Map<string, OtlpNumberPoint[]>()
  for (const s of family.samples)
    entryOf(byName, s.name, () => []).push({ attributes: s.labels, timeMs: options.timeMs, value: s.value })
  return [...byName].map(([name, points]) => ({
    name,
    description: family.help,
    unit: family.unit,
    data: { kind: 'gauge' as const, points },
  }))
}
