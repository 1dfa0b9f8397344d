import type { Attributes, BatchObservableResult, Observable, ObservableResult } from '@opentelemetry/api'
import { type Counter, CounterSeries } from '../counter.ts'
import type { Gauge } from '../gauge.ts'
import type { Family } from './family.ts'
import type { ObservableInstrument } from './observable.ts'
import type { Refusals } from './refusals.ts'

/** A callback as the API passes it: one instrument's, or a batch callback over several. */
type AnyCallback = (result: ObservableResult & BatchObservableResult) => void | Promise<void>

interface Registration {
  readonly callback: AnyCallback
  readonly instruments: readonly ObservableInstrument[]
  readonly batch: boolean
}

interface Observed {
  readonly labels: Record<string, string>
  readonly value: number
}

/**
 * The callbacks of a provider's observable instruments, and the collection round that runs them.
 *
 * Each observable instrument's noa metric has a `collect` hook that starts a round; the metrics
 * collected by one exposition share it, so every callback (a batch callback too) runs once per
 * scrape. A round waits for every callback (an async one at most `timeoutMs`), then brings each
 * observable metric to what was observed: a gauge takes the value, a counter takes the observed
 * total (lower than before means the source restarted: the series is made again, so its
 * `_created` moves and Prometheus sees a reset), and a series no callback observed is removed,
 * as the API's asynchronous instruments report only what the last callbacks observed. A callback
 * that throws, rejects or times out is a `collect_failed` drop on its instruments' metrics, whose
 * series then all stay as they were (besides what it observed before failing).
 */
export class Observations {
  readonly #registrations: Registration[] = []
  readonly #families = new Set<Family>()
  readonly #refusals: Refusals
  readonly #maxCallbacks: number
  readonly #timeoutMs: number
  #round: Promise<void> | undefined

  constructor(refusals: Refusals, maxCallbacks: number, timeoutMs: number) {
    this.#refusals = refusals
    this.#maxCallbacks = maxCallbacks
    this.#timeoutMs = timeoutMs
  }

  /** Marks a family as fed by callbacks: after each round it holds only what was observed. */
  track(family: Family): void {
    this.#families.add(family)
  }

  /** Adds a callback (again with the same instruments: nothing happens, as the API asks). */
  add(callback: unknown, instruments: readonly ObservableInstrument[], batch: boolean): void {
    if (typeof callback !== 'function' || instruments.length === 0) return
    if (this.#indexOf(callback, instruments) !== -1) return
    if (this.#registrations.length >= this.#maxCallbacks) {
      const names = instruments.map((i) => i.family.metric.name).join(',')
      this.#refusals.refuse(
        'callback_limit',
        names,
        `callback refused: ${this.#maxCallbacks} callbacks registered`,
      )
      return
    }
    this.#registrations.push({ callback: callback as AnyCallback, instruments, batch })
  }

  /** Removes a callback added with the same instruments. */
  remove(callback: unknown, instruments: readonly ObservableInstrument[]): void {
    const at = this.#indexOf(callback, instruments)
    if (at !== -1) this.#registrations.splice(at, 1)
  }

