import type BetterSqlite3 from 'better-sqlite3'
import { limitOf } from '../../records.ts'

export type Db = BetterSqlite3.Database
export type Row = Record<string, unknown>

export const parseJson = <T>(text: unknown): T => JSON.parse(text as string) as T

/**
 * How every statement runs: SQLite errors become store errors, a closed store refuses.
 * `write` is for statements that change the file, so the store's health can follow them.
 */
export interface Exec {
  read<T>(what: string, fn: () => T | Promise<T>): Promise<T>
  write<T>(what: string, fn: () => T | Promise<T>): Promise<T>
}

/** List queries over one connection: the filters that are set, in the given order, statements cached by their SQL. */
export function createLists(db: Db) {
  const listStatements = new Map<string, BetterSqlite3.Statement>()
  function list(
    table: string,
    select: 'data' | '*',
    q: Record<string, unknown> | undefined,
    filters: Record<string, string>,
    order: string,
  ): unknown[] {
    const where: string[] = []
    const params: unknown[] = []
    for (const [key, clause] of Object.entries(filters)) {
      if (q?.[key] === undefined) continue
      where.push(clause)
      params.push(q[key])
    }
    const sql = `SELECT ${select} FROM ${table} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order} LIMIT ?`
    let statement = listStatements.get(sql)
    if (!statement) {
      statement = select === 'data' ? db.prepare(sql).pluck() : db.prepare(sql)
      listStatements.set(sql, statement)
    }
    return statement.all(...params, limitOf(q))
  }
  const listData = <T>(...args: Parameters<typeof list>): T[] =>
    (list(...args) as string[]).map((d) => parseJson<T>(d))
  return { list, listData }
}

export type Lists = ReturnType<typeof createLists>
