import type { AlertLog, AlertRecord, AlertState } from '@noa/core'
import { StoreError } from '../errors.ts'
import { type Dialect, type Exec, get, num, parseJson, type Row, run, type SqlDb } from './dialect.ts'
import { listQuery } from './list.ts'

/**
 * The alert log (@noa/core `AlertLog`): one row per fingerprint holding the record as JSON,
 * and a history row each time its state changes.
 */
export function createAlerts(d: Dialect, db: SqlDb, exec: Exec): AlertLog {
  const alerts = d.table('alerts')
  const history = d.table('alert_history')
  return {
    async saveAlert(a: AlertRecord) {
      if (typeof a?.fingerprint !== 'string' || a.fingerprint === '')
        throw new StoreError('saveAlert: alert.fingerprint must be a non-empty string')
      await exec.write('save alert', () =>
        db.tx(function* () {
          const before: Row | undefined = yield get(
            `SELECT state FROM ${alerts} WHERE fingerprint = ?`,
            a.fingerprint,
          )
          yield run(
            `INSERT INTO ${alerts} (fingerprint, state, service, updated_at, data) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (fingerprint) DO UPDATE SET state = excluded.state, service = excluded.service, updated_at = excluded.updated_at, data = excluded.data`,
            a.fingerprint,
            a.state,
            a.labels?.service ?? null,
            a.updatedAt,
            JSON.stringify(a),
          )
          if (before?.state !== a.state)
            yield run(
              `INSERT INTO ${history} (fingerprint, state, at, value) VALUES (?, ?, ?, ?)`,
              a.fingerprint,
              a.state,
              a.updatedAt,
              a.value ?? null,
            )
        }, `noa-alert:${a.fingerprint}`),
      )
    },
    alerts: (q) =>
      exec.read('alerts', async () => {
        const [sql, params] = listQuery(
          alerts,
          'data',
          q as Record<string, unknown>,
          { state: 'state = ?', service: 'service = ?', since: 'updated_at >= ?', until: 'updated_at < ?' },
          'updated_at DESC',
        )
        return (await db.all(sql, params)).map((r) => parseJson<AlertRecord>(r.data))
      }),
    alertHistory: (fingerprint) =>
      exec.read('alert history', async () =>
        (
          await db.all(`SELECT state, at, value FROM ${history} WHERE fingerprint = ? ORDER BY seq`, [
            fingerprint,
          ])
        ).map((r) => {
          const e: { state: AlertState; at: number; value?: number } = {
            state: r.state as AlertState,
            at: num(r.at),
          }
          if (r.value !== null) e.value = num(r.value)
          return e
        }),
      ),
  }
}