  /** Runs a round, or joins the one running. Never rejects. */
  collect(): Promise<void> {
    this.#round ??= this.#run().finally(() => {
      this.#round = undefined
    })
    return this.#round
  }

  async #run(): Promise<void> {
    const observed = new Map<Family, Map<string, Observed>>()
    const failed = new Set<Family>()
    await Promise.all([...this.#registrations].map((r) => this.#call(r, observed, failed)))
    for (const family of this.#families) apply(family, observed.get(family), failed.has(family))
  }

  async #call(
    registration: Registration,
    observed: Map<Family, Map<string, Observed>>,
    failed: Set<Family>,
  ): Promise<void> {
    let open = true
    const record = (instrument: ObservableInstrument, value: number, attributes: Attributes | undefined) => {
      // Observations after the callback timed out belong to no round.
      if (!open) return
      const metric = instrument.family.metric
      if (typeof value !== 'number') {
        metric.drop('invalid_value')
        return
      }
      const labels = instrument.labelsOf(attributes)
      if (labels === undefined) return
      let values = observed.get(instrument.family)
      if (values === undefined) {
        values = new Map()
        observed.set(instrument.family, values)
      }
      const key = keyOf(Object.keys(labels), Object.values(labels))
      // The round's buffer holds no more series than the metric may.
      if (!values.has(key) && values.size >= metric.maxSeries) {
        metric.drop('cardinality_limit')
        return
      }
      values.set(key, { labels, value })
    }
    const { instruments } = registration
    const result = {
      observe: (first: unknown, second?: unknown, third?: unknown) => {
        if (!registration.batch) {
          record(instruments[0]!, first as number, second as Attributes | undefined)
        } else if (instruments.includes(first as ObservableInstrument)) {
          record(first as ObservableInstrument, second as number, third as Attributes | undefined)
        } else {
          this.#refusals.warn(
            '\u0000unlisted',
            'opentelemetry: a batch callback observed an instrument it was not added for; ignored',
            {},
          )
        }
      },
    } as ObservableResult & BatchObservableResult
    try {
      const done = registration.callback(result)
      if (done !== undefined && typeof (done as Promise<void>).then === 'function') {
        await within(done as Promise<void>, this.#timeoutMs)
      }
    } catch {
      for (const instrument of instruments) {
        failed.add(instrument.family)
        instrument.family.metric.drop('collect_failed')
      }
    } finally {
      open = false
    }
  }

  #indexOf(callback: unknown, instruments: readonly Observable[]): number {
    return this.#registrations.findIndex(
      (r) =>
        r.callback === callback &&
        r.instruments.length === instruments.length &&
        r.instruments.every((i) => instruments.includes(i)),
    )
  }
}

/** Brings one observable family's metric to what the round observed. */
function apply(family: Family, observed: ReadonlyMap<string, Observed> | undefined, failed: boolean): void {
  const metric = family.metric
  if (observed !== undefined) {
    for (const observation of observed.values()) {
      // A label name added later in the round is absent from earlier observations: empty.
      const labels: Record<string, string> = {}
      for (const name of metric.labelNames) labels[name] = observation.labels[name] ?? ''
      const value = observation.value
      if (metric.type === 'counter') setTotal(metric as Counter<string>, labels, value)
      else (metric as Gauge<string>).set(labels, value)
    }
  }
  if (failed) return
  const names = metric.labelNames
  for (const series of [...metric.seriesList]) {
    if (observed?.has(keyOf(names, series.labelValues))) continue
    const labels: Record<string, string> = {}
    names.forEach((name, i) => {
      labels[name] = series.labelValues[i]!
    })
    metric.remove(labels)
  }
}

/** Sets a counter series to an observed total, exactly (adding the difference could round). */
function setTotal(counter: Counter<string>, labels: Record<string, string>, value: number): void {
  if (!(value >= 0) || value === Number.POSITIVE_INFINITY) {
    counter.drop('invalid_value')
    return
  }
  let series = counter.labels(labels)
  if (series instanceof CounterSeries && value < series.value) {
    counter.remove(labels)
    series = counter.labels(labels)
  }
  if (series instanceof CounterSeries) series.value = value
  else series.inc() // the dropped label set's reason (the cardinality limit) is counted
}

/** A series' identity: its labels with a value, so a label name added later changes no key. */
function keyOf(names: readonly string[], values: readonly string[]): string {
  const pairs: string[] = []
  for (let i = 0; i < names.length; i++) if (values[i] !== '') pairs.push(names[i]!, values[i]!)
  return JSON.stringify(pairs)
}

/** Waits for a callback's promise at most `ms`. */
function within(promise: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`callback did not settle within ${ms} ms`)), ms)
    timer.unref?.()
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
