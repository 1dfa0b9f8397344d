import { type Clock, ConfigError, type ConfigIssue, type Logger, noopLogger, systemClock } from '@noa/core'
import { type ExpositionFormat, escapeHelp, renderLabelPairs } from './exposition/text.ts'
import { checkNames, familyName, type MetricType } from './names.ts'
import type { OtlpMetric } from './otlp/model.ts'

/** A label value as a caller may pass it; numbers and booleans are written as their string form. */
export type LabelValue = string | number | boolean

/** The label set of a metric whose label names are `L`: every name, no other. */
export type Labels<L extends string> = { readonly [K in L]: LabelValue }

/** Why a recording was dropped instead of counted; the `reason` label of `noa_metrics_dropped_samples_total`. */
export type DropReason =
  | 'invalid_value'
  | 'missing_label'
  | 'extra_label'
  | 'invalid_label_value'
  | 'cardinality_limit'
  | 'collect_failed'

/**
 * Default most series (label sets) per metric. It matches the OpenTelemetry SDK's default
 * cardinality limit, so a service instrumented with either behaves the same, and it bounds a
 * labelled histogram with the default 11 buckets to roughly 0.5 MB.
 */
export const DEFAULT_MAX_SERIES = 2000

/** Options every metric accepts. */
export interface MetricOptions<L extends string> {
  /** Metric name, `[a-zA-Z_:][a-zA-Z0-9_:]*`. */
  name: string
  /** Help text written on the `# HELP` line. */
  help: string
  /** Label names, `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__`. @default [] */
  labelNames?: readonly L[]
  /** Unit (OpenMetrics `# UNIT`); the name must then end with `_<unit>`. @default none */
  unit?: string
  /** Most label sets kept; further ones are dropped and counted. @default 2000 */
  maxSeries?: number
  /** Where a dropped recording is warned (once per reason). @default the registry's logger, else silent */
  logger?: Logger
  /** Time source for `_created` and timers. @default systemClock */
  clock?: Clock
}

/** @internal The state all series share: where they belong and how they are written. */
export interface SeriesBase {
  readonly labelValues: readonly string[]
  /** Whole epoch seconds the series was created (the OpenMetrics `_created` value; an integer keeps it unboxed). */
  readonly created: number
  /** Its `name="value",...` text, made at its first exposition and kept (label values never change). */
  labelText: string | undefined
}

const EXTRA_ISSUES: ConfigIssue[] = []

/**
 * The part every metric type shares: option checks, label-set lookup under a cardinality limit
 * and the never-throw drop policy. Use {@link Counter}, {@link Gauge}, {@link Histogram} or
 * {@link Summary}.
 */
export abstract class Metric<L extends string, S extends SeriesBase> {
  readonly type: MetricType
  readonly name: string
  readonly help: string
  readonly labelNames: readonly L[]
  readonly unit: string | undefined
  readonly maxSeries: number
  /** @internal Series in creation order (the order they are written). */
  readonly seriesList: S[] = []
  /** @internal Drops by reason since creation. */
  readonly drops = new Map<DropReason, number>()
  /** @internal Set by the registry unless given in the options. */
  logger: Logger
  /** @internal True when the logger came from the options. */
  readonly ownLogger: boolean
  protected readonly clock: Clock
  /** The series of a metric without labels, created at once so it is written as 0 before any use. */
  protected single: S | undefined
  readonly #index = new Map<number, S>()
  readonly #valueIds = new Map<string, number>()
  readonly #valueRefs: number[] = []
  readonly #freeIds: number[] = []
  #collisions: Map<number, S[]> | undefined
  readonly #warned = new Set<DropReason>()
  /** Set by {@link addLabelNames}: an empty label value is then written as an absent label. */
  #open = false
  readonly #headers: Record<ExpositionFormat, string>

