import type { Logger } from '@noa/core'
import { errorMessage, noopLogger } from '@noa/core'
import { isStoreError } from './errors.ts'
import type { CheckStore, SampleStore, SnapshotStore, Store } from './store.ts'
import { createMemoryStore, type MemoryStoreOptions } from './stores/memory/index.ts'

/** Options of {@link withRecentWindow}. */
export interface RecentWindowOptions {
  /** Bounds of the in-memory window. @default 8640 points per series, 8640 snapshots, 10000 results */
  window?: MemoryStoreOptions
  /** @default noopLogger */
  logger?: Logger
}

/**
 * Keeps an agent running when its store fails at run time (a full disk, a database that
 * went away): samples, snapshots and check results are also kept in a bounded in-memory
 * window; a write the store refuses is counted in `stats().dropped` and logged instead of
 * thrown; a read the store cannot answer is answered from the window. The ports (outbox,
 * alerts, healing, approvals, leases, silences, drills, incidents) are passed through unchanged: their
 * failures must be seen.
 *
 * @example
 * ```ts
 * const store = withRecentWindow(await openStore(config, { fallbackToMemory: true }), { logger })
 * ```
 */
export function withRecentWindow(store: Store, options: RecentWindowOptions = {}): Store {
  const logger = options.logger ?? noopLogger
  const window = createMemoryStore({
    maxPointsPerSeries: 8640,
    maxSnapshots: 8640,
    maxCheckResults: 10_000,
    ...options.window,
  })
  let dropped = 0
  let failing = false

  async function write(
    what: string,
    items: number,
    toWindow: () => Promise<void>,
    toStore: () => Promise<void>,
  ) {
    await toWindow() // bad input is refused here, before the store sees it
    try {
      await toStore()
      if (failing) logger.info('store writes work again')
      failing = false
    } catch (error) {
      if (!isStoreError(error)) throw error
      dropped += items
      if (!failing)
        logger.error('store write failed; keeping the recent window in memory', {
          what,
          path: error.path,
          error: errorMessage(error),
        })
      failing = true
    }
  }
  async function read<T>(
    what: string,
    fromStore: () => Promise<T>,
    fromWindow: () => Promise<T>,
  ): Promise<T> {
    try {
      return await fromStore()
    } catch (error) {
      // A bad query is the caller's to see; an unreachable or broken store is not.
      const storeTrouble = isStoreError(error) && (error.retryable || error.code !== 'ERR_STORE')
      if (!storeTrouble) throw error
      logger.warn('store read failed; answering from the recent window', { what, error: errorMessage(error) })
      return fromWindow()
    }
  }

  const samples: SampleStore = {
    append: (batch) =>
      write(
        'samples',
        batch.length,
        () => window.samples.append(batch),
        () => store.samples.append(batch),
      ),
    range: (q) =>
      read(
        'range',
        () => store.samples.range(q),
        () => window.samples.range(q),
      ),
    recent: (n, s) =>
      read(
        'recent samples',
        () => store.samples.recent(n, s),
        () => window.samples.recent(n, s),
      ),
    series: (s) =>
      read(
        'series',
        () => store.samples.series(s),
        () => window.samples.series(s),
      ),
  }
  const snapshots: SnapshotStore = {
    append: (snap) =>
      write(
        'snapshot',
        1,
        () => window.snapshots.append(snap),
        () => store.snapshots.append(snap),
      ),
    recent: (n) =>
      read(
        'recent snapshots',
        () => store.snapshots.recent(n),
        () => window.snapshots.recent(n),
      ),
    range: (a, b) =>
      read(
        'snapshot range',
        () => store.snapshots.range(a, b),
        () => window.snapshots.range(a, b),
      ),
  }
  const checks: CheckStore = {
    append: (r) =>
      write(
        'check result',
        1,
        () => window.checks.append(r),
        () => store.checks.append(r),
      ),
    appendChange: (c) =>
      write(
        'state change',
        1,
        () => window.checks.appendChange(c),
        () => store.checks.appendChange(c),
      ),
    results: (q) =>
      read(
        'check results',
        () => store.checks.results(q),
        () => window.checks.results(q),
      ),
    changes: (q) =>
      read(
        'state changes',
        () => store.checks.changes(q),
        () => window.checks.changes(q),
      ),
    latest: () =>
      read(
        'latest results',
        () => store.checks.latest(),
        () => window.checks.latest(),
      ),
  }
  return {
    type: store.type,
    outbox: store.outbox,
    alerts: store.alerts,
    healing: store.healing,
    approvals: store.approvals,
    leases: store.leases,
    silences: store.silences,
    beats: store.beats,
    drills: store.drills,
    maintenanceWindows: store.maintenanceWindows,
    incidents: store.incidents,
    samples,
    snapshots,
    checks,
    async maintain(now) {
      await window.maintain(now)
      return store.maintain(now)
    },
    flush: () => store.flush(),
    // The window hides failed writes from callers; health() is where they still show.
    health: () => store.health(),
    stats: () => {
      const s = store.stats()
      return { buffered: s.buffered, dropped: s.dropped + dropped }
    },
    async close() {
      await window.close()
      await store.close()
    },
  }
}
