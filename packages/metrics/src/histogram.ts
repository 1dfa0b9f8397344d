import type { ConfigIssue } from '@noa/core'
import { type ExpositionFormat, formatValue } from './exposition/text.ts'
import { DroppedChild, type Labels, Metric, type MetricOptions, type SeriesBase } from './metric.ts'
import type { OtlpHistogramPoint, OtlpMetric } from './otlp/model.ts'

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

/** Series per storage chunk: bounds the slack of the shared arrays to one chunk per metric. */
const CHUNK = 64

/**
 * @internal One histogram series. Its bucket counts, sum and count live in a slice of a chunk
 * shared with other series of the metric (`[bucket 0 … +Inf, sum, count]`): one flat on-heap
 * number array instead of an array object per series keeps a series at about half the memory.
 */
export class HistogramSeries implements SeriesBase, BoundHistogram {
  /** @internal */
  labelText: string | undefined = undefined
  readonly #metric: Histogram<string>
  constructor(
    metric: Histogram<string>,
    readonly store: number[],
    readonly base: number,
    readonly labelValues: readonly string[],
    readonly created: number,
  ) {
    this.#metric = metric
  }
  observe(value: number): void {
    if (typeof value !== 'number' || !(value >= 0) || value === Number.POSITIVE_INFINITY) {
      this.#metric.drop('invalid_value')
      return
    }
    const bounds = this.#metric.buckets
    const n = bounds.length
    let i = 0
    while (i < n && value > bounds[i]!) i++
    const store = this.store
    const base = this.base
    store[base + i]!++
    store[base + n + 1]! += value
    store[base + n + 2]!++
  }
  startTimer(): () => number {
    return this.#metric.timer(this)
  }
  /** Sum of the observed values. */
  get sum(): number {
    return this.store[this.base + this.#metric.buckets.length + 1]!
  }
  /** Number of observed values. */
  get count(): number {
    return this.store[this.base + this.#metric.buckets.length + 2]!
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
  readonly #leText: string[]
  #chunk: number[] = []
  #used = CHUNK
  /** Slots of removed series, reused before the chunk grows, so churn cannot grow memory. */
  readonly #free: Array<{ store: number[]; base: number }> = []

  constructor(options: HistogramOptions<L>) {
    super('histogram', options, (at) => checkBuckets(at, options?.buckets))
    this.buckets = Object.freeze([...(options.buckets ?? DEFAULT_BUCKETS)])
    this.#leText = [...this.buckets.map((b) => `le="${formatValue(b)}"} `), 'le="+Inf"} ']
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
    for (let i = 0; i <= this.buckets.length; i++) {
      cumulative += s.store[s.base + i]!
      buckets[i < this.buckets.length ? formatValue(this.buckets[i]!) : '+Inf'] = cumulative
    }
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

  protected newSeries(values: string[], created: number): HistogramSeries {
    const stride = this.buckets.length + 3
    const slot = this.#free.pop()
    if (slot !== undefined) {
      slot.store.fill(0, slot.base, slot.base + stride)
      return new HistogramSeries(this as unknown as Histogram<string>, slot.store, slot.base, values, created)
    }
    if (this.#used === CHUNK) {
      // Filled with integer zeros so V8 keeps it a packed small-integer array until a sum needs doubles.
      this.#chunk = new Array<number>(CHUNK * stride).fill(0)
      this.#used = 0
    }
    const series = new HistogramSeries(
      this as unknown as Histogram<string>,
      this.#chunk,
      this.#used * stride,
      values,
      created,
    )
    this.#used++
    return series
  }

  override reset(): void {
    this.#used = CHUNK
    this.#free.length = 0
    super.reset()
  }

  protected override released(series: HistogramSeries): void {
    this.#free.push({ store: series.store, base: series.base })
  }

  /** @internal A cumulative explicit-bucket histogram: the store's per-bucket counts as they are. */
  toOtlp(timeMs: number): OtlpMetric {
    const n = this.buckets.length
    const points: OtlpHistogramPoint[] = []
    for (const s of this.seriesList) {
      const { store, base } = s
      points.push({
        attributes: this.labelsOf(s),
        timeMs,
        startMs: s.created * 1000,
        count: store[base + n + 2]!,
        sum: store[base + n + 1]!,
        bounds: this.buckets,
        counts: store.slice(base, base + n + 1),
      })
    }
    return {
      name: this.name,
      description: this.help,
      unit: this.unit ?? '',
      data: { kind: 'histogram', points },
    }
  }

  /** @internal */
  linesPerSeries(format: ExpositionFormat, created: boolean): number {
    // the buckets, +Inf, _sum and _count
    return this.buckets.length + 3 + (created && format === 'openmetrics' ? 1 : 0)
  }

  /** @internal */
  renderSeries(
    format: ExpositionFormat,
    created: boolean,
    series: readonly HistogramSeries[],
    from: number,
    to: number,
  ): string {
    const name = this.name
    const le = this.#leText
    let out = ''
    const n = this.buckets.length
    for (let k = from; k < to; k++) {
      const s = series[k]!
      const lt = this.labelPairs(s)
      const bucket = lt === '' ? `${name}_bucket{` : `${name}_bucket{${lt},`
      const rest = lt === '' ? ' ' : `{${lt}} `
      const { store, base } = s
      let cumulative = 0
      for (let i = 0; i <= n; i++) {
        cumulative += store[base + i]!
        out += `${bucket}${le[i]}${cumulative}\n`
      }
      out += `${name}_sum${rest}${formatValue(store[base + n + 1]!)}\n${name}_count${rest}${store[base + n + 2]}\n`
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
