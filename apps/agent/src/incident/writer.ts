import type { Logger } from '@noa/core'
import { errorMessage } from '@noa/core'
import type { Incident, IncidentStore } from '@noa/store'

/**
 * Saves incidents as they change, in order per incident: a save waits for the one before it,
 * and one queued save covers every change made before it runs (a burst of timeline entries is
 * one write). A failed save is counted and logged; the incident stays in the tracker's memory
 * and the next change saves it whole again.
 */
export class IncidentWriter {
  readonly #store: IncidentStore
  readonly #logger: Logger
  readonly #writes = new Map<string, Promise<void>>()
  readonly #queued = new Set<string>()
  /** Saves the store refused or failed, since start. */
  failures = 0

  constructor(store: IncidentStore, logger: Logger) {
    this.#store = store
    this.#logger = logger
  }

  /** Saves `incident` as it is when its turn comes. */
  save(incident: Incident): void {
    const { id } = incident
    if (this.#queued.has(id)) return
    this.#queued.add(id)
    const next = (this.#writes.get(id) ?? Promise.resolve()).then(async () => {
      this.#queued.delete(id)
      try {
        await this.#store.saveIncident(structuredClone(incident))
      } catch (error) {
        this.failures++
        this.#logger.error('cannot save an incident; it is kept in memory', {
          id,
          service: incident.service,
          error: errorMessage(error),
        })
      }
    })
    this.#writes.set(id, next)
    void next.then(() => {
      if (this.#writes.get(id) === next) this.#writes.delete(id)
    })
  }

  /** Waits for the saves in flight and queued. */
  async idle(): Promise<void> {
    while (this.#writes.size > 0) await Promise.all(this.#writes.values())
  }
}
