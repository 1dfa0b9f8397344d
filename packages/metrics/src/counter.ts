import type { ExpositionFormat } from './exposition/text.ts'
import { formatValue } from './exposition/text.ts'
import { DroppedChild, type Labels, Metric, type MetricOptions, type SeriesBase } from './metric.ts'
import { familyName } from './names.ts'
import type { OtlpMetric, OtlpNumberPoint } from './otlp/model.ts'

/** Options of {@link Counter}. */
export interface CounterOptions<L extends string = never> extends MetricOptions<L> {
  /**
   * Called before each exposition, to bring the counter up to a total kept elsewhere (add the
   * difference with `inc`). A callback that throws or rejects is counted as a `collect_failed` drop.
   * @default none
   */
  collect?: (counter: Counter<L>) => void | Promise<void>
}

/** A counter bound to one label set: the fast way to record on a hot path. */
export interface BoundCounter {
  /** Adds `value` (default 1); a negative, NaN or infinite value is dropped and counted. */
  inc(value?: number): void
}

/** @internal One counter series. */
export class CounterSeries implements SeriesBase, BoundCounter {
  /** @internal */
  labelText: string | undefined = undefined
  value = 0
  readonly #metric: Counter<string>
  constructor(
    metric: Counter<string>,
    readonly labelValues: readonly string[],
    readonly created: number,
  ) {
    this.#metric = metric
  }
  inc(value = 1): void {
    if (typeof value !== 'number' || !(value >= 0) || value === Number.POSITIVE_INFINITY) {
      this.#metric.drop('invalid_value')
      return
    }
    this.value += value
  }
}

/**
 * A monotonically increasing count. Written as `<name>_total` in both formats (the name may be
 * given with or without `_total`).
 *
 * @example
 * ```ts
 * const requests = registry.register(
 *   new Counter({ name: 'http_requests_total', help: 'Requests served', labelNames: ['method', 'code'] }),
 * )
 * requests.inc({ method: 'GET', code: 200 })
 * const gets = requests.labels({ method: 'GET', code: 200 }) // bound: fastest
 * gets.inc()
 * ```
 */
export class Counter<L extends string = never> extends Metric<L, CounterSeries> {
  readonly #family: string
  readonly #collectFn: CounterOptions<L>['collect']

  constructor(options: CounterOptions<L>) {
    super('counter', options, (at) =>
      options?.collect !== undefined && typeof options.collect !== 'function'
        ? [{ path: `${at}.collect`, message: `must be a function; found ${typeof options.collect}` }]
        : [],
    )
    this.#family = familyName('counter', this.name)
    this.#collectFn = options.collect
    this.init()
  }

  /** @internal */
  override collect(): void | Promise<void> {
    return this.runCollect(this.#collectFn as ((metric: this) => void | Promise<void>) | undefined)
  }

  /** Adds `value` (default 1) to the series of `labels`, or to the only series when there are no labels. */
  inc(value?: number): void
  inc(labels: Labels<L>, value?: number): void
  inc(labels?: Labels<L> | number, value?: number): void {
    let series: CounterSeries | undefined
    if (typeof labels === 'object') {
      series = this.seriesFor(labels)
      if (series === undefined) return
    } else {
      series = this.single
      if (series === undefined) {
        this.drop('missing_label')
        return
      }
      value = labels
    }
    series.inc(value)
  }

  /** The counter of one label set, for repeated recording without a lookup. */
  labels(labels: Labels<L>): BoundCounter {
    const found = this.resolve(labels)
    return typeof found === 'string' ? new DroppedChild(this, found) : found
  }

  /** The current value of a label set, undefined when it has none. */
  get(labels?: Labels<L>): number | undefined {
    return this.find(labels)?.value
  }

  protected newSeries(values: string[], created: number): CounterSeries {
    return new CounterSeries(this as unknown as Counter<string>, values, created)
  }

  /** @internal */
  linesPerSeries(format: ExpositionFormat, created: boolean): number {
    return created && format === 'openmetrics' ? 2 : 1
  }

  /** @internal A monotonic cumulative sum named as the OpenMetrics family (without `_total`). */
  toOtlp(timeMs: number): OtlpMetric {
    const points: OtlpNumberPoint[] = []
    for (const s of this.seriesList)
      points.push({ attributes: this.labelsOf(s), timeMs, startMs: s.created * 1000, value: s.value })
    return {
      name: this.#family,
      description: this.help,
      unit: this.unit ?? '',
      data: { kind: 'sum', monotonic: true, points },
    }
  }

  /** @internal */
  renderSeries(
    format: ExpositionFormat,
    created: boolean,
    series: readonly CounterSeries[],
    from: number,
    to: number,
  ): string {
    const total = `${this.#family}_total`
    const createdName = `${this.#family}_created`
    let out = ''
    for (let i = from; i < to; i++) {
      const s = series[i]!
      const labels = this.labelBlock(s)
      out += `${total}${labels}${formatValue(s.value)}\n`
      if (created && format === 'openmetrics') out += `${createdName}${labels}${s.created}\n`
    }
    return out
  }
}
