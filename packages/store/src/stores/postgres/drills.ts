import { checkDrill, drillCursorOf, limitOf } from '../../records.ts'
import type { DrillRecord, DrillStore } from '../../store.ts'

/** What the drills need of the store: a query, and `run` / `write` that name and wrap failures. */
export interface DrillsDeps {
  /** The quoted schema name. */
  S: string
  query(text: string, values?: unknown[]): Promise<Array<Record<string, unknown>>>
  run<T>(what: string, fn: () => Promise<T>): Promise<T>
  write<T>(what: string, fn: () => Promise<T>): Promise<T>
}

const toDrill = (r: Record<string, unknown>) => JSON.parse(r.data as string) as DrillRecord

/** The drill runs in PostgreSQL: one row per run, its results in the row's JSON. */
export function bindDrills({ S, query, run, write }: DrillsDeps): DrillStore {
  return {
    async saveDrill(drill) {
      checkDrill(drill)
      await write('save drill', async () => {
        await query(
          `INSERT INTO ${S}.drills (id, started_at, data) VALUES ($1, $2, $3)
           ON CONFLICT (id) DO UPDATE SET started_at = EXCLUDED.started_at, data = EXCLUDED.data`,
          [drill.id, drill.startedAt, JSON.stringify(drill)],
        )
      })
    },
    getDrill: (id) =>
      run('get drill', async () => {
        const [r] = await query(`SELECT data FROM ${S}.drills WHERE id = $1`, [id])
        return r ? toDrill(r) : undefined
      }),
    drills: (q) =>
      run('drills', async () => {
        const limit = limitOf(q)
        const before = drillCursorOf(q)
        // The id column is COLLATE "C": ids order byte-wise, as on SQLite and in memory, whatever
        // the database's locale, and the (started_at, id) index serves the order and the cursor.
        const order = 'ORDER BY started_at DESC, id DESC'
        const rows =
          before === undefined
            ? await query(`SELECT data FROM ${S}.drills ${order} LIMIT $1`, [limit])
            : await query(
                `SELECT data FROM ${S}.drills WHERE (started_at, id) < ($1, $2) ${order} LIMIT $3`,
                [before.startedAt, before.id, limit],
              )
        return rows.map(toDrill)
      }),
  }
}
