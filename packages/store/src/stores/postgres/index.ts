import { errorMessage } from '@noa/core'
import type { z } from 'zod'
import { StoreError } from '../../errors.ts'
import type { StoreRuntime } from '../../options.ts'
import {
  createPgDb,
  createPostgresBackend,
  migratePostgres,
  type PgPoolLike,
  postgresError,
} from '../../sql/postgres-dialect.ts'
import { createSqlStore } from '../../sql/store.ts'
import type { Store } from '../../store.ts'
import {
  type postgresOptionsSchema,
  type ResolvedPostgresOptions,
  resolvePostgresOptions,
} from './options.ts'
import { createScrubber } from './secrets.ts'

export type { PgClientLike, PgPoolLike } from '../../sql/postgres-dialect.ts'

/** Options of {@link createPostgresStore}. */
export type PostgresStoreOptions = Omit<z.input<typeof postgresOptionsSchema>, 'pool'> & {
  pool?: PgPoolLike
} & StoreRuntime

/**
 * The store for several agents sharing one PostgreSQL: a pool, the schema created and
 * migrated by the store (numbered migrations in `<schema>.noa_migrations`), the same
 * answers as the sqlite store. While PostgreSQL is unreachable, samples, snapshots and
 * check results are buffered up to `maxBufferedWrites` and retried with backoff (beyond
 * it the oldest are dropped, counted and logged); reads and the ports fail fast with a
 * {@link StoreUnavailableError}. Needs the optional peer `pg`, loaded only here.
 *
 * @example
 * ```ts
 * import { createPostgresStore } from '@noa/store/postgres'
 * const store = await createPostgresStore({ connectionString: process.env.DATABASE_URL, schema: 'noa' })
 * const won = await store.leases.acquireLease('heal:api', 'agent-1', 30_000, Date.now())
 * ```
 */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  return openPostgresStore(resolvePostgresOptions(options))
}

/** Opens a postgres store from validated options (openStore validates once, then calls this). */
export async function openPostgresStore(options: ResolvedPostgresOptions): Promise<Store> {
  const { clock, logger, parsed, common } = options
  const schema = parsed.schema ?? 'noa'
  const scrub = createScrubber(parsed.connectionString)
  let ownsPool = false
  let pool: PgPoolLike
  if (parsed.pool) pool = parsed.pool as PgPoolLike
  else {
    let pg: typeof import('pg')
    try {
      pg = (await import('pg')).default as unknown as typeof import('pg')
    } catch (cause) {
      throw new StoreError('the postgres store needs pg: install it with `pnpm add pg@^8`', {
        code: 'ERR_STORE_DRIVER',
        cause,
      })
    }
    // bigint (oid 20) as a JS number: epoch ms and counts fit in 2^53.
    const bigint = (oid: number, format?: string) =>
      oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')
    pool = new pg.Pool({
      connectionString: parsed.connectionString,
      max: parsed.poolSize ?? 10,
      connectionTimeoutMillis: parsed.connectTimeoutMs ?? 2000,
      query_timeout: parsed.queryTimeoutMs ?? 15_000,
      allowExitOnIdle: true,
      types: { getTypeParser: bigint } as never,
    }) as unknown as PgPoolLike
    ownsPool = true
  }
  // An idle client whose server went away emits 'error' on the pool; unhandled, it would crash the agent.
  pool.on('error', (error: Error) =>
    logger.warn('postgres store: idle connection lost', { error: scrub(errorMessage(error)) }),
  )
  const db = createPgDb(pool)
  try {
    await migratePostgres(db, schema)
  } catch (error) {
    if (ownsPool) await pool.end().catch(() => {})
    throw postgresError('opening', schema, scrub, error)
  }
  const backend = createPostgresBackend({
    pool,
    db,
    schema,
    ownsPool,
    scrub,
    maxBuffered: parsed.maxBufferedWrites ?? 100_000,
    retryInitialMs: parsed.retryInitialMs ?? 1000,
    retryMaxMs: parsed.retryMaxMs ?? 30_000,
    clock,
    logger,
  })
  return createSqlStore(backend, { common, clock, logger })
}
