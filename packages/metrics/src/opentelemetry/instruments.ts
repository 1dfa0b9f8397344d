import type {
  Counter as ApiCounter,
  Gauge as ApiGauge,
  Histogram as ApiHistogram,
  UpDownCounter as ApiUpDownCounter,
  Attributes,
} from '@opentelemetry/api'
import type { Counter } from '../counter.ts'
import type { Gauge } from '../gauge.ts'
import type { Histogram } from '../histogram.ts'
import type { Family } from './family.ts'

/**
 * A synchronous instrument of one meter: its family and the meter's scope labels. Recording
 * never throws (the API's contract); a bad value or label set is dropped and counted by the noa
 * metric, as any noa recording is.
 */
abstract class SyncInstrument {
  readonly family: Family
  readonly #scope: ReadonlyMap<string, string>

  constructor(family: Family, scope: ReadonlyMap<string, string>) {
    this.family = family
    this.#scope = scope
  }

  protected labelsOf(attributes: Attributes | undefined): Record<string, string> | undefined {
    try {
      return this.family.labels(attributes, this.#scope)
    } catch {
      // An attributes object whose getters throw: dropped like any unusable label set.
      this.family.metric.drop('invalid_label_value')
      return undefined
    }
  }
}

/** `createCounter`: adds to a noa Counter (a negative value is dropped as `invalid_value`). */
export class CounterInstrument extends SyncInstrument implements ApiCounter {
  add(value: number, attributes?: Attributes): void {
    const labels = this.labelsOf(attributes)
    if (labels !== undefined) (this.family.metric as Counter<string>).inc(labels, value)
  }
}

/** `createUpDownCounter`: adds to (or, negative, subtracts from) a noa Gauge. */
export class UpDownCounterInstrument extends SyncInstrument implements ApiUpDownCounter {
  add(value: number, attributes?: Attributes): void {
    const labels = this.labelsOf(attributes)
    if (labels !== undefined) (this.family.metric as Gauge<string>).inc(labels, value)
  }
}

/** `createHistogram`: observes in a noa Histogram (a negative value is dropped as `invalid_value`). */
export class HistogramInstrument extends SyncInstrument implements ApiHistogram {
  record(value: number, attributes?: Attributes): void {
    const labels = this.labelsOf(attributes)
    if (labels !== undefined) (this.family.metric as Histogram<string>).observe(labels, value)
  }
}

/** `createGauge`: sets a noa Gauge. */
export class GaugeInstrument extends SyncInstrument implements ApiGauge {
  record(value: number, attributes?: Attributes): void {
    const labels = this.labelsOf(attributes)
    if (labels !== undefined) (this.family.metric as Gauge<string>).set(labels, value)
  }
}

/**
 * What a refused instrument is: every method does nothing. The refusal itself was counted and
 * warned when the instrument was created.
 */
export const NOOP_INSTRUMENT = Object.freeze({
  add(): void {},
  record(): void {},
  addCallback(): void {},
  removeCallback(): void {},
})
