import type { Attributes } from '@opentelemetry/api'
import type { Counter } from '../counter.ts'
import type { Gauge } from '../gauge.ts'
import type { Histogram } from '../histogram.ts'
import { attributeLabels, labelValue } from './attributes.ts'
import { type InstrumentKind, labelName } from './names.ts'

/** Most attribute keys whose label name a family remembers. */
const MAX_REMEMBERED_KEYS = 256

/** The noa metric behind an instrument. */
export type FamilyMetric = Counter<string> | Gauge<string> | Histogram<string>

/** What an instrument was created with, to tell a repeated creation that differs. */
export interface FamilyShape {
  kind: InstrumentKind
  description: string
  unit: string | undefined
  buckets: readonly number[] | undefined
}

/**
 * One Prometheus metric family fed by instruments of one kind (of any meter of the provider).
 *
 * Instruments declare no attribute keys, while a noa metric has label names: the family starts
 * with the scope labels and adds a label name to its metric the first time an attribute key
 * brings it (`Metric.addLabelNames`). Existing series take an empty value for it, which both
 * formats read as an absent label, so no recorded value is lost and every series keeps its
 * identity; a recording without some key gets an empty (absent) value for it. The label names
 * are bounded by `maxLabelNames`; a recording that would pass it is dropped as `extra_label`.
 */
export class Family {
  readonly shape: FamilyShape
  readonly metric: FamilyMetric
  readonly #maxLabelNames: number
  readonly #names = new Map<string, string>()

  /**
   * `metric`: new, without label names; `labelNames`: the scope labels every recording carries.
   * The metric is opened (`addLabelNames`) and the zero series a metric without labels starts
   * with is removed: no instrument recorded it, and an observable one must be able to lose it.
   */
  constructor(
    shape: FamilyShape,
    metric: FamilyMetric,
    maxLabelNames: number,
    labelNames: readonly string[],
  ) {
    this.shape = shape
    this.metric = metric
    this.#maxLabelNames = maxLabelNames
    metric.addLabelNames(labelNames)
    const blank: Record<string, string> = {}
    for (const name of labelNames) blank[name] = ''
    metric.remove(blank)
  }

  /**
   * The noa label set of a recording, every label name of the metric present; undefined when the
   * recording is dropped (counted on the metric).
   */
  labels(
    attributes: Attributes | undefined,
    scope: ReadonlyMap<string, string>,
  ): Record<string, string> | undefined {
    return this.#known(attributes, scope) ?? this.#general(attributes, scope)
  }

  /**
   * The common case, without sorting or an intermediate map: every key already a label name of
   * the metric, no two meeting on one name, every value a string, number or boolean. Undefined
   * otherwise, and {@link #general} decides (the same result for the same recording).
   */
  #known(
    attributes: Attributes | undefined,
    scope: ReadonlyMap<string, string>,
  ): Record<string, string> | undefined {
    const names = this.metric.labelNames
    const out: Record<string, string | undefined> = {}
    for (const name of names) out[name] = undefined
    for (const [name, value] of scope) out[name] = value
    if (attributes !== undefined && attributes !== null) {
      for (const key in attributes) {
        const value = labelValue(attributes[key])
        if (value === undefined) continue
        if (value === null) return undefined
        const name = this.#labelName(key)
        if (!Object.hasOwn(out, name) || out[name] !== undefined) return undefined
        out[name] = value
      }
    }
    for (const name of names) out[name] ??= ''
    return out as Record<string, string>
  }

  /** The label name of an attribute key, remembered for the keys seen first (bounded). */
  #labelName(key: string): string {
    let name = this.#names.get(key)
    if (name === undefined) {
      name = labelName(key, this.shape.kind)
      if (this.#names.size < MAX_REMEMBERED_KEYS) this.#names.set(key, name)
    }
    return name
  }

  #general(
    attributes: Attributes | undefined,
    scope: ReadonlyMap<string, string>,
  ): Record<string, string> | undefined {
    const labels = attributeLabels(attributes, scope, this.shape.kind)
    if (labels === null) {
      this.metric.drop('invalid_label_value')
      return undefined
    }
    const names = this.metric.labelNames
    if (labels.size > names.length || !everyKnown(labels, names)) {
      const added = [...labels.keys()].filter((name) => !names.includes(name))
      if (names.length + added.length > this.#maxLabelNames) {
        this.metric.drop('extra_label')
        return undefined
      }
      try {
        this.metric.addLabelNames(added)
      } catch {
        // Names are made valid before; this guards the "never throw into the service" rule.
        this.metric.drop('invalid_label_value')
        return undefined
      }
    }
    const out: Record<string, string> = {}
    for (const name of this.metric.labelNames) out[name] = labels.get(name) ?? ''
    return out
  }
}

function everyKnown(labels: ReadonlyMap<string, string>, names: readonly string[]): boolean {
  for (const name of labels.keys()) if (!names.includes(name)) return false
  return true
}