  protected constructor(type: MetricType, options: MetricOptions<L>, extra: (at: string) => ConfigIssue[]) {
    const raw = (options ?? {}) as Partial<MetricOptions<L>>
    const issues = checkNames(type, raw.name, raw.labelNames, raw.unit)
    const at = typeof raw.name === 'string' && raw.name !== '' ? raw.name : '(unnamed metric)'
    if (typeof raw.help !== 'string') {
      issues.push({ path: `${at}.help`, message: `must be a string; found ${typeof raw.help}` })
    }
    const maxSeries = raw.maxSeries ?? DEFAULT_MAX_SERIES
    if (!Number.isInteger(maxSeries) || maxSeries < 1) {
      issues.push({ path: `${at}.maxSeries`, message: `must be an integer >= 1; found ${String(maxSeries)}` })
    }
    issues.push(...(extra(at) ?? EXTRA_ISSUES))
    if (issues.length > 0) throw new ConfigError(issues)
    this.type = type
    this.name = raw.name as string
    this.help = raw.help as string
    this.labelNames = Object.freeze([...(raw.labelNames ?? [])]) as readonly L[]
    this.unit = raw.unit
    this.maxSeries = maxSeries
    this.logger = raw.logger ?? noopLogger
    this.ownLogger = raw.logger !== undefined
    this.clock = raw.clock ?? systemClock
    this.#headers = { prometheus: this.#headerOf('prometheus'), openmetrics: this.#headerOf('openmetrics') }
  }

