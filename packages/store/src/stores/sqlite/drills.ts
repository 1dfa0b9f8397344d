import { checkDrill, drillCursorOf, limitOf } from '../../records.ts'
import type { DrillRecord, DrillStore } from '../../store.ts'
import { type Db, type Exec, parseJson } from './query.ts'

/** The drill runs on one connection: one row per run, its results in the row's JSON. */
export function bindDrills(db: Db, exec: Exec): DrillStore {
  const dr = {
    upsert: db.prepare(
      `INSERT INTO drills (id, started_at, data) VALUES (?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET started_at = excluded.started_at, data = excluded.data`,
    ),
    get: db.prepare('SELECT data FROM drills WHERE id = ?').pluck(),
    first: db.prepare('SELECT data FROM drills ORDER BY started_at DESC, id DESC LIMIT ?').pluck(),
    // The page after a run: the index on (started_at, id) walks from the cursor, whatever the table's size.
    after: db
      .prepare(
        `SELECT data FROM drills WHERE started_at < ? OR (started_at = ? AND id < ?)
         ORDER BY started_at DESC, id DESC LIMIT ?`,
      )
      .pluck(),
  }
  return {
    async saveDrill(run) {
      checkDrill(run)
      await exec.write('save drill', () => void dr.upsert.run(run.id, run.startedAt, JSON.stringify(run)))
    },
    getDrill: (id) =>
      exec.read('get drill', () => {
        const d = dr.get.get(id) as string | undefined
        return d === undefined ? undefined : parseJson<DrillRecord>(d)
      }),
    drills: (q) =>
      exec.read('drills', () => {
        const limit = limitOf(q)
        const before = drillCursorOf(q)
        const rows = (
          before === undefined
            ? dr.first.all(limit)
            : dr.after.all(before.startedAt, before.startedAt, before.id, limit)
        ) as string[]
        return rows.map((d) => parseJson<DrillRecord>(d))
      }),
  }
}
