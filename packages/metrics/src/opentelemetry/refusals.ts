import { errorMessage, type Logger } from '@noa/core'
import type { Counter } from '../counter.ts'
import type { Registry } from '../registry.ts'

/** Name of the counter of instruments (and callbacks) the bridge refused, labelled by `reason`. */
export const REFUSED_METRIC = 'noa_opentelemetry_instruments_refused_total'

/** Why an instrument or a callback was refused; the `reason` label of {@link REFUSED_METRIC}. */
export type RefusedReason =
  | 'invalid_name'
  | 'kind_conflict'
  | 'name_clash'
  | 'instrument_limit'
  | 'callback_limit'

/** Most distinct (reason, name) pairs warned; past it the counter still counts, the log stays quiet. */
const MAX_WARNED = 1000

/**
 * Counts and warns what the bridge did not do: the API's contract is that instruments never
 * throw, so a refusal is a no-op instrument, one count and one warning per reason and name.
 */
export class Refusals {
  readonly #registry: Registry
  readonly #logger: Logger
  readonly #warned = new Set<string>()
  #counter: Counter<'reason'> | undefined
  #counterFailed = false

  constructor(registry: Registry, logger: Logger) {
    this.#registry = registry
    this.#logger = logger
  }

  /** Counts one refusal and warns the first time this reason meets this name. */
  refuse(reason: RefusedReason, name: string, detail: string): void {
    this.#count(reason)
    this.warn(`${reason}\u0000${name}`, `opentelemetry: ${detail}`, { instrument: name, reason })
  }

  /** Warns once per key (bounded), never throwing. */
  warn(key: string, message: string, fields: Record<string, unknown>): void {
    if (this.#warned.has(key) || this.#warned.size >= MAX_WARNED) return
    this.#warned.add(key)
    try {
      this.#logger.warn(message, fields)
    } catch {
      // A failing logger must not reach the instrumented service.
    }
  }

  #count(reason: RefusedReason): void {
    if (this.#counter === undefined && !this.#counterFailed) {
      try {
        // Registered at the first refusal: a registry without one shows no empty counter.
        this.#counter = this.#registry.counter({
          name: REFUSED_METRIC,
          help: 'OpenTelemetry instruments and callbacks the noa bridge refused (they record nothing), by reason.',
          labelNames: ['reason'],
        })
      } catch (error) {
        this.#counterFailed = true
        this.warn('\u0000counter', `opentelemetry: cannot register ${REFUSED_METRIC}`, {
          error: errorMessage(error),
        })
      }
    }
    this.#counter?.inc({ reason })
  }
}
