import { checkDrill, drillCursorOf, limitOf } from '../records.ts'
import type { DrillRecord, DrillStore } from '../store.ts'
import { type Dialect, type Exec, parseJson, type SqlDb } from './dialect.ts'

/** The drill runs: one row per run, its results in the row's JSON. */
export function createDrills(d: Dialect, db: SqlDb, exec: Exec): DrillStore {
  const drills = d.table('drills')
  // The id column orders byte-wise (COLLATE "C" on PostgreSQL, BINARY on SQLite), and the
  // (started_at, id) index serves the order and walks from the cursor, whatever the table's size.
  const order = 'ORDER BY started_at DESC, id DESC'
  return {
    async saveDrill(run) {
      checkDrill(run)
      await exec.write('save drill', async () => {
        await db.run(
          `INSERT INTO ${drills} (id, started_at, data) VALUES (?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET started_at = excluded.started_at, data = excluded.data`,
          [run.id, run.startedAt, JSON.stringify(run)],
        )
      })
    },
    getDrill: (id) =>
      exec.read('get drill', async () => {
        const r = await db.get(`SELECT data FROM ${drills} WHERE id = ?`, [id])
        return r === undefined ? undefined : parseJson<DrillRecord>(r.data)
      }),
    drills: (q) =>
      exec.read('drills', async () => {
        const limit = limitOf(q)
        const before = drillCursorOf(q)
        const rows =
          before === undefined
            ? await db.all(`SELECT data FROM ${drills} ${order} LIMIT ?`, [limit])
            : await db.all(`SELECT data FROM ${drills} WHERE (started_at, id) < (?, ?) ${order} LIMIT ?`, [
                before.startedAt,
                before.id,
                limit,
              ])
        return rows.map((r) => parseJson<DrillRecord>(r.data))
      }),
  }
}
