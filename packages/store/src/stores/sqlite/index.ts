import { resolve } from 'node:path'
import { errorMessage } from '@noa/core'
import type { z } from 'zod'
import { isStoreError, StoreError } from '../../errors.ts'
import type { StoreRuntime } from '../../options.ts'
import { createSqliteBackend } from '../../sql/sqlite-dialect.ts'
import { createSqlStore } from '../../sql/store.ts'
import type { Store, StoreRecovery } from '../../store.ts'
import { loadDriver, openConnection } from './connection.ts'
import { withoutPath } from './errors.ts'
import { type ResolvedSqliteOptions, resolveSqliteOptions, type sqliteOptionsSchema } from './options.ts'
import { openRecovering } from './recovery.ts'

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
  return openSqliteStore(resolveSqliteOptions(options))
}

/** Opens a sqlite store from validated options (openStore validates once, then calls this). */
export async function openSqliteStore(options: ResolvedSqliteOptions): Promise<Store> {
  const { clock, logger, onRecovered, parsed, common } = options
  const path = parsed.path === ':memory:' ? ':memory:' : resolve(parsed.path)
  const Driver = await loadDriver()
  const opening = {
    busyTimeoutMs: parsed.busyTimeoutMs ?? 5000,
    maxSizeBytes: parsed.maxSizeBytes,
    integrityCheck: parsed.integrityCheck !== 'off',
  }
  let connection: ReturnType<typeof openConnection>
  try {
    connection = openRecovering((beforeClose) => openConnection(Driver, path, opening, beforeClose), path, {
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
  const backend = createSqliteBackend({ Driver, path, connection, opening, clock, logger })
  return createSqlStore(backend, { common, clock, logger })
}
