import { brandError, NoaError } from '@noa/core'

/** Options of {@link StoreError}. */
export interface StoreErrorOptions {
  /** @default 'ERR_STORE' */
  code?: string
  cause?: unknown
  /** The file or directory involved, when there is one: for the operator's logs, never put in the message. */
  path?: string
  /** True when trying again later may work (a lost connection), false for bad input or a broken file. @default false */
  retryable?: boolean
}

/**
 * Thrown by every store backend. The message is safe to show in API answers and alerts:
 * it never holds a file path, a connection string or a password. `path` names the file
 * when a file is at fault, for logs; `retryable` says whether trying again later may help.
 *
 * @example
 * ```ts
 * try { await openStore({ type: 'sqlite', path: '/read-only/noa.db' }) }
 * catch (error) { if (isStoreError(error)) logger.error(error.message, { path: error.path }) }
 * ```
 */
export class StoreError extends NoaError {
  static {
    brandError(StoreError, 'StoreError')
  }

  readonly path: string | undefined
  readonly retryable: boolean
  constructor(message: string, options: StoreErrorOptions = {}) {
    super(message, { code: options.code ?? 'ERR_STORE', cause: options.cause })
    this.path = options.path
    this.retryable = options.retryable ?? false
  }
}

/**
 * True for errors thrown by a store, from any entry point (`@noa/store/sqlite`, `/postgres`) and
 * from the ESM or CommonJS build alike: `instanceof` reads the `Symbol.for('noa.StoreError')` brand.
 */
export function isStoreError(value: unknown): value is StoreError {
  return value instanceof StoreError
}

/** Thrown by reads while the database cannot be reached; writes are buffered instead. */
export class StoreUnavailableError extends StoreError {
  static {
    brandError(StoreUnavailableError, 'StoreUnavailableError')
  }

  constructor(message: string, cause?: unknown) {
    super(message, { code: 'ERR_STORE_UNAVAILABLE', cause, retryable: true })
  }
}
