import type { Clock, ConfigIssue } from '@noa/core'
import { type ExpositionFormat, formatValue } from './exposition/text.ts'
import { DroppedChild, type Labels, Metric, type MetricOptions, type SeriesBase } from './metric.ts'
import type { OtlpMetric, OtlpSummaryPoint } from './otlp/model.ts'
import { QuantileSketch } from './sketch.ts'

/** Default quantiles written for a summary: p50, p95, p99 and the max (quantile 1, exact). */
export const DEFAULT_PERCENTILES: readonly number[] = Object.freeze([0.5, 0.95, 0.99, 1])

/** Options of {@link Summary}. */
export interface SummaryOptions<L extends string = never> extends MetricOptions<L> {
  /** Quantiles written, each in [0, 1]; 1 is the exact max and 0 the exact min. @default [0.5, 0.95, 0.99, 1] */
  percentiles?: readonly number[]
  /** Relative error α of every quantile but 0 and 1 (see {@link QuantileSketch}). @default 0.01 */
  relativeAccuracy?: number
  /** Most sketch buckets per series and window slice; bounds memory. @default 2048 */
  maxBuckets?: number
  /**
   * Quantiles cover only the last `maxAgeSeconds` (a ring of `ageBuckets` sketches, the oldest
   * dropped as time moves). `_sum` and `_count` stay cumulative, as Prometheus expects.
   * @default none: quantiles over all observations
   */
  maxAgeSeconds?: number
  /** Slices of the window. @default 5 */
  ageBuckets?: number
}

/** A summary bound to one label set. */
export interface BoundSummary {
  /** Records one value; a negative, NaN or infinite value is dropped and counted. */
  observe(value: number): void
  /** Starts a timer; calling the returned function observes the elapsed seconds and returns them. */
  startTimer(): () => number
}

interface SketchShape {
  relativeAccuracy: number
  maxBuckets: number
  ring: number
  sliceMs: number
  clock: Clock
}

