import type { Clock, Logger, Timer } from '@noa/core'
import { createBackoff, errorMessage } from '@noa/core'
import { isStoreError, StoreError, StoreUnavailableError } from '../errors.ts'
import { createHealthTracker } from '../health.ts'
import { POSTGRES_MIGRATIONS } from '../stores/postgres/migrations.ts'
import type { BulkInsert, Dialect, Exec, Params, Row, SqlBackend, SqlDb, Step, TxBody } from './dialect.ts'
import { all, num, run } from './dialect.ts'

/** What the store needs of a node-postgres client. */
export interface PgClientLike {
  query(config: { text: string; values?: unknown[] }): Promise<{ rows: Row[]; rowCount: number | null }>
  release(error?: Error | boolean): void
  on?(event: 'error', listener: (error: Error) => void): unknown
  off?(event: 'error', listener: (error: Error) => void): unknown
}

/** What the store needs of a node-postgres `Pool`, so a pool you own can be passed in. */
export interface PgPoolLike {
  query(config: { text: string; values?: unknown[] }): Promise<{ rows: Row[]; rowCount: number | null }>
  connect(): Promise<PgClientLike>
  end(): Promise<void>
  on(event: 'error', listener: (error: Error) => void): unknown
}

/** Error codes and messages of a connection that is gone or cannot be made. */
export function isConnectionError(error: unknown): boolean {
  const code = String((error as { code?: unknown })?.code ?? '')
  if (/^(08|57P0|53300)/.test(code)) return true
  if (/^E(CONNREFUSED|CONNRESET|PIPE|TIMEDOUT|HOSTUNREACH|NETUNREACH|AI_AGAIN)$/.test(code)) return true
  return /Connection terminated|timeout exceeded when trying to connect|Query read timeout|connect ECONNREFUSED|Client has encountered a connection error/i.test(
    errorMessage(error),
  )
}

/** PostgreSQL's SQL for the tables of one schema. */
export function postgresDialect(schema: string): Dialect {
  const S = `"${schema}"`
  return {
    name: 'postgres',
    // A pool the caller owns has no bigint parser: bigint columns and count(*) come as text.
    exactNumbers: false,
    table: (name) => `${S}.${name}`,
    intParam: '?::bigint',
    bytewise: ' COLLATE "C"',
    last: (value, by, as) => `(array_agg(${value} ORDER BY ${by} DESC))[1] AS ${as}`,
    window: (table, a, time) => `${table} ${a} WHERE ${a}.${time} >= ? AND ${a}.${time} < ?`,
    anyOf: (column) => `${column} = ANY(?::text[])`,
    listParam: (values) => values,
    // ctid picks a chunk of any table, whatever its key; the time index (BRIN on series tables) finds it.
    expire: (db, { table, time, where }, cutoff, limit) =>
      db.run(
        `DELETE FROM ${table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM ${table} WHERE ${time} < ?${where ? ` AND ${where}` : ''} LIMIT ?))`,
        [cutoff, limit],
      ),
  }
}

/**
 * `?` placeholders numbered `$1, $2, ...`, once per SQL text (the statements are few and
 * fixed). A statement without parameters (a migration) is sent as written.
 */
const numbered = new Map<string, string>()
function placeholders(sql: string, params: Params | undefined): string {
  if (params === undefined || params.length === 0) return sql
  let out = numbered.get(sql)
  if (out === undefined) {
    let n = 0
    out = sql.replace(/\?/g, () => `$${++n}`)
    numbered.set(sql, out)
  }
  return out
}

type Query = (sql: string, params?: Params) => Promise<{ rows: Row[]; rowCount: number | null }>

/** One `INSERT ... SELECT FROM unnest(typed arrays)`: a single statement for any number of rows, in order. */
function bulkSql({ table, columns, conflict = '' }: BulkInsert): string {
  const names = columns.map(([c]) => c).join(', ')
  const arrays = columns.map(([, type]) => `?::${type}[]`).join(', ')
  return `INSERT INTO ${table} (${names}) SELECT ${names} FROM unnest(${arrays}) WITH ORDINALITY AS u(${names}, noa_ord) ORDER BY noa_ord ${conflict}`
}
const columnArrays = (data: BulkInsert['data']) => data.map((c) => (Array.isArray(c) ? c : Array.from(c)))

