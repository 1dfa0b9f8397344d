import { ConfigError, type Logger, noopLogger, yieldToLoop } from '@noa/core'
import { Counter, type CounterOptions } from './counter.ts'
import { contentTypeOf } from './exposition/negotiate.ts'
import { type ExpositionFormat, escapeLabelValue } from './exposition/text.ts'
import { Gauge, type GaugeOptions } from './gauge.ts'
import { Histogram, type HistogramOptions } from './histogram.ts'
import type { DropReason, Metric, SeriesBase } from './metric.ts'
import { reservedNames } from './names.ts'
import { renderSlices } from './slices.ts'
import { Summary, type SummaryOptions } from './summary.ts'

/** Name of the counter of recordings dropped by the SDK, labelled by `metric` and `reason`. */
export const DROPPED_SAMPLES_METRIC = 'noa_metrics_dropped_samples_total'

/** Any registered metric. */
// biome-ignore lint/suspicious/noExplicitAny: a registry holds metrics of every label type
export type AnyMetric = Metric<any, SeriesBase>

/** Options of {@link Registry}. */
export interface RegistryOptions {
  /** Receives one warning per metric and drop reason. @default noopLogger */
  logger?: Logger
  /**
   * Most sample lines {@link Registry.metrics} writes before it lets the event loop run
   * (`Infinity`: in one go, like {@link Registry.render}). @default 2000
   */
  renderSlice?: number
}

/** Default of {@link RegistryOptions.renderSlice}: about a millisecond of writing. */
export const DEFAULT_RENDER_SLICE = 2000

/** Options of {@link Registry.metrics}. */
export interface RenderOptions {
  /** Also write `_created` samples (OpenMetrics only). @default false */
  created?: boolean
}

/** One row of {@link Registry.droppedSamples}. */
export interface DroppedSamples {
  metric: string
  reason: DropReason
  count: number
}

/**
 * A set of metrics exposed together. There is no global default registry: create one per
 * service (or per test) and pass it where metrics are made.
 *
 * @example
 * ```ts
 * const registry = new Registry({ logger })
 * const jobs = registry.counter({ name: 'jobs_total', help: 'Jobs done', labelNames: ['queue'] })
 * jobs.inc({ queue: 'mail' })
 * const text = await registry.metrics('openmetrics')
 * ```
 */
export class Registry {
  readonly logger: Logger
  readonly renderSlice: number
  readonly #metricsByName = new Map<string, AnyMetric>()
  /** Sample name -> metric name that writes it, to refuse clashes such as `x_total` next to counter `x`. */
  readonly #taken = new Map<string, string>()

  constructor(options: RegistryOptions = {}) {
    const renderSlice = options.renderSlice ?? DEFAULT_RENDER_SLICE
    if (!(renderSlice === Number.POSITIVE_INFINITY || (Number.isInteger(renderSlice) && renderSlice >= 1))) {
      throw new ConfigError([
        {
          path: 'registry.renderSlice',
          message: `must be an integer >= 1 or Infinity; found ${String(renderSlice)}`,
        },
      ])
    }
    this.logger = options.logger ?? noopLogger
    this.renderSlice = renderSlice
    for (const name of reservedNames('counter', DROPPED_SAMPLES_METRIC))
      this.#taken.set(name, DROPPED_SAMPLES_METRIC)
  }

  /**
   * Adds a metric; throws a ConfigError naming the metric when its name, or a sample name it
   * writes (`_total`, `_bucket`, `_sum`, `_count`, `_created`), is already used.
   */
  register<M extends AnyMetric>(metric: M): M {
    const clashes: string[] = []
    for (const name of reservedNames(metric.type, metric.name)) {
      const owner = this.#taken.get(name)
      if (owner !== undefined) clashes.push(`"${name}" is already written by ${this.#describe(owner)}`)
    }
    if (clashes.length > 0) {
      throw new ConfigError(
        clashes.map((message) => ({
          path: metric.name,
          message: `cannot register ${metric.type}: ${message}`,
        })),
      )
    }
    for (const name of reservedNames(metric.type, metric.name)) this.#taken.set(name, metric.name)
    this.#metricsByName.set(metric.name, metric)
    if (!metric.ownLogger) metric.logger = this.logger
    return metric
  }

  /** Removes a metric by name; returns whether it was registered. */
  unregister(name: string): boolean {
    const metric = this.#metricsByName.get(name)
    if (metric === undefined) return false
    for (const sample of reservedNames(metric.type, metric.name)) this.#taken.delete(sample)
    this.#metricsByName.delete(name)
    return true
  }

  /** The metric registered under `name`. */
  get(name: string): AnyMetric | undefined {
    return this.#metricsByName.get(name)
  }

