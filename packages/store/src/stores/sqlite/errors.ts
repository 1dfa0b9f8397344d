import { errorMessage } from '@noa/core'
import { isStoreError, StoreError } from '../../errors.ts'

/** The store error for a failed SQLite call: a code by cause, retryable when waiting may help. */
export function sqliteError(what: string, path: string, error: unknown): StoreError {
  if (isStoreError(error)) return error
  const sqliteCode = (error as { code?: string })?.code ?? ''
  const code =
    sqliteCode === 'SQLITE_FULL'
      ? 'ERR_STORE_FULL'
      : /SQLITE_(READONLY|CANTOPEN|PERM|IOERR)|^E(ACCES|ROFS|NOTDIR|PERM|NOENT)/.test(sqliteCode)
        ? 'ERR_STORE_PATH'
        : 'ERR_STORE'
  return new StoreError(`${what} failed on the SQLite store at ${path}: ${errorMessage(error)}`, {
    code,
    path,
    cause: error,
    retryable: sqliteCode === 'SQLITE_BUSY' || sqliteCode === 'SQLITE_FULL',
  })
}