/** @internal One summary series: a (ring of) quantile sketch(es) and cumulative sum and count. */
export class SummarySeries implements SeriesBase, BoundSummary {
  /** @internal */
  labelText: string | undefined = undefined
  sum = 0
  count = 0
  readonly #ring: QuantileSketch[] = []
  #current = 0
  #rotateAt = 0
  readonly #metric: Summary<string>
  readonly #shape: SketchShape
  constructor(
    metric: Summary<string>,
    shape: SketchShape,
    readonly labelValues: readonly string[],
    readonly created: number,
  ) {
    this.#metric = metric
    this.#shape = shape
    for (let i = 0; i < shape.ring; i++) {
      this.#ring.push(
        new QuantileSketch({ relativeAccuracy: shape.relativeAccuracy, maxBuckets: shape.maxBuckets }),
      )
    }
    if (shape.ring > 1) this.#rotateAt = shape.clock.now() + shape.sliceMs
  }
  observe(value: number): void {
    if (typeof value !== 'number' || !(value >= 0) || value === Number.POSITIVE_INFINITY) {
      this.#metric.drop('invalid_value')
      return
    }
    if (this.#ring.length > 1) this.#rotate()
    this.#ring[this.#current]!.add(value)
    this.sum += value
    this.count++
  }
  startTimer(): () => number {
    return this.#metric.timer(this)
  }
  /** The value at quantile `q` over the window; NaN when the window is empty. */
  quantile(q: number): number {
    return this.window().quantile(q)
  }
  /** The sketch covering the window (the live one when there is no window). */
  window(): QuantileSketch {
    if (this.#ring.length === 1) return this.#ring[0]!
    this.#rotate()
    const merged = new QuantileSketch({
      relativeAccuracy: this.#shape.relativeAccuracy,
      maxBuckets: this.#shape.maxBuckets,
    })
    for (const sketch of this.#ring) merged.merge(sketch)
    return merged
  }
  #rotate(): void {
    const now = this.#shape.clock.now()
    if (now < this.#rotateAt) return
    const passed = Math.floor((now - this.#rotateAt) / this.#shape.sliceMs) + 1
    for (let i = 0; i < Math.min(passed, this.#ring.length); i++) {
      this.#current = (this.#current + 1) % this.#ring.length
      this.#ring[this.#current]!.reset()
    }
    this.#rotateAt += passed * this.#shape.sliceMs
  }
}

/**
 * Quantiles (p50, p95, p99, max by default) from a bounded-memory DDSketch-style sketch: every
 * quantile but 0 and 1 is within `relativeAccuracy` (default 1 %) of the true value at its rank,
 * and each series holds at most `maxBuckets` (default 2048) numbers per window slice.
 *
 * @example
 * ```ts
 * const latency = registry.register(
 *   new Summary({ name: 'job_duration_seconds', help: 'Job time', labelNames: ['job'], maxAgeSeconds: 600 }),
 * )
 * latency.observe({ job: 'backup' }, 12.5)
 * latency.get({ job: 'backup' })?.quantiles[0.99]
 * ```
 */
export class Summary<L extends string = never> extends Metric<L, SummarySeries> {
  readonly percentiles: readonly number[]
  readonly #shape: SketchShape
  readonly #quantileText: string[]

  constructor(options: SummaryOptions<L>) {
    super('summary', options, (at) => checkSummary(at, options ?? {}))
    this.percentiles = Object.freeze([...(options.percentiles ?? DEFAULT_PERCENTILES)])
    const ring = options.maxAgeSeconds === undefined ? 1 : (options.ageBuckets ?? 5)
    this.#shape = {
      relativeAccuracy: options.relativeAccuracy ?? 0.01,
      maxBuckets: options.maxBuckets ?? 2048,
      ring,
      sliceMs: options.maxAgeSeconds === undefined ? 0 : (options.maxAgeSeconds * 1000) / ring,
      clock: this.clock,
    }
    this.#quantileText = this.percentiles.map((q) => `quantile="${formatValue(q)}"} `)
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

  /** The summary of one label set, for repeated recording without a lookup. */
  labels(labels: Labels<L>): BoundSummary {
    const found = this.resolve(labels)
    return typeof found === 'string' ? new DroppedChild(this, found) : found
  }

  /** Count, sum and the configured quantiles of a label set; undefined when it has none. */
  get(labels?: Labels<L>): { count: number; sum: number; quantiles: Record<number, number> } | undefined {
    const s = this.find(labels)
    if (s === undefined) return undefined
    const sketch = s.window()
    const quantiles: Record<number, number> = {}
    for (const q of this.percentiles) quantiles[q] = sketch.quantile(q)
    return { count: s.count, sum: s.sum, quantiles }
  }

  /** @internal */
  timer(series: SummarySeries | undefined): () => number {
    const start = this.clock.monotonic()
    return () => {
      const seconds = (this.clock.monotonic() - start) / 1000
      if (series === undefined) this.drop('missing_label')
      else series.observe(seconds)
      return seconds
    }
  }

  protected newSeries(values: string[], created: number): SummarySeries {
    return new SummarySeries(this as unknown as Summary<string>, this.#shape, values, created)
  }

  /** @internal The quantiles of each series' window, with its lifetime count and sum. */
  toOtlp(timeMs: number): OtlpMetric {
    const points: OtlpSummaryPoint[] = []
    for (const s of this.seriesList) {
      const sketch = s.window()
      points.push({
        attributes: this.labelsOf(s),
        timeMs,
        startMs: s.created * 1000,
        count: s.count,
        sum: s.sum,
        quantiles: this.percentiles.map((quantile) => ({ quantile, value: sketch.quantile(quantile) })),
      })
    }
    return {
      name: this.name,
      description: this.help,
      unit: this.unit ?? '',
      data: { kind: 'summary', points },
    }
  }

  /** @internal */
  linesPerSeries(format: ExpositionFormat, created: boolean): number {
    // the quantiles, _sum and _count
    return this.percentiles.length + 2 + (created && format === 'openmetrics' ? 1 : 0)
  }

  /** @internal */
  renderSeries(
    format: ExpositionFormat,
    created: boolean,
    series: readonly SummarySeries[],
    from: number,
    to: number,
  ): string {
    const name = this.name
    let out = ''
    for (let i = from; i < to; i++) {
      const s = series[i]!
      const lt = this.labelPairs(s)
      const open = lt === '' ? `${name}{` : `${name}{${lt},`
      const rest = lt === '' ? ' ' : `{${lt}} `
      const sketch = s.window()
      this.percentiles.forEach((q, i) => {
        out += `${open}${this.#quantileText[i]}${formatValue(sketch.quantile(q))}\n`
      })
      out += `${name}_sum${rest}${formatValue(s.sum)}\n${name}_count${rest}${s.count}\n`
      if (created && format === 'openmetrics') out += `${name}_created${rest}${s.created}\n`
    }
    return out
  }
}

function checkSummary(at: string, options: SummaryOptions<string>): ConfigIssue[] {
  const issues: ConfigIssue[] = []
  const { percentiles, relativeAccuracy, maxBuckets, maxAgeSeconds, ageBuckets } = options
  if (percentiles !== undefined) {
    if (!Array.isArray(percentiles)) {
      issues.push({ path: `${at}.percentiles`, message: 'must be an array of numbers in [0, 1]' })
    } else {
      percentiles.forEach((q: unknown, i) => {
        if (typeof q !== 'number' || !(q >= 0 && q <= 1)) {
          issues.push({
            path: `${at}.percentiles[${i}]`,
            message: `must be a number in [0, 1]; found ${String(q)}`,
          })
        }
      })
    }
  }
  if (relativeAccuracy !== undefined && !(relativeAccuracy > 0 && relativeAccuracy < 1)) {
    issues.push({
      path: `${at}.relativeAccuracy`,
      message: `must be in (0, 1); found ${String(relativeAccuracy)}`,
    })
  }
  if (maxBuckets !== undefined && !(Number.isInteger(maxBuckets) && maxBuckets >= 16)) {
    issues.push({
      path: `${at}.maxBuckets`,
      message: `must be an integer >= 16; found ${String(maxBuckets)}`,
    })
  }
  if (maxAgeSeconds !== undefined && !(typeof maxAgeSeconds === 'number' && maxAgeSeconds > 0)) {
    issues.push({
      path: `${at}.maxAgeSeconds`,
      message: `must be a number > 0; found ${String(maxAgeSeconds)}`,
    })
  }
  if (ageBuckets !== undefined && !(Number.isInteger(ageBuckets) && ageBuckets >= 1)) {
    issues.push({ path: `${at}.ageBuckets`, message: `must be an integer >= 1; found ${String(ageBuckets)}` })
  }
  return issues
}
