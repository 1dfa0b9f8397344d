import Database from 'better-sqlite3'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { SQLITE_MIGRATIONS } from '../stores/sqlite/schema.ts'
import { type BulkInsert, get, insert, type SqlDb } from './dialect.ts'
import { createPgDb, migratePostgres, type PgPoolLike } from './postgres-dialect.ts'
import { SqliteDb } from './sqlite-dialect.ts'

const url = process.env.NOA_TEST_POSTGRES_URL
const schema = `noa_sql_test_${process.pid}_${Date.now().toString(36)}`
const pool = url ? new pg.Pool({ connectionString: url, max: 2 }) : undefined
afterAll(async () => {
  await pool?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  await pool?.end()
})

/** The two SqlDb's under test, each on an empty store schema. */
const backends: Array<[string, () => Promise<{ db: SqlDb; table: (name: string) => string }>]> = [
  [
    'sqlite',
    async () => {
      const raw = new Database(':memory:')
      for (const m of SQLITE_MIGRATIONS) raw.exec(m)
      return { db: new SqliteDb(raw), table: (name) => name }
    },
  ],
]
if (pool)
  backends.push([
    'postgres',
    async () => {
      const db = createPgDb(pool as unknown as PgPoolLike)
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
      await migratePostgres(db, schema)
      return { db, table: (name) => `"${schema}".${name}` }
    },
  ])

const samplesOf = (table: string, rows: Array<[number, number, number]>): BulkInsert => ({
  table,
  columns: [
    ['series_id', 'integer'],
    ['ts', 'bigint'],
    ['value', 'float8'],
  ],
  data: [rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2])],
  conflict: 'ON CONFLICT (series_id, ts) DO UPDATE SET value = excluded.value',
})

describe.each(backends)('SqlDb on %s', (_name, open) => {
  it('should insert more rows than one statement holds, in order, upserting on conflict', async () => {
    const { db, table } = await open()
    // 450 rows: two full multi-row statements on SQLite and 50 rows one by one.
    const rows = Array.from({ length: 450 }, (_, i) => [1, i, i] as [number, number, number])
    expect(await db.insert(samplesOf(table('samples'), rows))).toBe(450)
    await db.insert(samplesOf(table('samples'), [[1, 7, -7]]))
    const stored = await db.values(
      `SELECT ts, value FROM ${table('samples')} WHERE series_id = ? ORDER BY ts`,
      [1],
    )
    expect(stored.length).toBe(450)
    expect(stored.map((r) => Number(r[1])).slice(5, 9)).toEqual([5, 6, -7, 8])
  })

  it('should run a transaction body to its end, each statement answering the next', async () => {
    const { db, table } = await open()
    const out = await db.tx(function* () {
      yield insert(samplesOf(table('samples'), [[2, 1, 10]]))
      const row = yield get(`SELECT value FROM ${table('samples')} WHERE series_id = ? AND ts = ?`, 2, 1)
      return Number(row.value) * 2
    }, 'noa-test')
    expect(out).toBe(20)
  })

  it('should roll a transaction back when its body throws, keeping nothing it wrote', async () => {
    const { db, table } = await open()
    await expect(
      db.tx(function* () {
        yield insert(samplesOf(table('samples'), [[3, 1, 1]]))
        throw new Error('refused half-way')
      }),
    ).rejects.toThrow('refused half-way')
    expect(await db.all(`SELECT * FROM ${table('samples')} WHERE series_id = ?`, [3])).toEqual([])
  })
})
