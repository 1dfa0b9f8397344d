import type { Attributes, Observable, ObservableCallback } from '@opentelemetry/api'
import type { Family } from './family.ts'
import type { Observations } from './observations.ts'

/**
 * `createObservableCounter`, `createObservableUpDownCounter` and `createObservableGauge`: an
 * instrument whose values come from callbacks, run at each exposition by {@link Observations}.
 */
export class ObservableInstrument implements Observable {
  readonly family: Family
  readonly #scope: ReadonlyMap<string, string>
  readonly #observations: Observations

  constructor(family: Family, scope: ReadonlyMap<string, string>, observations: Observations) {
    this.family = family
    this.#scope = scope
    this.#observations = observations
  }

  addCallback(callback: ObservableCallback): void {
    this.#observations.add(callback, [this], false)
  }

  removeCallback(callback: ObservableCallback): void {
    this.#observations.remove(callback, [this])
  }

  /** @internal The noa label set of an observation, or undefined when it is dropped (counted). */
  labelsOf(attributes: Attributes | undefined): Record<string, string> | undefined {
    try {
      return this.family.labels(attributes, this.#scope)
    } catch {
      this.family.metric.drop('invalid_label_value')
      return undefined
    }
  }
}
