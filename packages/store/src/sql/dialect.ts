import type { StoreHealth, StoreStats } from '../store.ts'

/** A row as the driver returns it, by column name. */
export type Row = Record<string, unknown>
export type Params = readonly unknown[]

/** Column types of a bulk insert: PostgreSQL casts its arrays to them, SQLite needs none. */
export type ColumnType = 'integer' | 'bigint' | 'float8' | 'text'

/**
 * Many rows for one table, column by column (`data[c][i]` is row i's column c): SQLite
 * writes them as multi-row VALUES statements under its parameter limit, PostgreSQL as one
 * `unnest` of typed arrays. Rows go in the order given (a serial key follows it).
 */
export interface BulkInsert {
  table: string
  columns: readonly (readonly [name: string, type: ColumnType])[]
  data: readonly (readonly unknown[])[]
  /** e.g. `ON CONFLICT (key) DO NOTHING`; absent: a conflict fails the statement. */
  conflict?: string
}

/**
 * One statement a transaction body yields, and what it gets back: `all` rows, `get` the
 * first row or undefined, `values` rows as arrays in column order, `run` and `insert` the
 * number of rows changed.
 */
export type Step =
  | { op: 'all' | 'get' | 'values' | 'run'; sql: string; params: Params }
  | { op: 'insert'; bulk: BulkInsert }

/**
 * A transaction body: a generator that yields each statement and receives its answer. One
 * body serves both drivers: SQLite runs it to the end synchronously inside one
 * better-sqlite3 transaction (nothing else can run on the connection meanwhile), PostgreSQL
 * awaits each statement on one client between BEGIN and COMMIT.
 */
// biome-ignore lint/suspicious/noExplicitAny: each yield's answer depends on its statement
export type TxBody<T> = Generator<Step, T, any>

export const all = (sql: string, ...params: unknown[]): Step => ({ op: 'all', sql, params })
export const get = (sql: string, ...params: unknown[]): Step => ({ op: 'get', sql, params })
export const run = (sql: string, ...params: unknown[]): Step => ({ op: 'run', sql, params })
export const insert = (bulk: BulkInsert): Step => ({ op: 'insert', bulk })

/**
 * Statements on the store's database, written once with `?` placeholders (PostgreSQL's
 * dialect numbers them). SQLite answers synchronously underneath; the promises are for
 * PostgreSQL's sake.
 */
export interface SqlDb {
  all(sql: string, params?: Params): Promise<Row[]>
  get(sql: string, params?: Params): Promise<Row | undefined>
  /**
   * Rows as arrays in column order: no object per row, for long reads of numbers. Give each
   * column its own name: PostgreSQL builds the arrays from its row objects.
   */
  values(sql: string, params?: Params): Promise<unknown[][]>
  /** Rows changed. */
  run(sql: string, params?: Params): Promise<number>
  insert(bulk: BulkInsert): Promise<number>
  /**
   * Runs `body` in one transaction that writes (SQLite: BEGIN IMMEDIATE), first taking
   * the advisory lock named `lock` on PostgreSQL, where several agents share the rows.
   * A body that throws rolls it back.
   */
  tx<T>(body: () => TxBody<T>, lock?: string): Promise<T>
}

/** What to delete when it expires: rows of `table` whose `time` is before the cutoff and that match `where`. */
export interface ExpireSpec {
  table: string
  /** A unique column, to pick a chunk of rows by (SQLite). */
  key: string
  time: string
  /** Extra condition, e.g. `status <> 'pending'` (open items are kept). */
  where?: string
  /** Keyed by (series_id, time): deleted series by series along the primary key (SQLite). */
  perSeries?: boolean
}

/** The SQL that differs between SQLite and PostgreSQL; everything else is written once. */
export interface Dialect {
  readonly name: 'sqlite' | 'postgres'
  /** True when the driver returns numbers for every numeric column (no bigint as text). */
  readonly exactNumbers: boolean
  /** A table's name in SQL: schema-qualified on PostgreSQL. */
  table(name: string): string
  /** A `?` placeholder read as a 64-bit integer (so integer division stays integer). */
  readonly intParam: string
  /** Appended to a text column in ORDER BY so ids sort byte-wise whatever the locale. */
  readonly bytewise: string
  /**
   * Select-list text whose first column, named `as`, is the `value` of the row with the
   * greatest `by` in the group (it may add columns after it): SQLite's bare column beside
   * max(), an ordered array_agg on PostgreSQL. Put it last in the list.
   */
  last(value: string, by: string, as: string): string
  /**
   * `FROM ... WHERE ...` reading the rows of a (series_id, time)-keyed table with
   * `? <= time < ?`, aliased `alias`: series by series on SQLite (its primary key is the
   * only index), through the time index on PostgreSQL.
   */
  window(table: string, alias: string, time: string): string
  /** A condition true when `column` is one of the texts in the `?` that {@link listParam} gives. */
  anyOf(column: string): string
  listParam(values: readonly string[]): unknown
  /** Deletes at most `limit` expired rows; returns how many. */
  expire(db: SqlDb, spec: ExpireSpec, cutoff: number, limit: number): Promise<number>
}

/**
 * How every call reaches the database: refusing once the store is closed, turning driver
 * errors into StoreErrors (what failed, without paths or passwords), and keeping the
 * store's health from its writes. Input the store refused (a StoreError thrown by a
 * part) passes through and is no store failure.
 */
export interface Exec {
  read<T>(what: string, fn: () => Promise<T>): Promise<T>
  write<T>(what: string, fn: () => Promise<T>): Promise<T>
  /**
   * A write of samples, snapshots or check results: on PostgreSQL, buffered while the
   * database cannot be reached and written later, in order; on SQLite, `write`.
   */
  submit(what: string, items: number, fn: () => Promise<void>): Promise<void>
  /** Throws the store's closed error once closed. */
  assertOpen(): void
}

/** A database opened for the SQL store: its dialect, statements, execution and lifecycle. */
export interface SqlBackend {
  readonly type: 'sqlite' | 'postgres'
  readonly dialect: Dialect
  readonly db: SqlDb
  readonly exec: Exec
  /**
   * Check results written in batches, one commit each (SQLite: a commit per result would
   * be a tenth of the agent's CPU at 10,000 services); PostgreSQL submits each.
   */
  readonly batchChecks: boolean
  /** Writes what the backend buffered (PostgreSQL's outage buffer). */
  flush(): Promise<void>
  stats(): StoreStats
  health(): StoreHealth
  /** Writes what it can, then releases the file or the pool. */
  close(): Promise<void>
}

/** A number from a numeric column, which PostgreSQL may return as text (bigint, count). */
export const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v))
export const parseJson = <T>(text: unknown): T => JSON.parse(text as string) as T
