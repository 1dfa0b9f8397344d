import type {
  Counter as ApiCounter,
  Gauge as ApiGauge,
  Histogram as ApiHistogram,
  MetricOptions as ApiMetricOptions,
  UpDownCounter as ApiUpDownCounter,
  BatchObservableCallback,
  Meter,
  Observable,
  ObservableCounter,
  ObservableGauge,
  ObservableUpDownCounter,
} from '@opentelemetry/api'
import type { Bridge } from './bridge.ts'
import type { Family } from './family.ts'
import {
  CounterInstrument,
  GaugeInstrument,
  HistogramInstrument,
  NOOP_INSTRUMENT,
  UpDownCounterInstrument,
} from './instruments.ts'
import type { InstrumentKind } from './names.ts'
import { ObservableInstrument } from './observable.ts'

type SyncClass = new (
  family: Family,
  scope: ReadonlyMap<string, string>,
) => CounterInstrument | UpDownCounterInstrument | HistogramInstrument | GaugeInstrument

/**
 * A Meter of the API over a noa bridge. Its instruments are kept per family, so creating one
 * again returns the same object; the cache is bounded by the provider's `maxInstruments`.
 */
export class NoaMeter implements Meter {
  readonly #bridge: Bridge
  readonly #scope: ReadonlyMap<string, string>
  readonly #instruments = new Map<Family, object>()

  constructor(bridge: Bridge, scope: ReadonlyMap<string, string>) {
    this.#bridge = bridge
    this.#scope = scope
  }

  createCounter(name: string, options?: ApiMetricOptions): ApiCounter {
    return this.#sync(name, options, 'counter', CounterInstrument)
  }

  createUpDownCounter(name: string, options?: ApiMetricOptions): ApiUpDownCounter {
    return this.#sync(name, options, 'up_down_counter', UpDownCounterInstrument)
  }

  createHistogram(name: string, options?: ApiMetricOptions): ApiHistogram {
    return this.#sync(name, options, 'histogram', HistogramInstrument)
  }

  createGauge(name: string, options?: ApiMetricOptions): ApiGauge {
    return this.#sync(name, options, 'gauge', GaugeInstrument)
  }

  createObservableCounter(name: string, options?: ApiMetricOptions): ObservableCounter {
    return this.#observable(name, options, 'observable_counter')
  }

  createObservableUpDownCounter(name: string, options?: ApiMetricOptions): ObservableUpDownCounter {
    return this.#observable(name, options, 'observable_up_down_counter')
  }

  createObservableGauge(name: string, options?: ApiMetricOptions): ObservableGauge {
    return this.#observable(name, options, 'observable_gauge')
  }

  addBatchObservableCallback(callback: BatchObservableCallback, observables: Observable[]): void {
    this.#bridge.observations.add(callback, ours(observables), true)
  }

  removeBatchObservableCallback(callback: BatchObservableCallback, observables: Observable[]): void {
    this.#bridge.observations.remove(callback, ours(observables))
  }

  #sync<T>(name: string, options: ApiMetricOptions | undefined, kind: InstrumentKind, Class: SyncClass): T {
    const family = this.#bridge.family(name, options, kind)
    if (family === undefined) return NOOP_INSTRUMENT as T
    let instrument = this.#instruments.get(family)
    if (instrument === undefined) {
      instrument = new Class(family, this.#scope)
      this.#instruments.set(family, instrument)
    }
    return instrument as T
  }

  #observable(name: string, options: ApiMetricOptions | undefined, kind: InstrumentKind): Observable {
    const family = this.#bridge.family(name, options, kind)
    if (family === undefined) return NOOP_INSTRUMENT
    let instrument = this.#instruments.get(family)
    if (instrument === undefined) {
      instrument = new ObservableInstrument(family, this.#scope, this.#bridge.observations)
      this.#instruments.set(family, instrument)
    }
    return instrument as Observable
  }
}

/** The observables this bridge made (a no-op or another SDK's instrument has no callbacks here). */
function ours(observables: unknown): ObservableInstrument[] {
  if (!Array.isArray(observables)) return []
  return observables.filter((o): o is ObservableInstrument => o instanceof ObservableInstrument)
}
