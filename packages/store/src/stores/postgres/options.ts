import { noopLogger, systemClock } from '@noa/core'
import { z } from 'zod'
import {
  commonOptionsSchema,
  parseStoreOptions,
  type ResolvedCommon,
  resolveCommon,
  type StoreRuntime,
} from '../../options.ts'
import type { PostgresStoreOptions } from './index.ts'

/** A PostgreSQL schema name noa may create: lower-case letters, digits and `_`, at most 63. */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/

/** The PostgreSQL options without the one-of check, for composing into a larger schema. */
export const postgresOptionsBaseSchema = commonOptionsSchema.extend({
  /** `postgres://user:password@host:5432/db`; never logged. Give this or `pool`. */
  connectionString: z.string().min(1).optional(),
  /** A pool you own (node-postgres `Pool` or compatible); the store does not end it. */
  pool: z
    .custom<object>(
      (v) => typeof v === 'object' && v !== null && typeof (v as { query?: unknown }).query === 'function',
      {
        message: 'pool must be a node-postgres Pool',
      },
    )
    .optional(),
  /** Schema holding noa's tables, created and migrated by the store. @default 'noa' */
  schema: z
    .string()
    .regex(SCHEMA_NAME, 'schema must be a lower-case SQL identifier (a-z, 0-9, _; at most 63)')
    .optional(),
  /** Connections in the pool the store creates. @default 10 */
  poolSize: z.number().int().min(1).max(1000).optional(),
  /** How long to wait for a connection before a read fails, in ms. @default 2000 */
  connectTimeoutMs: z.number().int().min(1).max(600_000).optional(),
  /** How long one statement may run, in ms. @default 15000 */
  queryTimeoutMs: z.number().int().min(1).max(3_600_000).optional(),
  /** Samples, snapshots and check results held while PostgreSQL is unreachable; the oldest are dropped beyond it. @default 100000 */
  maxBufferedWrites: z.number().int().min(0).max(100_000_000).optional(),
  /** First retry delay of buffered writes, in ms, doubling up to `retryMaxMs`. @default 1000 */
  retryInitialMs: z.number().int().min(1).optional(),
  /** @default 30000 */
  retryMaxMs: z.number().int().min(1).optional(),
})

/** Options of the PostgreSQL store (validated by {@link createPostgresStore}). */
export const postgresOptionsSchema = postgresOptionsBaseSchema.refine(
  (o) => (o.connectionString === undefined) !== (o.pool === undefined),
  {
    message: 'give exactly one of connectionString or pool',
    path: ['connectionString'],
  },
)

/** The PostgreSQL options once validated: what {@link openPostgresStore} needs. */
export interface ResolvedPostgresOptions extends Required<StoreRuntime> {
  common: ResolvedCommon
  parsed: z.output<typeof postgresOptionsSchema>
}

/** Validates the options of a postgres store, throwing one ConfigError that names every bad field. */
export function resolvePostgresOptions(options: PostgresStoreOptions): ResolvedPostgresOptions {
  const { clock = systemClock, logger = noopLogger, ...rest } = options ?? ({} as PostgresStoreOptions)
  const parsed = parseStoreOptions(postgresOptionsSchema, rest, 'store')
  return { clock, logger, parsed, common: resolveCommon(parsed) }
}