  /** Forgets every label set (a metric without labels goes back to zero). */
  reset(): void {
    this.#index.clear()
    this.#valueIds.clear()
    this.#valueRefs.length = 0
    this.#freeIds.length = 0
    this.#collisions = undefined
    this.seriesList.length = 0
    if (this.labelNames.length === 0 && !this.#open) this.single = this.#seriesAt([])
  }

  /** Forgets one label set; returns whether it existed. Never throws. */
  remove(labels: Labels<L>): boolean {
    if (this.single !== undefined) return false
    const series = this.find(labels)
    if (series === undefined) return false
    this.seriesList.splice(this.seriesList.indexOf(series), 1)
    this.released(series)
    const hash = this.#hashOf(series.labelValues)
    for (const v of series.labelValues) {
      const id = this.#valueIds.get(v) as number
      if (--this.#valueRefs[id]! === 0) {
        this.#valueIds.delete(v)
        this.#freeIds.push(id)
      }
    }
    if (this.#index.get(hash) === series) {
      this.#index.delete(hash)
      const moved = this.#collisions?.get(hash)?.shift()
      if (moved !== undefined) this.#index.set(hash, moved)
    } else {
      const list = this.#collisions?.get(hash)
      list?.splice(list.indexOf(series), 1)
    }
    return true
  }

  /**
   * @internal Adds label names to a metric in use, for sources that do not declare their labels
   * up front (the OpenTelemetry bridge). Every existing series takes `""` for the new names and
   * keeps its value: Prometheus and OpenMetrics read an empty label as an absent one, so the
   * series stays the same series. From then on an empty value is written as an absent label, and
   * a metric without label names holds no implicit series (`addLabelNames([])` makes it so): the
   * empty label set is a series like any other, made by its first recording and removable.
   * Throws a ConfigError for an invalid, reserved or repeated name.
   */
  addLabelNames(names: readonly string[]): void {
    const all = [...this.labelNames, ...names]
    const issues = checkNames(this.type, this.name, all, this.unit)
    if (issues.length > 0) throw new ConfigError(issues)
    ;(this as { labelNames: readonly string[] }).labelNames = Object.freeze(all)
    this.#open = true
    this.single = undefined
    this.#index.clear()
    this.#valueIds.clear()
    this.#valueRefs.length = 0
    this.#freeIds.length = 0
    this.#collisions = undefined
    for (const series of this.seriesList) {
      // The arrays are the metric's own (made in #create), so they can grow in place.
      for (let i = 0; i < names.length; i++) (series.labelValues as string[]).push('')
      series.labelText = undefined
      this.#insert(series)
    }
  }

  /** Number of label sets held. */
  get seriesCount(): number {
    return this.seriesList.length
  }

  /** @internal Counts one dropped recording and warns once per reason. Never throws. */
  drop(reason: DropReason): void {
    this.drops.set(reason, (this.drops.get(reason) ?? 0) + 1)
    if (this.#warned.has(reason)) return
    this.#warned.add(reason)
    try {
      this.logger.warn(`metrics: dropped a sample of ${this.name}`, { metric: this.name, reason })
    } catch {
      // A failing logger must not reach the host service either.
    }
  }

  /** @internal Collect callback hook, run before the metric is written. */
  collect(): void | Promise<void> {}

  /** Runs a user collect callback: a throw or rejection is a `collect_failed` drop, never an error. */
  protected runCollect(callback: ((metric: this) => void | Promise<void>) | undefined): void | Promise<void> {
    if (callback === undefined) return
    try {
      const done = callback(this)
      if (done instanceof Promise) return done.catch(() => this.drop('collect_failed'))
    } catch {
      this.drop('collect_failed')
    }
  }

  /** @internal The metric as exposition text in `format`. */
  render(format: ExpositionFormat, created: boolean): string {
    const series = this.seriesList
    return this.#headers[format] + this.renderSeries(format, created, series, 0, series.length)
  }

  /** @internal The `# HELP`, `# TYPE` (and `# UNIT`) lines in `format`. */
  header(format: ExpositionFormat): string {
    return this.#headers[format]
  }

  /** @internal How many sample lines one series writes, to cut a long exposition into slices. */
  abstract linesPerSeries(format: ExpositionFormat, created: boolean): number

  /** @internal The sample lines of `series[from]` to `series[to - 1]`. */
  abstract renderSeries(
    format: ExpositionFormat,
    created: boolean,
    series: readonly S[],
    from: number,
    to: number,
  ): string
  protected abstract newSeries(labelValues: string[], created: number): S

  /** Called when a series is removed, so a subclass can reuse what it held. */
  protected released(_series: S): void {}

  /**
   * @internal The metric as OTLP data, read from its series without writing text (the OTLP
   * export of a registry): `timeMs` is every point's time; cumulative points start at their
   * series' creation.
   */
  abstract toOtlp(timeMs: number): OtlpMetric

  /** @internal A series' labels by name (an open metric's empty values left out, as in its text). */
  protected labelsOf(series: S): Record<string, string> {
    const labels: Record<string, string> = {}
    const names = this.labelNames
    for (let i = 0; i < names.length; i++) {
      const value = series.labelValues[i]!
      if (!(this.#open && value === '')) labels[names[i]!] = value
    }
    return labels
  }

  /** `{name="value",...}` followed by a space, or a lone space for a series without labels. */
  protected labelBlock(series: S): string {
    if (series.labelValues.length === 0) return ' '
    const pairs = this.labelPairs(series)
    return pairs === '' ? ' ' : `{${pairs}} `
  }

  /**
   * `name="value",...` (no braces), escaped once per series: a scrape of many series otherwise
   * makes every label text again, and that garbage is most of what the collector then copies.
   */
  protected labelPairs(series: S): string {
    series.labelText ??= renderLabelPairs(this.labelNames, series.labelValues, this.#open)
    return series.labelText
  }

  /** The name on the `# HELP`/`# TYPE` lines in `format`. */
  protected headerName(format: ExpositionFormat): string {
    if (this.type !== 'counter') return this.name
    const family = familyName('counter', this.name)
    return format === 'openmetrics' ? family : `${family}_total`
  }

  /** The existing series for `labels`, without creating one or counting a drop. */
  protected find(labels: unknown): S | undefined {
    if (this.single !== undefined) return this.single
    const found = this.#locate(labels, false)
    return typeof found === 'string' ? undefined : found
  }

  /**
   * The series for a label set, created on first use; undefined (and the drop counted) when
   * the set is invalid or past the cardinality limit. This is the hot path: one Map lookup per
   * label (its value's id) and one for the set, no allocation once the series exists.
   */
  protected seriesFor(labels: unknown): S | undefined {
    const found = this.resolve(labels)
    if (typeof found === 'string') {
      this.drop(found)
      return undefined
    }
    return found
  }

  /** The series for a label set, or why there is none; counts nothing. */
  protected resolve(labels: unknown): S | DropReason {
    return this.#locate(labels, true) as S | DropReason
  }

  #locate(labels: unknown, create: boolean): S | DropReason | undefined {
    const names = this.labelNames
    const n = names.length
    if (typeof labels !== 'object' || labels === null) return 'missing_label'
    // Each distinct value has a small integer id (a Map keyed by the string, whose hash V8 keeps in
    // the string), and the ids are mixed into one number: no key string is built and no character
    // is hashed on the hot path. The found series' values are compared, so a collision of mixed
    // ids can never mix two label sets.
    const values = SCRATCH
    let hash = 0x811c9dc5
    let known = true
    for (let i = 0; i < n; i++) {
      let value = (labels as Record<string, unknown>)[names[i]!]
      if (typeof value !== 'string') {
        if (value === undefined) return 'missing_label'
        value = normalize(value)
        if (value === undefined) return 'invalid_label_value'
      }
      values[i] = value as string
      const id = this.#valueIds.get(value as string)
      if (id === undefined) known = false
      else hash = Math.imul(hash ^ id, 0x01000193)
    }
    let count = 0
    for (const _key in labels) count++
    if (count !== n) return 'extra_label'
    if (this.single !== undefined) return this.single
    if (known) {
      const found = this.#index.get(hash)
      if (found !== undefined && sameValues(found.labelValues, values, n)) return found
      const other = this.#collisions?.get(hash)
      if (other !== undefined) for (const s of other) if (sameValues(s.labelValues, values, n)) return s
    }
    return create ? this.#create() : undefined
  }

  /** Creates the series of the label values in SCRATCH (known not to exist). */
  #create(): S | DropReason {
    if (this.seriesList.length >= this.maxSeries) return 'cardinality_limit'
    const series = this.#seriesAt(SCRATCH.slice(0, this.labelNames.length))
    this.#insert(series)
    return series
  }

  /** Indexes a series: takes a reference on each of its values' ids and files it under their hash. */
  #insert(series: S): void {
    const values = series.labelValues
    for (const v of values) {
      let id = this.#valueIds.get(v)
      if (id === undefined) {
        id = this.#freeIds.pop() ?? this.#valueRefs.length
        this.#valueIds.set(v, id)
        this.#valueRefs[id] = 0
      }
      this.#valueRefs[id]!++
    }
    const hash = this.#hashOf(values)
    if (!this.#index.has(hash)) this.#index.set(hash, series)
    else {
      this.#collisions ??= new Map()
      const list = this.#collisions.get(hash)
      if (list === undefined) this.#collisions.set(hash, [series])
      else list.push(series)
    }
  }

  #hashOf(values: readonly string[]): number {
    let hash = 0x811c9dc5
    for (const v of values) hash = Math.imul(hash ^ (this.#valueIds.get(v) as number), 0x01000193)
    return hash
  }

  #seriesAt(values: string[]): S {
    const series = this.newSeries(values, Math.floor(this.clock.now() / 1000))
    this.seriesList.push(series)
    return series
  }

  /** Subclasses call this last in their constructor, once their own fields exist. */
  protected init(): void {
    if (this.labelNames.length === 0) this.single = this.#seriesAt([])
  }

  #headerOf(format: ExpositionFormat): string {
    const name = this.headerName(format)
    let out = `# HELP ${name} ${escapeHelp(this.help, format)}\n# TYPE ${name} ${this.type}\n`
    if (format === 'openmetrics' && this.unit !== undefined) out += `# UNIT ${name} ${this.unit}\n`
    return out
  }
}

const SCRATCH: string[] = []

function sameValues(a: readonly string[], b: readonly string[], n: number): boolean {
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false
  return true
}

function normalize(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return undefined
}

/** A bound label set that drops every recording, returned for an invalid label set. */
export class DroppedChild {
  readonly #metric: { drop(reason: DropReason): void }
  readonly #reason: DropReason
  constructor(metric: { drop(reason: DropReason): void }, reason: DropReason) {
    this.#metric = metric
    this.#reason = reason
  }
  inc(): void {
    this.#metric.drop(this.#reason)
  }
  dec(): void {
    this.#metric.drop(this.#reason)
  }
  set(): void {
    this.#metric.drop(this.#reason)
  }
  observe(): void {
    this.#metric.drop(this.#reason)
  }
  startTimer(): () => number {
    return () => {
      this.#metric.drop(this.#reason)
      return 0
    }
  }
}
