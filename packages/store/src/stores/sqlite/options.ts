import { noopLogger, systemClock } from '@noa/core'
import { z } from 'zod'
import {
  commonOptionsSchema,
  parseStoreOptions,
  type ResolvedCommon,
  resolveCommon,
  type StoreRuntime,
} from '../../options.ts'
import type { StoreRecovery } from '../../store.ts'
import type { SqliteStoreOptions } from './index.ts'

/** Options of the SQLite store (validated by {@link createSqliteStore}). */
export const sqliteOptionsSchema = commonOptionsSchema.extend({
  /** The database file, e.g. `data/noa.db`; its directory is created when missing. `:memory:` for a private in-memory database. */
  path: z.string().min(1),
  /** How long a write waits for another process's lock, in ms. @default 5000 */
  busyTimeoutMs: z.number().int().min(0).max(600_000).optional(),
  /** Largest size the file may grow to, in bytes; writes beyond it fail as a full disk does. @default unlimited */
  maxSizeBytes: z.number().int().min(65_536).optional(),
  /**
   * Check the file when it is opened (`PRAGMA quick_check`, which reads every page); a file
   * that fails is moved aside and a new store created (see `onRecovered`). It grows with
   * the file: 0.7 s for 200 MB in the page cache, 2.5 s from disk (README, `bench:open`);
   * turn it off for a file of many gigabytes whose start time matters more. @default 'quick'
   */
  integrityCheck: z.enum(['quick', 'off']).optional(),
})

/** The SQLite options once validated: what {@link openSqliteStore} needs. */
export interface ResolvedSqliteOptions extends Required<StoreRuntime> {
  common: ResolvedCommon
  parsed: z.output<typeof sqliteOptionsSchema>
  onRecovered?: ((recovery: StoreRecovery) => void) | undefined
}

/** Validates the options of a sqlite store, throwing one ConfigError that names every bad field. */
export function resolveSqliteOptions(options: SqliteStoreOptions): ResolvedSqliteOptions {
  const {
    clock = systemClock,
    logger = noopLogger,
    onRecovered,
    ...rest
  } = options ?? ({} as SqliteStoreOptions)
  const parsed = parseStoreOptions(sqliteOptionsSchema, rest, 'store')
  return { clock, logger, onRecovered, parsed, common: resolveCommon(parsed) }
}