  /** Every registered metric, in registration order. */
  list(): AnyMetric[] {
    return [...this.#metricsByName.values()]
  }

  /** Creates and registers a {@link Counter}. */
  counter<L extends string = never>(options: CounterOptions<L>): Counter<L> {
    return this.register(new Counter(options))
  }

  /** Creates and registers a {@link Gauge}. */
  gauge<L extends string = never>(options: GaugeOptions<L>): Gauge<L> {
    return this.register(new Gauge(options))
  }

  /** Creates and registers a {@link Histogram}. */
  histogram<L extends string = never>(options: HistogramOptions<L>): Histogram<L> {
    return this.register(new Histogram(options))
  }

  /** Creates and registers a {@link Summary}. */
  summary<L extends string = never>(options: SummaryOptions<L>): Summary<L> {
    return this.register(new Summary(options))
  }

  /** Runs every collect callback (they never reject; failures are counted as drops). */
  async collect(): Promise<void> {
    const pending: Promise<void>[] = []
    for (const metric of this.#metricsByName.values()) {
      const done = metric.collect()
      if (done !== undefined) pending.push(done)
    }
    if (pending.length > 0) await Promise.all(pending)
  }

  /**
   * Runs the collect callbacks, then writes every metric in `format`, letting the event loop
   * run every `renderSlice` sample lines: tens of thousands of series take tens of
   * milliseconds to write, which a service's requests would otherwise wait for. The text is
   * the same as {@link render}'s, each series read when its slice is written.
   * @param format 'prometheus' (text 0.0.4, the default) or 'openmetrics' (1.0.0, ends with `# EOF`)
   */
  async metrics(format: ExpositionFormat = 'prometheus', options: RenderOptions = {}): Promise<string> {
    await this.collect()
    let out = ''
    for (const piece of this.#pieces(format, options, this.renderSlice)) {
      out += piece
      await yieldToLoop()
    }
    return out
  }

  /**
   * {@link metrics} as UTF-8 bytes, for an HTTP answer: each slice is encoded as it is written,
   * so a large exposition is never held on the JavaScript heap as one string of many pieces
   * (which the garbage collector would copy at every collection made during the scrape), and
   * the answer needs no encoding when it is sent.
   */
  async metricsBytes(format: ExpositionFormat = 'prometheus', options: RenderOptions = {}): Promise<Buffer> {
    await this.collect()
    const chunks: Buffer[] = []
    for (const piece of this.#pieces(format, options, this.renderSlice)) {
      chunks.push(Buffer.from(piece))
      await yieldToLoop()
    }
    return Buffer.concat(chunks)
  }

  /** Writes every metric as they are now, in one go, without running collect callbacks. */
  render(format: ExpositionFormat = 'prometheus', options: RenderOptions = {}): string {
    let out = ''
    for (const piece of this.#pieces(format, options, Number.POSITIVE_INFINITY)) out += piece
    return out
  }

  /** The content type of `format`, for the HTTP answer. */
  contentType(format: ExpositionFormat = 'prometheus'): string {
    return contentTypeOf(format)
  }

  /** Recordings dropped so far, by metric and reason. */
  droppedSamples(): DroppedSamples[] {
    const rows: DroppedSamples[] = []
    for (const metric of this.#metricsByName.values()) {
      for (const [reason, count] of metric.drops) rows.push({ metric: metric.name, reason, count })
    }
    return rows
  }

  /** Resets every metric's series (registrations stay). */
  resetAll(): void {
    for (const metric of this.#metricsByName.values()) metric.reset()
  }

  *#pieces(
    format: ExpositionFormat,
    options: RenderOptions,
    sliceLines: number,
  ): Generator<string, void, undefined> {
    // A copy: metrics registered or removed between two slices change the next scrape, not this one.
    yield* renderSlices([...this.#metricsByName.values()], format, options.created === true, sliceLines)
    const dropped = this.#renderDropped(format)
    yield format === 'openmetrics' ? `${dropped}# EOF\n` : dropped
  }

  #renderDropped(format: ExpositionFormat): string {
    const rows = this.droppedSamples()
    if (rows.length === 0) return ''
    const family = DROPPED_SAMPLES_METRIC.slice(0, -6)
    const header = format === 'openmetrics' ? family : DROPPED_SAMPLES_METRIC
    let out = `# HELP ${header} Recordings dropped by the metrics SDK instead of throwing into the service, by metric and reason.\n# TYPE ${header} counter\n`
    for (const row of rows) {
      out += `${DROPPED_SAMPLES_METRIC}{metric="${escapeLabelValue(row.metric)}",reason="${row.reason}"} ${row.count}\n`
    }
    return out
  }

  #describe(owner: string): string {
    const metric = this.#metricsByName.get(owner)
    return metric === undefined ? `the SDK's own ${owner}` : `${metric.type} "${owner}"`
  }
}
