import { limitOf } from '../records.ts'
import type { Params } from './dialect.ts'

/**
 * A list query: `SELECT select FROM table`, a WHERE of the filters that are set (in the
 * order given, each clause with one `?`), `ORDER BY order`, and the limit. One SQL text
 * per set of filters used, so statements are prepared once per shape.
 */
export function listQuery(
  table: string,
  select: string,
  q: Record<string, unknown> | undefined,
  filters: Record<string, string>,
  order: string,
): [sql: string, params: Params] {
  const where: string[] = []
  const params: unknown[] = []
  for (const key in filters) {
    if (q?.[key] === undefined) continue
    where.push(filters[key] as string)
    params.push(q[key])
  }
  params.push(limitOf(q as { limit?: number }))
  const sql = `SELECT ${select} FROM ${table} ${where.length ? `WHERE ${where.join(' AND ')} ` : ''}ORDER BY ${order} LIMIT ?`
  return [sql, params]
}
