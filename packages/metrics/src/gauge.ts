import { type ExpositionFormat, formatValue } from './exposition/text.ts'
import { DroppedChild, type Labels, Metric, type MetricOptions, type SeriesBase } from './metric.ts'
import type { OtlpMetric, OtlpNumberPoint } from './otlp/model.ts'

/** Options of {@link Gauge}. */
export interface GaugeOptions<L extends string = never> extends MetricOptions<L> {
  /**
   * Called before each exposition to refresh the gauge (for example from a system reading).
   * A callback that throws or rejects is counted as a `collect_failed` drop; the old values stay.
   * @default none
   */
  collect?: (gauge: Gauge<L>) => void | Promise<void>
}

/** A gauge bound to one label set. */
export interface BoundGauge {
  /** Sets the value; any number is kept, NaN and ±Inf included (they are valid gauge values). */
  set(value: number): void
  /** Adds `value` (default 1); NaN or infinite is dropped and counted. */
  inc(value?: number): void
  /** Subtracts `value` (default 1); NaN or infinite is dropped and counted. */
  dec(value?: number): void
}

/** @internal One gauge series. */
export class GaugeSeries implements SeriesBase, BoundGauge {
  /** @internal */
  labelText: string | undefined = undefined
  value = 0
  readonly #metric: Gauge<string>
  constructor(
    metric: Gauge<string>,
    readonly labelValues: readonly string[],
    readonly created: number,
  ) {
    this.#metric = metric
  }
  set(value: number): void {
    if (typeof value === 'number') this.value = value
    else this.#metric.drop('invalid_value')
  }
  inc(value = 1): void {
    if (typeof value === 'number' && Number.isFinite(value)) this.value += value
    else this.#metric.drop('invalid_value')
  }
  dec(value = 1): void {
    if (typeof value === 'number' && Number.isFinite(value)) this.value -= value
    else this.#metric.drop('invalid_value')
  }
}

/**
 * A value that goes up and down.
 *
 * @example
 * ```ts
 * const inFlight = registry.register(new Gauge({ name: 'jobs_in_flight', help: 'Jobs running' }))
 * inFlight.inc()
 * inFlight.dec()
 * const heap = registry.register(
 *   new Gauge({ name: 'heap_bytes', help: 'Heap used', collect: (g) => g.set(process.memoryUsage().heapUsed) }),
 * )
 * ```
 */
export class Gauge<L extends string = never> extends Metric<L, GaugeSeries> {
  readonly #collectFn: GaugeOptions<L>['collect']

  constructor(options: GaugeOptions<L>) {
    super('gauge', options, (at) =>
      options?.collect !== undefined && typeof options.collect !== 'function'
        ? [{ path: `${at}.collect`, message: `must be a function; found ${typeof options.collect}` }]
        : [],
    )
    this.#collectFn = options.collect
    this.init()
  }

  /** Sets the value of a label set (or of the only series). */
  set(value: number): void
  set(labels: Labels<L>, value: number): void
  set(labels: Labels<L> | number, value?: number): void {
    this.#pick(labels)?.set(typeof labels === 'object' ? (value as number) : labels)
  }

  /** Adds `value` (default 1). */
  inc(value?: number): void
  inc(labels: Labels<L>, value?: number): void
  inc(labels?: Labels<L> | number, value?: number): void {
    this.#pick(labels)?.inc(typeof labels === 'object' ? value : labels)
  }

  /** Subtracts `value` (default 1). */
  dec(value?: number): void
  dec(labels: Labels<L>, value?: number): void
  dec(labels?: Labels<L> | number, value?: number): void {
    this.#pick(labels)?.dec(typeof labels === 'object' ? value : labels)
  }

  /** The gauge of one label set, for repeated recording without a lookup. */
  labels(labels: Labels<L>): BoundGauge {
    const found = this.resolve(labels)
    return typeof found === 'string' ? new DroppedChild(this, found) : found
  }

  /** The current value of a label set, undefined when it has none. */
  get(labels?: Labels<L>): number | undefined {
    return this.find(labels)?.value
  }

  /** @internal */
  override collect(): void | Promise<void> {
    return this.runCollect(this.#collectFn as ((metric: this) => void | Promise<void>) | undefined)
  }

  #pick(labels: unknown): GaugeSeries | undefined {
    if (typeof labels === 'object') return this.seriesFor(labels)
    if (this.single === undefined) this.drop('missing_label')
    return this.single
  }

  protected newSeries(values: string[], created: number): GaugeSeries {
    return new GaugeSeries(this as unknown as Gauge<string>, values, created)
  }

  /** @internal */
  linesPerSeries(): number {
    return 1
  }

  /** @internal */
  toOtlp(timeMs: number): OtlpMetric {
    const points: OtlpNumberPoint[] = []
    for (const s of this.seriesList) points.push({ attributes: this.labelsOf(s), timeMs, value: s.value })
    return { name: this.name, description: this.help, unit: this.unit ?? '', data: { kind: 'gauge', points } }
  }

  /** @internal */
  renderSeries(
    _format: ExpositionFormat,
    _created: boolean,
    series: readonly GaugeSeries[],
    from: number,
    to: number,
  ): string {
    let out = ''
    const name = this.name
    for (let i = from; i < to; i++) {
      const s = series[i]!
      out += `${name}${this.labelBlock(s)}${formatValue(s.value)}\n`
    }
    return out
  }
}
