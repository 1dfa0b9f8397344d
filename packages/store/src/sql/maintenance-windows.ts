import { checkMaintenanceWindow, windowEnd, windowQueryOf } from '../maintenance-windows.ts'
import type { MaintenanceWindowRecord, MaintenanceWindowStore } from '../store.ts'
import { type Dialect, type Exec, parseJson, type SqlDb } from './dialect.ts'
import { listQuery } from './list.ts'

/**
 * Maintenance windows: one row per window, upserted by id. `ends_at` is when it is over (its
 * early end when a person ended it), indexed for the open list the agent loads and retention.
 */
export function createMaintenanceWindows(d: Dialect, db: SqlDb, exec: Exec): MaintenanceWindowStore {
  const windows = d.table('maintenance_windows')
  return {
    async saveWindow(w) {
      checkMaintenanceWindow(w)
      await exec.write('save maintenance window', async () => {
        await db.run(
          `INSERT INTO ${windows} (id, starts_at, ends_at, data) VALUES (?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET starts_at = excluded.starts_at, ends_at = excluded.ends_at, data = excluded.data`,
          [w.id, w.startsAt, windowEnd(w), JSON.stringify(w)],
        )
      })
    },
    getWindow: (id) =>
      exec.read('get maintenance window', async () => {
        const r = await db.get(`SELECT data FROM ${windows} WHERE id = ?`, [id])
        return r === undefined ? undefined : parseJson<MaintenanceWindowRecord>(r.data)
      }),
    windows: (q) =>
      exec.read('maintenance windows', async () => {
        const query = windowQueryOf(q)
        const [sql, params] = listQuery(
          windows,
          'data',
          { endsAfter: query.endsAfter, endedAt: query.endedAt, limit: query.limit },
          { endsAfter: 'ends_at > ?', endedAt: 'ends_at <= ?' },
          `starts_at DESC, id${d.bytewise} DESC`,
        )
        return (await db.all(sql, params)).map((r) => parseJson<MaintenanceWindowRecord>(r.data))
      }),
  }
}