/** The statements of {@link SqlDb} over one query function: the pool's, or a client's in a transaction. */
function statements(query: Query) {
  const step = async (s: Step): Promise<unknown> => {
    if (s.op === 'insert') return (await query(bulkSql(s.bulk), columnArrays(s.bulk.data))).rowCount ?? 0
    const result = await query(s.sql, s.params)
    if (s.op === 'all') return result.rows
    if (s.op === 'get') return result.rows[0]
    if (s.op === 'values') return result.rows.map((r) => Object.values(r))
    return result.rowCount ?? 0
  }
  return {
    step,
    all: async (sql: string, params?: Params) => (await query(sql, params)).rows,
    get: async (sql: string, params?: Params) => (await query(sql, params)).rows[0],
    // Arrays built from the row objects: a caller's pool need not support rowMode.
    values: async (sql: string, params?: Params) =>
      (await query(sql, params)).rows.map((r) => Object.values(r)),
    run: async (sql: string, params?: Params) => (await query(sql, params)).rowCount ?? 0,
    insert: async (bulk: BulkInsert) => (await query(bulkSql(bulk), columnArrays(bulk.data))).rowCount ?? 0,
  }
}

/** Statements on a pool; a transaction takes one client for its whole body. */
export function createPgDb(pool: PgPoolLike): SqlDb {
  const onPool = statements((sql, params) =>
    pool.query({ text: placeholders(sql, params), values: params as unknown[] }),
  )
  return {
    all: onPool.all,
    get: onPool.get,
    values: onPool.values,
    run: onPool.run,
    insert: onPool.insert,
    async tx<T>(body: () => TxBody<T>, lock?: string): Promise<T> {
      const client = await pool.connect()
      const on = statements((sql, params) =>
        client.query({ text: placeholders(sql, params), values: params as unknown[] }),
      )
      // A connection lost while the client is checked out is an 'error' on the client, which the
      // pool does not watch then: unheard, it would crash the agent. The statement fails anyway.
      const ignore = () => {}
      client.on?.('error', ignore)
      try {
        await on.run('BEGIN')
        if (lock !== undefined) await on.run('SELECT pg_advisory_xact_lock(hashtext(?))', [lock])
        const gen = body()
        let r = gen.next()
        while (!r.done) r = gen.next(await on.step(r.value))
        await on.run('COMMIT')
        client.off?.('error', ignore)
        client.release()
        return r.value
      } catch (error) {
        await on.run('ROLLBACK').catch(() => {})
        // The listener stays: a broken client may still report its error while it is destroyed.
        client.release(isConnectionError(error) ? (error as Error) : undefined)
        throw error
      }
    },
  }
}

