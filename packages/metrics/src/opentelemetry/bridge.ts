import { errorMessage } from '@noa/core'
import type { MetricOptions as ApiMetricOptions } from '@opentelemetry/api'
import { Counter } from '../counter.ts'
import { Gauge } from '../gauge.ts'
import { Histogram, type HistogramOptions } from '../histogram.ts'
import { reservedNames } from '../names.ts'
import type { Registry } from '../registry.ts'
import { Family, type FamilyMetric, type FamilyShape } from './family.ts'
import { type InstrumentKind, isValidInstrumentName, METRIC_TYPE_OF, prometheusName } from './names.ts'
import type { Observations } from './observations.ts'
import type { Refusals } from './refusals.ts'

/** How each noa metric type is made. */
const FACTORIES = {
  counter: (options) => new Counter(options),
  gauge: (options) => new Gauge(options),
  histogram: (options) => new Histogram(options),
} satisfies Record<
  (typeof METRIC_TYPE_OF)[InstrumentKind],
  (options: HistogramOptions<string>) => FamilyMetric
>

/** What the bridge of one provider was given, resolved. */
export interface BridgeSettings {
  scopeLabels: boolean
  maxSeries: number
  maxLabelNames: number
  maxInstruments: number
}

/**
 * The families of one provider by Prometheus name: an instrument created again (by any meter)
 * with the same kind shares its family; with another kind, or a name the registry refuses, it is
 * refused (counted, warned) and the caller gets a no-op instrument.
 */
export class Bridge {
  readonly #registry: Registry
  readonly #settings: BridgeSettings
  readonly #refusals: Refusals
  readonly #observations: Observations
  readonly #families = new Map<string, Family>()
  /** Every sample name the families write (`_total`, `_bucket`...), to tell a clash among them. */
  readonly #reserved = new Map<string, Family>()

  constructor(registry: Registry, settings: BridgeSettings, refusals: Refusals, observations: Observations) {
    this.#registry = registry
    this.#settings = settings
    this.#refusals = refusals
    this.#observations = observations
  }

  get settings(): BridgeSettings {
    return this.#settings
  }

  get observations(): Observations {
    return this.#observations
  }

  /** The family of an instrument, made on first use; undefined when refused (counted and warned). */
  family(name: unknown, options: ApiMetricOptions | undefined, kind: InstrumentKind): Family | undefined {
    if (!isValidInstrumentName(name)) {
      this.#refusals.refuse(
        'invalid_name',
        String(name),
        `instrument name ${JSON.stringify(String(name))} refused: names are a letter then up to 254 of [a-zA-Z0-9_.-/]`,
      )
      return undefined
    }
    const description = typeof options?.description === 'string' ? options.description : ''
    const unit = typeof options?.unit === 'string' ? options.unit : undefined
    const prometheus = prometheusName(name, unit, kind)
    const buckets =
      kind === 'histogram' ? this.#buckets(name, options?.advice?.explicitBucketBoundaries) : undefined
    const shape: FamilyShape = { kind, description, unit: prometheus.unit, buckets }
    const known = this.#families.get(prometheus.name)
    if (known !== undefined) return this.#again(name, known, shape)
    const type = METRIC_TYPE_OF[kind]
    const taken = reservedNames(type, prometheus.name).find((sample) => this.#reserved.has(sample))
    if (taken !== undefined) {
      const owner = this.#reserved.get(taken) as Family
      this.#refusals.refuse(
        owner.shape.kind === kind ? 'name_clash' : 'kind_conflict',
        name,
        `instrument "${name}" (${kind}) refused: ${prometheus.name} would write "${taken}", as ${owner.metric.name} (${owner.shape.kind}) does`,
      )
      return undefined
    }
    if (this.#families.size >= this.#settings.maxInstruments) {
      this.#refusals.refuse(
        'instrument_limit',
        name,
        `instrument "${name}" refused: the provider already has ${this.#settings.maxInstruments} metrics`,
      )
      return undefined
    }
    const observable = kind.startsWith('observable_')
    let metric: FamilyMetric
    try {
      metric = this.#registry.register(
        FACTORIES[type]({
          name: prometheus.name,
          help: description,
          unit: prometheus.unit,
          maxSeries: this.#settings.maxSeries,
          buckets,
          ...(observable ? { collect: () => this.#observations.collect() } : {}),
        }),
      )
    } catch (error) {
      this.#refusals.refuse('name_clash', name, `instrument "${name}" refused: ${errorMessage(error)}`)
      return undefined
    }
    const family = new Family(shape, metric, this.#settings.maxLabelNames, this.#scopeNames())
    this.#families.set(prometheus.name, family)
    for (const sample of reservedNames(type, prometheus.name)) this.#reserved.set(sample, family)
    if (observable) this.#observations.track(family)
    return family
  }

  /** The API allows an instrument to be created again; the first creation's settings stay. */
  #again(name: string, known: Family, shape: FamilyShape): Family | undefined {
    const first = known.shape
    if (first.kind !== shape.kind) {
      this.#refusals.refuse(
        'kind_conflict',
        name,
        `instrument "${name}" (${shape.kind}) refused: ${known.metric.name} is already a ${first.kind}`,
      )
      return undefined
    }
    if (first.description !== shape.description || String(first.buckets) !== String(shape.buckets)) {
      this.#refusals.warn(
        `\u0000again\u0000${known.metric.name}`,
        `opentelemetry: instrument "${name}" created again with another description or buckets; the first ones are kept`,
        { instrument: name },
      )
    }
    return known
  }

  #buckets(name: string, advice: unknown): readonly number[] | undefined {
    if (advice === undefined) return undefined
    const valid =
      Array.isArray(advice) &&
      advice.length > 0 &&
      advice.every(
        (b: unknown, i) =>
          typeof b === 'number' && Number.isFinite(b) && b >= 0 && (i === 0 || b > (advice[i - 1] as number)),
      )
    if (valid) return Object.freeze([...(advice as number[])])
    this.#refusals.warn(
      `\u0000buckets\u0000${name}`,
      `opentelemetry: histogram "${name}": explicitBucketBoundaries must be finite numbers >= 0 in increasing order; the default buckets are used`,
      { instrument: name },
    )
    return undefined
  }

  #scopeNames(): readonly string[] {
    return this.#settings.scopeLabels ? SCOPE_LABELS : []
  }
}

/** The labels naming the meter of a recording (the compatibility specification's). */
export const SCOPE_LABELS: readonly string[] = Object.freeze(['otel_scope_name', 'otel_scope_version'])
