import type { Clock } from '@noa/core'
import type { StoreHealth } from './store.ts'

/** What a backend tells about its writes, and the {@link StoreHealth} it answers. */
export interface HealthTracker {
  /** A write reached the database: the store is healthy again. */
  succeeded(): void
  /** A write attempt failed; `message` is what the store threw (no path, no credentials). */
  failed(message: string): void
  health(): StoreHealth
}

/** The health every backend keeps: failing from a failed write until the next write that succeeds. */
export function createHealthTracker(clock: Clock): HealthTracker {
  let failingSince: number | undefined
  let lastError: string | undefined
  let failedWrites = 0
  return {
    succeeded() {
      failingSince = undefined
    },
    failed(message) {
      failedWrites++
      lastError = message
      failingSince ??= clock.now()
    },
    health() {
      const h: StoreHealth = { ok: failingSince === undefined, failedWrites }
      if (failingSince !== undefined) h.failingSince = failingSince
      if (lastError !== undefined) h.lastError = lastError
      return h
    },
  }
}
