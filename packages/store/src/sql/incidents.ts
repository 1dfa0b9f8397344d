import { checkIncident, incidentCursorOf, incidentStateOf, limitOf } from '../records.ts'
import type { Incident, IncidentStore } from '../store.ts'
import { type Dialect, type Exec, parseJson, type SqlDb } from './dialect.ts'

/**
 * Incidents: one row per incident, its timeline in the row's JSON (an incident is read and
 * written whole, and its timeline is bounded). The columns beside it are what lists filter
 * and order by; ids order byte-wise (COLLATE "C" on PostgreSQL, BINARY on SQLite).
 */
export function createIncidents(d: Dialect, db: SqlDb, exec: Exec): IncidentStore {
  const table = d.table('incidents')
  const order = 'ORDER BY opened_at DESC, id DESC'
  return {
    async saveIncident(incident) {
      checkIncident(incident)
      await exec.write('save incident', async () => {
        await db.run(
          `INSERT INTO ${table} (id, service, state, opened_at, resolved_at, data) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET service = excluded.service, state = excluded.state,
             opened_at = excluded.opened_at, resolved_at = excluded.resolved_at, data = excluded.data`,
          [
            incident.id,
            incident.service,
            incident.state,
            incident.openedAt,
            incident.resolvedAt ?? null,
            JSON.stringify(incident),
          ],
        )
      })
    },
    getIncident: (id) =>
      exec.read('get incident', async () => {
        const r = await db.get(`SELECT data FROM ${table} WHERE id = ?`, [id])
        return r === undefined ? undefined : parseJson<Incident>(r.data)
      }),
    incidents: (q) =>
      exec.read('incidents', async () => {
        const limit = limitOf(q)
        const before = incidentCursorOf(q)
        const state = incidentStateOf(q?.state)
        // One SQL text per set of filters used, so each shape is prepared once.
        const where: string[] = []
        const params: unknown[] = []
        if (q?.service !== undefined) {
          where.push('service = ?')
          params.push(q.service)
        }
        if (state !== undefined) {
          where.push('state = ?')
          params.push(state)
        }
        if (before !== undefined) {
          where.push('(opened_at < ? OR (opened_at = ? AND id < ?))')
          params.push(before.openedAt, before.openedAt, before.id)
        }
        params.push(limit)
        const rows = await db.all(
          `SELECT data FROM ${table} ${where.length ? `WHERE ${where.join(' AND ')} ` : ''}${order} LIMIT ?`,
          params,
        )
        return rows.map((r) => parseJson<Incident>(r.data))
      }),
  }
}
