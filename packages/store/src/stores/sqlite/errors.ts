import { dirname } from 'node:path'
import { errorMessage } from '@noa/core'
import { isStoreError, StoreError } from '../../errors.ts'

/**
 * `text` with the store's file path and every folder above it replaced, so a message can
 * be shown in API answers and alerts. SQLite's own messages hold no path; Node's file
 * system errors (mkdir, rename) do.
 */
export function withoutPath(text: string, path: string): string {
  let out = text.split(path).join('<store file>')
  for (let dir = dirname(path); dir.length > 1 && dir !== dirname(dir); dir = dirname(dir))
    out = out.split(dir).join('<store folder>')
  return out
}

/**
 * The store error for a failed SQLite call: a code by cause, retryable when waiting may
 * help, a message without the path (the path is in `error.path`, for logs).
 */
export function sqliteError(what: string, path: string, error: unknown): StoreError {
  if (isStoreError(error)) return error
  const sqliteCode = (error as { code?: string })?.code ?? ''
  const code =
    sqliteCode === 'SQLITE_FULL'
      ? 'ERR_STORE_FULL'
      : /SQLITE_(READONLY|CANTOPEN|PERM|IOERR)|^E(ACCES|ROFS|NOTDIR|PERM|NOENT)/.test(sqliteCode)
        ? 'ERR_STORE_PATH'
        : 'ERR_STORE'
  return new StoreError(`${what} failed on the SQLite store: ${withoutPath(errorMessage(error), path)}`, {
    code,
    path,
    cause: error,
    // Waiting may help: a lock is released, space is freed, the file system is made writable (the store reopens).
    retryable: /^SQLITE_(BUSY|FULL|READONLY)/.test(sqliteCode) && sqliteCode !== 'SQLITE_READONLY_DBMOVED',
  })
}
