import { accessSync, constants } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { type CheckResult, errorMessage, noopLogger, systemClock } from '@noa/core'
import type { z } from 'zod'
import { Batcher } from '../../batch.ts'
import { isStoreError, StoreError } from '../../errors.ts'
import { createHealthTracker } from '../../health.ts'
import { runMaintenance } from '../../maintenance.ts'
import { parseOptions, resolveCommon, type StoreRuntime } from '../../options.ts'
import { checkResult } from '../../records.ts'
import type { CheckStore, Store, StoreRecovery } from '../../store.ts'
import { loadDriver, openConnection } from './connection.ts'
import { bindDrills } from './drills.ts'
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
  const opening = {
    busyTimeoutMs: parsed.busyTimeoutMs ?? 5000,
    maxSizeBytes: parsed.maxSizeBytes,
    integrityCheck: parsed.integrityCheck !== 'off',
  }
  let db: Db
  try {
    db = openRecovering((beforeClose) => openConnection(Driver, path, opening, beforeClose), path, {
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
  // Set when a write failed because the connection cannot write: it was opened while the
  // file system was read-only, and SQLite keeps such a connection read-only for good.
  let readOnly = false
  const health = createHealthTracker(clock)
  // better-sqlite3 waits for a lock synchronously, holding up the whole process: while another
  // program holds the file's lock, writes try once and fail at once instead of each waiting
  // busyTimeoutMs (the agent would do nothing else). The first write that works waits again.
  let lockedOut = false
  const waitForLocks = (wait: boolean) => {
    if (lockedOut !== wait || closed) return
    lockedOut = !wait
    db.pragma(`busy_timeout = ${wait ? opening.busyTimeoutMs : 0}`)
    if (wait)
      logger.info('store file no longer locked by another program: writes wait for locks again', { path })
    else
      logger.warn('store file locked by another program: writes fail at once until one works', {
        path,
        busyTimeoutMs: opening.busyTimeoutMs,
      })
  }
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
        waitForLocks(true)
        return out
      } catch (error) {
        // Input the store refused (a bad label, a duplicate id) says nothing about the file.
        if (isStoreError(error)) throw error
        if (isReadOnly(error) && path !== ':memory:') readOnly = true
        if (isBusy(error)) waitForLocks(false)
        const failure = sqliteError(what, path, error)
        health.failed(failure.message)
        throw failure
      }
    },
  }
  /** Everything bound to one connection: its statements, the ports using them, maintenance. */
  function bind(connection: Db) {
    const lists = createLists(connection)
    const { reader, valueBefore, ...timeSeries } = bindTimeSeries(connection, exec, lists)
    return {
      ...timeSeries,
      ...bindPorts(connection, exec, lists),
      drills: bindDrills(connection, exec),
      driver: bindMaintenance(connection, reader, valueBefore),
    }
  }
  let bound = bind(db)

  /** The bound connection, reopened first when it could not write and the file system takes writes again. */
  function current(): ReturnType<typeof bind> {
    if (!readOnly || closed || !writable(path)) return bound
    // SQLite maps a file's -shm once per process: a new connection opened beside the
    // read-only one would share its read-only mapping, so the old one is closed first.
    db.close()
    try {
      db = openConnection(Driver, path, { ...opening, integrityCheck: false })
    } catch (error) {
      // The next call tries again: current() keeps returning statements of a closed connection until then.
      const failure = sqliteError('reopening', path, error)
      health.failed(failure.message)
      throw failure
    }
    bound = bind(db)
    readOnly = false
    lockedOut = false
    logger.info('store file writable again: reopened it', { path })
    return bound
  }
  /** A port whose every call goes to the connection current() gives at that moment. */
  function forward<K extends Exclude<keyof ReturnType<typeof bind>, 'driver'>>(port: K) {
    const methods = Object.keys(bound[port]).map((method) => [
      method,
      async (...args: unknown[]) =>
        (current()[port] as unknown as Record<string, (...a: unknown[]) => unknown>)[method]!(...args),
    ])
    return Object.fromEntries(methods) as ReturnType<typeof bind>[K]
  }

  // Check results come one by one at the checks' pace: written in batches, one commit each.
  const checkBatch = new Batcher<CheckResult>({
    clock,
    write: (results) => exec.write('append check results', () => current().insertChecks(results)),
  })
  const forwardedChecks = forward('checks')
  /** Reads see every result appended before them. */
  const flushed = () => checkBatch.flush().catch(() => undefined)
  const checks: CheckStore = {
    ...forwardedChecks,
    async append(result) {
      checkResult(result)
      if (closed) throw new StoreError('the SQLite store is closed', { path })
      return checkBatch.add(result)
    },
    results: (q) => flushed().then(() => forwardedChecks.results(q)),
    latest: () => flushed().then(() => forwardedChecks.latest()),
  }

  return {
    type: 'sqlite',
    samples: forward('samples'),
    snapshots: forward('snapshots'),
    checks,
    outbox: forward('outbox'),
    alerts: forward('alerts'),
    healing: forward('healing'),
    approvals: forward('approvals'),
    leases: forward('leases'),
    silences: forward('silences'),
    drills: forward('drills'),
    maintain: (now = clock.now()) =>
      exec.write('maintenance', () => runMaintenance(current().driver, common, now)),
    flush: () => checkBatch.flush(),
    stats: () => ({ buffered: checkBatch.pending, dropped: checkBatch.dropped }),
    health: () => health.health(),
    async close() {
      if (closed) return
      await checkBatch
        .flush()
        .catch((e) => logger.warn('check results lost at close', { error: errorMessage(e) }))
      closed = true
      db.close()
    },
  }
}

/** True when SQLite refused a write because the connection is read-only (not because the file moved away). */
function isReadOnly(error: unknown): boolean {
  const code = String((error as { code?: unknown })?.code ?? '')
  return code.startsWith('SQLITE_READONLY') && code !== 'SQLITE_READONLY_DBMOVED'
}

/** True when SQLite gave up waiting for a lock another connection holds. */
function isBusy(error: unknown): boolean {
  return String((error as { code?: unknown })?.code ?? '').startsWith('SQLITE_BUSY')
}

/** True when the file and its folder (for the -wal and -shm) can be written: a cheap check, no lock taken. */
function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK)
    accessSync(dirname(path), constants.W_OK)
    return true
  } catch {
    return false
  }
}
