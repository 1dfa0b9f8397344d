import type { ConfigIssue } from '@noa/core'
import { type ExpositionFormat, formatValue } from './exposition/text.ts'
import { DroppedChild, type Labels, Metric, type MetricOptions, type SeriesBase } from './metric.ts'

/** Prometheus' default buckets, in seconds. */
export const DEFAULT_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
])

/** Options of {@link Histogram}. */
export interface HistogramOptions<L extends string = never> extends MetricOptions<L> {
  /**
   * Upper bounds of the buckets: finite, >= 0, strictly increasing; `+Inf` is always added.
   * @default DEFAULT_BUCKETS (0.005 … 10)
   */
  buckets?: readonly number[]
}

/** A histogram bound to one label set. */
export interface BoundHistogram {
  /** Records one value; a negative, NaN or infinite value is dropped and counted. */
  observe(value: number): void
  /** Starts a timer; calling the returned function observes the elapsed seconds and returns them. */
  startTimer(): () => number
}

/** @internal One histogram series: per-bucket counts (not cumulative), sum and count. */
export class HistogramSeries implements SeriesBase, BoundHistogram {
  readonly counts: number[]
  sum = 0
  count = 0
  constructor(
    private readonly metric: Histogram<string>,
    private readonly bounds: readonly number[],
    readonly labelValues: readonly string[],
    readonly labelText: string,
    readonly created: number,
  ) {
    const counts: number[] = []
    for (let i = 0; i <= bounds.length; i++) counts.push(0)
    this.counts = counts
  }
  observe(value: number): void {
    if (typeof value !== 'number' || !(value >= 0) || value === Number.POSITIVE_INFINITY) {
      this.metric.drop('invalid_value')
      return
    }
    const bounds = this.bounds
    const n = bounds.length
    let i = 0
    while (i < n && value > bounds[i]!) i++
    this.counts[i]!++
    this.sum += value
    this.count++
  }
  startTimer(): () => number {
    return this.metric.timer(this)
  }
}

/**
 * Counts observations in buckets, with their sum and count.
 *
 * @example
 * ```ts
 * const latency = registry.register(
 *   new Histogram({ name: 'http_request_duration_seconds', help: 'Latency', labelNames: ['route'], unit: 'seconds' }),
 * )
 * latency.observe({ route: '/users/:id' }, 0.042)
 * const end = latency.startTimer({ route: '/health' })
 * end() // observes the elapsed seconds
 * ```
 */
export class Histogram<L extends string = never> extends Metric<L, HistogramSeries> {
  /** Upper bounds, without `+Inf`. */
  readonly buckets: readonly number[]
  private readonly leText: string[]

  constructor(options: HistogramOptions<L>) {
    super('histogram', options, (at) => checkBuckets(at, options?.buckets))
    this.buckets = Object.freeze([...(options.buckets ?? DEFAULT_BUCKETS)])
    this.leText = [...this.buckets.map((b) => `le="${formatValue(b)}"} `), 'le="+Inf"} ']
    this.init()
  }

  /** Records `value` in the series of `labels` (or in the only series). */
  observe(value: number): void
  observe(labels: Labels<L>, value: number): void
  observe(labels: Labels<L> | number, value?: number): void {
    if (typeof labels === 'object') this.seriesFor(labels)?.observe(value as number)
    else if (this.single === undefined) this.drop('missing_label')
    else this.single.observe(labels)
  }

  /** Starts a timer; the returned function observes the elapsed seconds and returns them. */
  startTimer(labels?: Labels<L>): () => number {
    return labels === undefined ? this.timer(this.single) : this.labels(labels).startTimer()
  }

  /** The histogram of one label set, for repeated recording without a lookup. */
  labels(labels: Labels<L>): BoundHistogram {
    const found = this.resolve(labels)
    return typeof found === 'string' ? new DroppedChild(this, found) : found
  }

  /** Count, sum and cumulative bucket counts of a label set; undefined when it has none. */
  get(labels?: Labels<L>): { count: number; sum: number; buckets: Record<string, number> } | undefined {
    const s = this.find(labels)
    if (s === undefined) return undefined
    const buckets: Record<string, number> = {}
    let cumulative = 0
    s.counts.forEach((c, i) => {
      cumulative += c
      buckets[i < this.buckets.length ? formatValue(this.buckets[i]!) : '+Inf'] = cumulative
    })
    return { count: s.count, sum: s.sum, buckets }
  }

  /** @internal */
  timer(series: HistogramSeries | undefined): () => number {
    const start = this.clock.monotonic()
    return () => {
      const seconds = (this.clock.monotonic() - start) / 1000
      if (series === undefined) this.drop('missing_label')
      else series.observe(seconds)
      return seconds
    }
  }

  protected newSeries(values: string[], labelText: string, created: number): HistogramSeries {
    return new HistogramSeries(this as unknown as Histogram<string>, this.buckets, values, labelText, created)
  }

  protected renderSamples(format: ExpositionFormat, created: boolean): string {
    const name = this.name
    const le = this.leText
    let out = ''
    for (const s of this.seriesList) {
      const lt = s.labelText
      const bucket = lt === '' ? `${name}_bucket{` : `${name}_bucket{${lt},`
      const rest = lt === '' ? ' ' : `{${lt}} `
      const counts = s.counts
      let cumulative = 0
      for (let i = 0; i < counts.length; i++) {
        cumulative += counts[i]!
        out += `${bucket}${le[i]}${cumulative}\n`
      }
      out += `${name}_sum${rest}${formatValue(s.sum)}\n${name}_count${rest}${s.count}\n`
      if (created && format === 'openmetrics') out += `${name}_created${rest}${s.created}\n`
    }
    return out
  }
}

function checkBuckets(at: string, buckets: unknown): ConfigIssue[] {
  if (buckets === undefined) return []
  const path = `${at}.buckets`
  if (!Array.isArray(buckets) || buckets.length === 0) {
    return [{ path, message: 'must be a non-empty array of finite numbers >= 0 in increasing order' }]
  }
  const issues: ConfigIssue[] = []
  buckets.forEach((b: unknown, i) => {
    if (typeof b !== 'number' || !Number.isFinite(b) || b < 0) {
      issues.push({ path: `${path}[${i}]`, message: `must be a finite number >= 0; found ${String(b)}` })
    } else if (i > 0 && !(b > (buckets[i - 1] as number))) {
      issues.push({
        path: `${path}[${i}]`,
        message: `buckets must be strictly increasing; found ${b} after ${String(buckets[i - 1])}`,
      })
    }
  })
  return issues
}
