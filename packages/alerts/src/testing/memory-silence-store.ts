import type { Silence, SilenceStore } from '@noa/core'

/** A {@link SilenceStore} in memory, whose reads and writes can be made to fail. */
export interface MemorySilenceStore extends SilenceStore {
  /** Every silence saved, ended ones included, by id (tests may change it behind the engine's back). */
  readonly saved: Map<string, Silence>
  /** Reads made so far (to check that refreshes are bounded). */
  readonly reads: number
  /** While set, every call rejects with this error. */
  failWith: Error | undefined
}

/**
 * A test double of core's `SilenceStore` port, with the port's semantics: upsert by id;
 * `silences({ activeAt })` lists those not ended at `activeAt`, newest `startsAt` first.
 * Share one between two engines to test what survives a restart or crosses agents.
 *
 * @example
 * ```ts
 * const silenceStore = createMemorySilenceStore()
 * const engine = createAlertEngine({ outbox, silenceStore, clock })
 * silenceStore.failWith = new Error('database is locked')
 * ```
 */
export function createMemorySilenceStore(initial: readonly Silence[] = []): MemorySilenceStore {
  const saved = new Map<string, Silence>(initial.map((s) => [s.id, structuredClone(s)]))
  let reads = 0
  const store: MemorySilenceStore = {
    saved,
    get reads() {
      return reads
    },
    failWith: undefined,
    async saveSilence(silence) {
      if (store.failWith) throw store.failWith
      saved.set(silence.id, structuredClone(silence))
    },
    async silences(query = {}) {
      reads++
      if (store.failWith) throw store.failWith
      const { activeAt, limit = 100 } = query
      return [...saved.values()]
        .filter((s) => activeAt === undefined || s.endsAt > activeAt)
        .sort((a, b) => b.startsAt - a.startsAt)
        .slice(0, limit)
        .map((s) => structuredClone(s))
    },
  }
  return store
}
