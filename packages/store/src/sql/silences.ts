import type { Silence, SilenceStore } from '@noa/core'
import { activeAtOf, checkSilence } from '../records.ts'
import { type Dialect, type Exec, parseJson, type SqlDb } from './dialect.ts'
import { listQuery } from './list.ts'

/** Silences (@noa/core `SilenceStore`): upserted by id; the active list is those not ended at a time. */
export function createSilences(d: Dialect, db: SqlDb, exec: Exec): SilenceStore {
  const silences = d.table('silences')
  return {
    async saveSilence(silence) {
      checkSilence(silence)
      await exec.write('save silence', async () => {
        await db.run(
          `INSERT INTO ${silences} (id, starts_at, ends_at, data) VALUES (?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET starts_at = excluded.starts_at, ends_at = excluded.ends_at, data = excluded.data`,
          [silence.id, silence.startsAt, silence.endsAt, JSON.stringify(silence)],
        )
      })
    },
    silences: (q) =>
      exec.read('silences', async () => {
        const [sql, params] = listQuery(
          silences,
          'data',
          { activeAt: activeAtOf(q), limit: q?.limit },
          { activeAt: 'ends_at > ?' },
          // Ids tie-break byte-wise on every backend, whatever the database's locale.
          `starts_at DESC, id${d.bytewise}`,
        )
        return (await db.all(sql, params)).map((r) => parseJson<Silence>(r.data))
      }),
  }
}
