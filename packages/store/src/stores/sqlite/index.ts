import { resolve } from 'node:path'
import { errorMessage, noopLogger, systemClock } from '@noa/core'
import type { z } from 'zod'
import { isStoreError, StoreError } from '../../errors.ts'
import { createHealthTracker } from '../../health.ts'
import { runMaintenance } from '../../maintenance.ts'
import { parseOptions, resolveCommon, type StoreRuntime } from '../../options.ts'
import type { Store, StoreRecovery } from '../../store.ts'
import { loadDriver, openConnection } from './connection.ts'
import { sqliteError, withoutPath } from './errors.ts'
import { bindMaintenance } from './maintenance.ts'
import { sqliteOptionsSchema } from './options.ts'
import { bindPorts } from './ports.ts'
import { createLists, type Db, type Exec } from './query.ts'
import { openRecovering } from './recovery.ts'
import { bindTimeSeries } from './timeseries.ts'

/** Options of {@link createSqliteStore}. */
export type SqliteStoreOptions = z.input<typeof sqliteOptionsSchema> &
  StoreRuntime & {
    /**
     * Called once when the file failed its integrity check at open and was moved aside
     * for a new store (also logged as an error). Without it, only the log tells.
     */
    onRecovered?: (recovery: StoreRecovery) => void
  }

/**
 * The embedded default store: one SQLite file in WAL mode, each batch written in one
 * transaction. A process killed mid-write loses at most the batch in flight. A file that
 * fails its integrity check at open is moved aside and replaced by a new store
 * (`onRecovered` says so). Needs the optional peer `better-sqlite3` (major 12), loaded
 * only here.
 *
 * @example
 * ```ts
 * import { createSqliteStore } from '@noa/store/sqlite'
 * const store = await createSqliteStore({
 *   path: 'data/noa.db',
 *   retention: { samples: 7 },
 *   onRecovered: ({ error }) => raiseAlert('store file replaced', error.message),
 * })
 * await store.samples.append([{ name: 'cpu_usage_percent', value: 45.2, at: Date.now() }])
 * await store.close()
 * ```
 */
export async function createSqliteStore(options: SqliteStoreOptions): Promise<Store> {
  const {
    clock = systemClock,
    logger = noopLogger,
    onRecovered,
    ...rest
  } = options ?? ({} as SqliteStoreOptions)
  const parsed = parseOptions(sqliteOptionsSchema, rest, 'store')
  const common = resolveCommon(parsed)
  const path = parsed.path === ':memory:' ? ':memory:' : resolve(parsed.path)
  const Driver = await loadDriver()
  const connection = {
    busyTimeoutMs: parsed.busyTimeoutMs ?? 5000,
    maxSizeBytes: parsed.maxSizeBytes,
    integrityCheck: parsed.integrityCheck !== 'off',
  }
  let db: Db
  try {
    db = openRecovering((beforeClose) => openConnection(Driver, path, connection, beforeClose), path, {
      clock,
      logger,
      onRecovered,
    })
  } catch (error) {
    if (isStoreError(error)) throw error
    throw new StoreError(`cannot open the SQLite store: ${withoutPath(errorMessage(error), path)}`, {
      code: 'ERR_STORE_PATH',
      path,
      cause: error,
    })
  }
  let closed = false
  const health = createHealthTracker(clock)
  const exec: Exec = {
    async read(what, fn) {
      if (closed) throw new StoreError('the SQLite store is closed', { path })
      try {
        return await fn()
      } catch (error) {
        throw sqliteError(what, path, error)
      }
    },
    async write(what, fn) {
      if (closed) throw new StoreError('the SQLite store is closed', { path })
      try {
        const out = await fn()
        health.succeeded()
        return out
      } catch (error) {
        // Input the store refused (a bad label, a duplicate id) says nothing about the file.
        if (isStoreError(error)) throw error
        const failure = sqliteError(what, path, error)
        health.failed(failure.message)
        throw failure
      }
    },
  }
  const lists = createLists(db)
  const { reader, valueBefore, ...timeSeries } = bindTimeSeries(db, exec, lists)
  const driver = bindMaintenance(db, reader, valueBefore)

  return {
    type: 'sqlite',
    ...timeSeries,
    ...bindPorts(db, exec, lists),
    maintain: (now = clock.now()) => exec.write('maintenance', () => runMaintenance(driver, common, now)),
    flush: async () => {},
    stats: () => ({ buffered: 0, dropped: 0 }),
    health: () => health.health(),
    async close() {
      if (closed) return
      closed = true
      db.close()
    },
  }
}
