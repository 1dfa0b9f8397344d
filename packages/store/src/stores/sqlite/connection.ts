import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import type BetterSqlite3 from 'better-sqlite3'
import { StoreError } from '../../errors.ts'
import { corruptionFound } from './recovery.ts'
import { SQLITE_MIGRATIONS } from './schema.ts'

export type Driver = typeof BetterSqlite3

/** better-sqlite3, loaded only when a sqlite store is opened (an optional peer). */
export async function loadDriver(): Promise<Driver> {
  try {
    return (await import('better-sqlite3')).default
  } catch (cause) {
    throw new StoreError(
      'the sqlite store needs better-sqlite3: install it with `pnpm add better-sqlite3@^12`',
      {
        code: 'ERR_STORE_DRIVER',
        cause,
      },
    )
  }
}

/** How a connection is opened. */
export interface ConnectionOptions {
  busyTimeoutMs: number
  maxSizeBytes?: number | undefined
  /** Run `PRAGMA quick_check` before using the file. */
  integrityCheck: boolean
}

/**
 * Opens the file, creating its directory, checks it when asked, and applies the
 * migrations not yet applied. A file that is not a database fails at the first pragma
 * (SQLITE_NOTADB); one with corrupt pages fails the check (SQLITE_CORRUPT). On failure,
 * `beforeClose` runs while SQLite still holds the file, then the connection is closed.
 */
export function openConnection(
  Driver: Driver,
  path: string,
  options: ConnectionOptions,
  beforeClose: (error: unknown) => void = () => {},
): BetterSqlite3.Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const db = new Driver(path, { timeout: options.busyTimeoutMs })
  try {
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    db.pragma('foreign_keys = OFF')
    if (options.maxSizeBytes !== undefined) {
      const pageSize = db.pragma('page_size', { simple: true }) as number
      db.pragma(`max_page_count = ${Math.floor(options.maxSizeBytes / pageSize)}`)
    }
    if (options.integrityCheck) {
      // quick_check reads every page but skips matching indexes to tables: O(N), not O(N log N).
      const found = (db.pragma('quick_check(5)') as Array<{ quick_check: string }>).map((r) =>
        r.quick_check.replace(/^\*\*\* in database \w+ \*\*\*\n/, '').replaceAll('\n', ' '),
      )
      if (found[0] !== 'ok') throw corruptionFound(found.join('; '))
    }
    const version = db.pragma('user_version', { simple: true }) as number
    const migrate = db.transaction(() => {
      for (let v = version; v < SQLITE_MIGRATIONS.length; v++) {
        db.exec(SQLITE_MIGRATIONS[v] as string)
        db.pragma(`user_version = ${v + 1}`)
      }
    })
    if (version < SQLITE_MIGRATIONS.length) migrate.immediate()
    return db
  } catch (error) {
    beforeClose(error)
    try {
      db.close()
    } catch {
      // Closing a broken file may fail too; the error that matters is the first one.
    }
    throw error
  }
}
