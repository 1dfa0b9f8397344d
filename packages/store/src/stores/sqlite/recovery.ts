import { existsSync, renameSync } from 'node:fs'
import type { Clock, Logger } from '@noa/core'
import { errorMessage } from '@noa/core'
import { StoreError } from '../../errors.ts'
import type { StoreRecovery } from '../../store.ts'
import { withoutPath } from './errors.ts'

/** True for SQLite's "this is not a readable database" errors: corrupt pages (any SQLITE_CORRUPT_*) or not a database. */
export function isCorrupt(error: unknown): boolean {
  return /^SQLITE_(CORRUPT|NOTADB)/.test(String((error as { code?: unknown })?.code ?? ''))
}

/** The error for what `PRAGMA quick_check` found, coded as SQLite codes corruption. */
export function corruptionFound(problems: string): Error {
  return Object.assign(new Error(`integrity check failed: ${problems}`), { code: 'SQLITE_CORRUPT' })
}

/**
 * Renames the unreadable file at `path` to `<path>.corrupt-<UTC time>` (a number
 * added if taken), with its -wal and -shm under the same name, and returns the new path.
 * The -wal and -shm go first: left behind, a stale -wal would be replayed into the new
 * store created at `path`.
 */
export function moveAside(path: string, at: number): string {
  const stamp = new Date(at)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z')
  let movedTo = `${path}.corrupt-${stamp}`
  for (let n = 2; existsSync(movedTo); n++) movedTo = `${path}.corrupt-${stamp}-${n}`
  for (const suffix of ['-wal', '-shm'])
    if (existsSync(path + suffix)) renameSync(path + suffix, movedTo + suffix)
  renameSync(path, movedTo)
  return movedTo
}

/** Where a recovery is reported. */
export interface RecoveryReport {
  clock: Clock
  logger: Logger
  onRecovered?: ((recovery: StoreRecovery) => void) | undefined
}

/**
 * Opens the store file with `open`. When the file is unreadable (corrupt pages, not a
 * database), it is moved aside, a new store is opened in its place, and the recovery is
 * logged and reported once through `onRecovered`, so the agent keeps running and can
 * raise an alert. Other errors are thrown as they are.
 *
 * `open` calls `beforeClose` with its error while SQLite still holds the file: the move
 * happens then, because closing the last connection deletes the -wal and -shm by name,
 * and the -wal may hold the latest writes (SQLite then finds nothing to delete).
 */
export function openRecovering<T>(
  open: (beforeClose: (error: unknown) => void) => T,
  path: string,
  report: RecoveryReport,
): T {
  let moved: { movedTo: string } | { moveError: unknown } | undefined
  const moveIfUnreadable = (error: unknown) => {
    if (moved || path === ':memory:' || !isCorrupt(error)) return
    try {
      moved = { movedTo: moveAside(path, report.clock.now()) }
    } catch (moveError) {
      moved = { moveError }
    }
  }
  try {
    return open(moveIfUnreadable)
  } catch (error) {
    moveIfUnreadable(error) // when it failed before SQLite held the file
    if (!moved) throw error
    const why = withoutPath(errorMessage(error), path)
    if ('moveError' in moved)
      throw new StoreError(
        `the SQLite store file is unreadable (${why}) and could not be moved aside: ${withoutPath(errorMessage(moved.moveError), path)}`,
        { code: 'ERR_STORE_CORRUPT', path, cause: error },
      )
    const opened = open(() => {})
    const recovery: StoreRecovery = {
      movedTo: moved.movedTo,
      at: report.clock.now(),
      error: new StoreError(
        `the SQLite store file was unreadable (${why}); it was moved aside and a new, empty store created in its place`,
        { code: 'ERR_STORE_CORRUPT', path, cause: error },
      ),
    }
    report.logger.error('store file unreadable: moved aside, new store created', {
      path,
      movedTo: recovery.movedTo,
      error: recovery.error.message,
    })
    try {
      report.onRecovered?.(recovery)
    } catch (callbackError) {
      // The store is open and sound; a failing listener must not make opening fail.
      report.logger.warn('onRecovered listener threw', { error: errorMessage(callbackError) })
    }
    return opened
  }
}