/** Creates the schema and applies the migrations not applied yet, one agent at a time. */
export async function migratePostgres(db: SqlDb, schema: string): Promise<void> {
  const S = `"${schema}"`
  await db.tx(function* () {
    yield run(`CREATE SCHEMA IF NOT EXISTS ${S}`)
    yield run(
      `CREATE TABLE IF NOT EXISTS ${S}.noa_migrations (id integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    )
    const applied: Row[] = yield all(`SELECT id FROM ${S}.noa_migrations`)
    const done = new Set(applied.map((r) => num(r.id)))
    for (const m of POSTGRES_MIGRATIONS) {
      if (done.has(m.id)) continue
      yield run(m.sql.replaceAll('$S', S))
      yield run(`INSERT INTO ${S}.noa_migrations (id, name) VALUES (?, ?)`, m.id, m.name)
    }
  }, `noa-store:${schema}`)
}

/** How the PostgreSQL backend runs. */
export interface PostgresBackendOptions {
  pool: PgPoolLike
  db: SqlDb
  schema: string
  /** End the pool at close (the store created it). */
  ownsPool: boolean
  scrub: (text: string) => string
  maxBuffered: number
  retryInitialMs: number
  retryMaxMs: number
  clock: Clock
  logger: Logger
}

/** The StoreError for a failed statement: unavailable when the connection is the cause, never with the password. */
export function postgresError(what: string, schema: string, scrub: (t: string) => string, error: unknown) {
  if (isStoreError(error)) return error
  const message = scrub(errorMessage(error))
  return isConnectionError(error)
    ? new StoreUnavailableError(
        `${what}: the PostgreSQL store (schema ${schema}) is unreachable: ${message}`,
        error,
      )
    : new StoreError(`${what} failed on the PostgreSQL store (schema ${schema}): ${message}`, {
        cause: error,
      })
}

/** A buffered write: what to run once PostgreSQL answers again, and how many items it holds. */
interface PendingWrite {
  items: number
  write: () => Promise<void>
}

/**
 * The PostgreSQL backend: statements on a pool. While PostgreSQL is unreachable, submitted
 * writes (samples, snapshots, check results) are buffered up to `maxBuffered` items and
 * retried with backoff (beyond it the oldest are dropped, counted and logged); reads and
 * the ports fail fast with a {@link StoreUnavailableError}.
 */
export function createPostgresBackend(options: PostgresBackendOptions): SqlBackend {
  const { pool, db, schema, scrub, maxBuffered, clock, logger } = options
  const backoff = createBackoff({
    initialMs: options.retryInitialMs,
    maxMs: Math.max(options.retryMaxMs, options.retryInitialMs),
  })
  const wrap = (what: string, error: unknown) => postgresError(what, schema, scrub, error)
  const health = createHealthTracker(clock)
  let closed = false
  const assertOpen = () => {
    if (closed) throw new StoreError(`the PostgreSQL store (schema ${schema}) is closed`)
  }

  // ---- the write buffer ----
  const buffer: PendingWrite[] = []
  let buffered = 0
  let dropped = 0
  let attempt = 0
  let timer: Timer | undefined
  let draining: Promise<void> | undefined

  function dropOverflow() {
    let lost = 0
    while (buffered > maxBuffered && buffer.length > 0) {
      const w = buffer.shift() as PendingWrite
      buffered -= w.items
      lost += w.items
    }
    if (lost > 0) {
      dropped += lost
      logger.warn('postgres store: write buffer full, dropped the oldest writes', {
        dropped: lost,
        droppedTotal: dropped,
        buffered,
      })
    }
  }
  function schedule() {
    if (timer || closed) return
    timer = clock.setTimeout(() => {
      timer = undefined
      drain().catch(() => schedule())
    }, backoff.delay(attempt++))
  }
  function drain(): Promise<void> {
    draining ??= (async () => {
      try {
        while (buffer.length > 0) {
          await (buffer[0] as PendingWrite).write()
          const w = buffer.shift() as PendingWrite
          buffered -= w.items
          health.succeeded()
        }
        attempt = 0
      } catch (error) {
        health.failed(wrap('writing buffered writes', error).message)
        throw error
      } finally {
        draining = undefined
      }
    })()
    return draining
  }

  const exec: Exec = {
    async read(what, fn) {
      assertOpen()
      try {
        return await fn()
      } catch (error) {
        throw wrap(what, error)
      }
    },
    async write(what, fn) {
      assertOpen()
      try {
        const out = await fn()
        health.succeeded()
        return out
      } catch (error) {
        // Input the store refused (a duplicate approval) says nothing about the database.
        if (isStoreError(error)) throw error
        const failure = wrap(what, error)
        health.failed(failure.message)
        throw failure
      }
    },
    /** Writes now, or buffers the write when PostgreSQL cannot be reached (keeping order). */
    async submit(what, items, write) {
      assertOpen()
      if (buffer.length === 0 && !draining) {
        try {
          await write()
          health.succeeded()
          return
        } catch (error) {
          if (isStoreError(error)) throw error
          const failure = wrap(what, error)
          health.failed(failure.message)
          if (!isConnectionError(error)) throw failure
          logger.warn('postgres store unreachable; buffering writes', { error: failure.message })
        }
      }
      buffer.push({ items, write })
      buffered += items
      dropOverflow()
      schedule()
    },
    assertOpen,
  }

  return {
    type: 'postgres',
    dialect: postgresDialect(schema),
    db,
    exec,
    batchChecks: false,
    async flush() {
      if (buffer.length === 0) return
      try {
        await drain()
      } catch (error) {
        schedule()
        throw wrap('flush', error)
      }
    },
    stats: () => ({ buffered, dropped }),
    health: () => health.health(),
    async close() {
      if (closed) return
      if (buffer.length > 0) {
        await drain().catch(() => {})
        if (buffered > 0) {
          dropped += buffered
          logger.warn('postgres store closed with unwritten writes; they are lost', {
            dropped: buffered,
            droppedTotal: dropped,
          })
        }
      }
      closed = true
      timer?.cancel()
      if (options.ownsPool) await pool.end().catch(() => {})
    },
  }
}
