import { accessSync, constants } from 'node:fs'
import { dirname } from 'node:path'
import type { Clock, Logger } from '@noa/core'
import type BetterSqlite3 from 'better-sqlite3'
import { isStoreError, StoreError } from '../errors.ts'
import { createHealthTracker } from '../health.ts'
import { type ConnectionOptions, type Driver, openConnection } from '../stores/sqlite/connection.ts'
import { sqliteError } from '../stores/sqlite/errors.ts'
import type {
  BulkInsert,
  Dialect,
  Exec,
  ExpireSpec,
  Params,
  Row,
  SqlBackend,
  SqlDb,
  Step,
  TxBody,
} from './dialect.ts'

type Db = BetterSqlite3.Database
type Statement = BetterSqlite3.Statement

/** Rows per multi-row INSERT: fewer statements, well under SQLite's 32,766 parameters. */
const INSERT_ROWS = 200

/** SQLite's SQL: `?` placeholders as they are, plain table names, BINARY text order. */
export const sqliteDialect: Dialect = {
  name: 'sqlite',
  exactNumbers: true,
  table: (name) => name,
  intParam: 'CAST(? AS INTEGER)',
  bytewise: '',
  // SQLite fills a bare column from the row that max() picked: that is the group's last value.
  last: (value, by, as) => `${value} AS ${as}, max(${by}) AS ${as}_at`,
  window: (table, a, time) =>
    `series s CROSS JOIN ${table} ${a} ON ${a}.series_id = s.id AND ${a}.${time} >= ? AND ${a}.${time} < ?`,
  anyOf: (column) => `${column} IN (SELECT value FROM json_each(?))`,
  listParam: (values) => JSON.stringify(values),
  async expire(db, spec, cutoff, limit) {
    if (spec.perSeries) return expirePerSeries(db, spec, cutoff, limit)
    const where = `${spec.time} < ?${spec.where ? ` AND ${spec.where}` : ''}`
    return db.run(
      `DELETE FROM ${spec.table} WHERE ${spec.key} IN (SELECT ${spec.key} FROM ${spec.table} WHERE ${where} LIMIT ?)`,
      [cutoff, limit],
    )
  },
}

/**
 * Deletes at most `limit` rows older than `cutoff` from a (series_id, time)-keyed table,
 * series by series: each delete is a range of the primary key, the table's only index.
 */
async function expirePerSeries(db: SqlDb, { table, time }: ExpireSpec, cutoff: number, limit: number) {
  let n = 0
  for (const { id } of await db.all('SELECT id FROM series ORDER BY id')) {
    if (n >= limit) break
    const bound = await db.get(
      `SELECT ${time} AS t FROM ${table} WHERE series_id = ? AND ${time} < ? ORDER BY ${time} LIMIT 1 OFFSET ?`,
      [id, cutoff, limit - n],
    )
    n += await db.run(`DELETE FROM ${table} WHERE series_id = ? AND ${time} < ?`, [id, bound?.t ?? cutoff])
  }
  return n
}

/**
 * Statements on one better-sqlite3 connection, prepared once per SQL text and kept. Every
 * call runs synchronously; the promises only wrap the answer.
 */
export class SqliteDb implements SqlDb {
  #db: Db
  #statements = new Map<string, Statement>()
  #rawStatements = new Map<string, Statement>()
  #inserts = new Map<string, Statement>()
  #tx: { immediate(gen: TxBody<unknown>): unknown }

  constructor(db: Db) {
    this.#db = db
    this.#tx = db.transaction((gen: TxBody<unknown>) => this.#drive(gen))
  }

  /** Moves to a new connection (the file reopened): statements are prepared again on it. */
  replace(db: Db): void {
    this.#db = db
    this.#statements.clear()
    this.#rawStatements.clear()
    this.#inserts.clear()
    this.#tx = db.transaction((gen: TxBody<unknown>) => this.#drive(gen))
  }

