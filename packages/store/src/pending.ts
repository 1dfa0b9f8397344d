import type { Clock, Logger, Timer } from '@noa/core'
import { errorMessage, noopLogger, systemClock } from '@noa/core'
import { isStoreError } from './errors.ts'
import type { Store } from './store.ts'

/** Options of {@link withPendingRecords}. */
export interface PendingRecordsOptions {
  /** Records kept at most while the store is down; beyond it the oldest are dropped, counted and logged. @default 10000 */
  maxPending?: number
  /** How often the kept records are tried again while the store refuses them, in ms. @default 2000 */
  retryMs?: number
  /** @default noopLogger */
  logger?: Logger
  /** @default systemClock */
  clock?: Clock
}

/** One record the store refused for now: what it is a record of, its key (with an alert's state) and its write. */
interface Pending {
  /** A healing's id, an alert's fingerprint. */
  of: string
  /** `of`, and an alert's state. */
  key: string
  what: string
  write: () => Promise<void>
}

/** Whether the store may take the write later (it is down, locked, full), rather than refusing its input. */
const storeTrouble = (error: unknown) =>
  isStoreError(error) && (error.retryable || error.code !== 'ERR_STORE')

/**
 * Keeps the history of what noa did while its store is down: a healing record or an alert the
 * store cannot take now (locked, full, unreachable) is kept in memory, in order, and written
 * once the store takes writes again (tried every `retryMs`, and before any newer record, so a
 * record is never overwritten by an older one). Both are upserts (a healing by id, an alert by
 * fingerprint, its history row when its state changes), so a record saved twice is stored
 * once; of the same healing only the last kept record is written, of an alert each state
 * change. Input the store refuses is thrown as before. What waits shows in
 * `stats().buffered`, what was given up in `stats().dropped`; `health()` still shows the
 * failing store.
 *
 * @example
 * ```ts
 * const store = withPendingRecords(await openStore(config), { logger })
 * ```
 */
export function withPendingRecords(store: Store, options: PendingRecordsOptions = {}): Store {
  const logger = options.logger ?? noopLogger
  const maxPending = options.maxPending ?? 10_000
  const retryMs = options.retryMs ?? 2000
  const clock = options.clock ?? systemClock
  const queue: Pending[] = []
  let dropped = 0
  let draining: Promise<void> | undefined
  let timer: Timer | undefined
  let closed = false

  function keep(entry: Pending): void {
    // a newer record of the same healing, or of an alert in the same state, replaces the one waiting
    const last = queue.findLastIndex((p) => p.of === entry.of)
    if (last >= 0 && queue[last]!.key === entry.key) queue[last] = entry
    else queue.push(entry)
    if (queue.length > maxPending) {
      const lost = queue.splice(0, queue.length - maxPending)
      dropped += lost.length
      logger.error('store down: records kept for it over the bound, dropped the oldest', {
        dropped: lost.length,
        maxPending,
      })
    }
    schedule()
  }
  function schedule(): void {
    if (timer || closed || queue.length === 0) return
    // the clock's timers never keep the process alive
    timer = clock.setTimeout(() => {
      timer = undefined
      void drain()
    }, retryMs)
  }
  /** Writes the kept records in order, up to the first the store cannot take yet. */
  async function writeKept(): Promise<void> {
    const before = queue.length
    while (queue.length > 0) {
      const next = queue[0]!
      try {
        await next.write()
      } catch (error) {
        if (storeTrouble(error)) return
        // the store refuses this record for good: keeping it would hold up the others
        queue.shift()
        dropped++
        logger.error('store refused a kept record; dropped it', {
          what: next.what,
          error: errorMessage(error),
        })
        continue
      }
      queue.shift()
    }
    if (before > 0) logger.info('store back: wrote the records kept while it was down', { written: before })
  }
  function drain(): Promise<void> {
    // cleared once settled (a then callback runs after the assignment, even for an empty queue)
    draining ??= writeKept().finally(() => {
      draining = undefined
      schedule()
    })
    return draining
  }
  async function submit(entry: Pending): Promise<void> {
    if (closed) return entry.write()
    if (queue.length === 0 && !draining) {
      try {
        return await entry.write()
      } catch (error) {
        if (!storeTrouble(error)) throw error
        logger.error('store write failed; keeping the record to write once the store is back', {
          what: entry.what,
          error: errorMessage(error),
        })
      }
    }
    keep(entry)
    if (!draining) void drain()
  }

  return {
    ...store,
    healing: {
      healings: (q) => store.healing.healings(q),
      saveHealing: (record) =>
        submit({
          of: `healing ${record.id}`,
          key: `healing ${record.id}`,
          what: `healing ${record.id}`,
          write: () => store.healing.saveHealing(record),
        }),
    },
    alerts: {
      alerts: (q) => store.alerts.alerts(q),
      alertHistory: (fingerprint) => store.alerts.alertHistory(fingerprint),
      saveAlert: (alert) =>
        submit({
          of: `alert ${alert.fingerprint}`,
          key: `alert ${alert.fingerprint} ${alert.state}`,
          what: `alert ${alert.rule} (${alert.state})`,
          write: () => store.alerts.saveAlert(alert),
        }),
    },
    stats: () => {
      const s = store.stats()
      return { buffered: s.buffered + queue.length, dropped: s.dropped + dropped }
    },
    async close() {
      closed = true
      timer?.cancel()
      await (draining ?? drain())
      if (queue.length > 0)
        logger.error('store closed with records it could not take; they are lost', { lost: queue.length })
      await store.close()
    },
  }
}
