import type { HealingAudit, HealingRecord } from '@noa/core'
import { StoreError } from '../errors.ts'
import { type Dialect, type Exec, parseJson, type SqlDb } from './dialect.ts'
import { listQuery } from './list.ts'

/** The healing audit (@noa/core `HealingAudit`): one row per healing, upserted as it goes on. */
export function createHealings(d: Dialect, db: SqlDb, exec: Exec): HealingAudit {
  const healings = d.table('healings')
  return {
    async saveHealing(r: HealingRecord) {
      if (typeof r?.id !== 'string' || r.id === '')
        throw new StoreError('saveHealing: record.id must be a non-empty string')
      await exec.write('save healing', async () => {
        await db.run(
          `INSERT INTO ${healings} (id, service, started_at, outcome, data) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET service = excluded.service, started_at = excluded.started_at, outcome = excluded.outcome, data = excluded.data`,
          [r.id, r.service, r.startedAt, r.outcome, JSON.stringify(r)],
        )
      })
    },
    healings: (q) =>
      exec.read('healings', async () => {
        const [sql, params] = listQuery(
          healings,
          'data',
          q as Record<string, unknown>,
          {
            service: 'service = ?',
            outcome: 'outcome = ?',
            since: 'started_at >= ?',
            until: 'started_at < ?',
          },
          'started_at DESC',
        )
        return (await db.all(sql, params)).map((row) => parseJson<HealingRecord>(row.data))
      }),
  }
}