  #prepare(sql: string): Statement {
    let s = this.#statements.get(sql)
    if (s === undefined) {
      s = this.#db.prepare(sql)
      this.#statements.set(sql, s)
    }
    return s
  }

  allSync(sql: string, params: Params = []): Row[] {
    const s = this.#prepare(sql)
    return (params.length === 0 ? s.all() : s.all(params)) as Row[]
  }
  getSync(sql: string, params: Params = []): Row | undefined {
    const s = this.#prepare(sql)
    return (params.length === 0 ? s.get() : s.get(params)) as Row | undefined
  }
  valuesSync(sql: string, params: Params = []): unknown[][] {
    let s = this.#rawStatements.get(sql)
    if (s === undefined) {
      s = this.#db.prepare(sql).raw()
      this.#rawStatements.set(sql, s)
    }
    return (params.length === 0 ? s.all() : s.all(params)) as unknown[][]
  }
  runSync(sql: string, params: Params = []): number {
    const s = this.#prepare(sql)
    return (params.length === 0 ? s.run() : s.run(params)).changes
  }

  /** Full multi-row statements of INSERT_ROWS rows, then the rest one row each (one statement kept for each shape). */
  insertSync({ table, columns, data, conflict = '' }: BulkInsert): number {
    const cols = columns.length
    const n = (data[0] as readonly unknown[]).length
    const head = `INSERT INTO ${table} (${columns.map(([c]) => c).join(', ')}) VALUES `
    const tuple = `(${Array(cols).fill('?').join(', ')})`
    let changes = 0
    let i = 0
    if (n >= INSERT_ROWS) {
      const many = this.#insert(`${head}${Array(INSERT_ROWS).fill(tuple).join(', ')} ${conflict}`)
      const params: unknown[] = new Array(INSERT_ROWS * cols)
      for (; i + INSERT_ROWS <= n; i += INSERT_ROWS) {
        for (let j = 0; j < INSERT_ROWS; j++)
          for (let c = 0; c < cols; c++) params[j * cols + c] = (data[c] as readonly unknown[])[i + j]
        changes += many.run(params).changes
      }
    }
    if (i < n) {
      const one = this.#insert(`${head}${tuple} ${conflict}`)
      const params: unknown[] = new Array(cols)
      for (; i < n; i++) {
        for (let c = 0; c < cols; c++) params[c] = (data[c] as readonly unknown[])[i]
        changes += one.run(params).changes
      }
    }
    return changes
  }
  #insert(sql: string): Statement {
    let s = this.#inserts.get(sql)
    if (s === undefined) {
      s = this.#db.prepare(sql)
      this.#inserts.set(sql, s)
    }
    return s
  }

  #step(step: Step): unknown {
    switch (step.op) {
      case 'all':
        return this.allSync(step.sql, step.params)
      case 'get':
        return this.getSync(step.sql, step.params)
      case 'values':
        return this.valuesSync(step.sql, step.params)
      case 'run':
        return this.runSync(step.sql, step.params)
      case 'insert':
        return this.insertSync(step.bulk)
    }
  }
  /** Runs a transaction body to its end, synchronously: each statement's answer goes back into it. */
  #drive(gen: TxBody<unknown>): unknown {
    let r = gen.next()
    while (!r.done) r = gen.next(this.#step(r.value))
    return r.value
  }
  /** The body in one BEGIN IMMEDIATE transaction (the write lock first, so it never upgrades mid-way). */
  txSync<T>(body: () => TxBody<T>): T {
    return this.#tx.immediate(body()) as T
  }

  async all(sql: string, params?: Params) {
    return this.allSync(sql, params)
  }
  async get(sql: string, params?: Params) {
    return this.getSync(sql, params)
  }
  async values(sql: string, params?: Params) {
    return this.valuesSync(sql, params)
  }
  async run(sql: string, params?: Params) {
    return this.runSync(sql, params)
  }
  async insert(bulk: BulkInsert) {
    return this.insertSync(bulk)
  }
  async tx<T>(body: () => TxBody<T>): Promise<T> {
    return this.txSync(body)
  }
}

/** How the SQLite backend was opened. */
export interface SqliteBackendOptions {
  Driver: Driver
  path: string
  connection: Db
  opening: ConnectionOptions
  clock: Clock
  logger: Logger
}

/**
 * The SQLite backend: one connection, statements through {@link SqliteDb}. A write that
 * fails because the connection is read-only (opened while the file system was) reopens
 * the file once it is writable again; while another program holds the file's lock,
 * writes fail at once instead of each waiting `busyTimeoutMs`.
 */
export function createSqliteBackend(options: SqliteBackendOptions): SqlBackend {
  const { Driver, path, opening, clock, logger } = options
  let conn = options.connection
  const db = new SqliteDb(conn)
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
    conn.pragma(`busy_timeout = ${wait ? opening.busyTimeoutMs : 0}`)
    if (wait)
      logger.info('store file no longer locked by another program: writes wait for locks again', { path })
    else
      logger.warn('store file locked by another program: writes fail at once until one works', {
        path,
        busyTimeoutMs: opening.busyTimeoutMs,
      })
  }
  /** Reopens the file when the connection could not write and the file system takes writes again. */
  function reopenIfWritable() {
    if (!readOnly || closed || !writable(path)) return
    // SQLite maps a file's -shm once per process: a new connection opened beside the
    // read-only one would share its read-only mapping, so the old one is closed first.
    conn.close()
    try {
      conn = openConnection(Driver, path, { ...opening, integrityCheck: false })
    } catch (error) {
      // The next call tries again: statements of the closed connection fail until then.
      const failure = sqliteError('reopening', path, error)
      health.failed(failure.message)
      throw failure
    }
    db.replace(conn)
    readOnly = false
    lockedOut = false
    logger.info('store file writable again: reopened it', { path })
  }
  const assertOpen = () => {
    if (closed) throw new StoreError('the SQLite store is closed', { path })
  }
  const write = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    assertOpen()
    try {
      reopenIfWritable()
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
  }
  const exec: Exec = {
    async read(what, fn) {
      assertOpen()
      try {
        reopenIfWritable()
        return await fn()
      } catch (error) {
        throw sqliteError(what, path, error)
      }
    },
    write,
    submit: (what, _items, fn) => write(what, fn),
    assertOpen,
  }
  return {
    type: 'sqlite',
    dialect: sqliteDialect,
    db,
    exec,
    batchChecks: true,
    flush: async () => {},
    stats: () => ({ buffered: 0, dropped: 0 }),
    health: () => health.health(),
    async close() {
      if (closed) return
      closed = true
      conn.close()
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
