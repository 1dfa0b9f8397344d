import { checkBeat, MAX_BEAT_MESSAGE } from '../records.ts'
import type { BeatStore, StoredBeat } from '../store.ts'
import { type Dialect, type Exec, num, type SqlDb } from './dialect.ts'

/** Push beats (see {@link BeatStore}): one row per key, replaced only by a later beat. */
export function createBeats(d: Dialect, db: SqlDb, exec: Exec): BeatStore {
  const beats = d.table('push_beats')
  return {
    async saveBeat(key, beat) {
      checkBeat(key, beat)
      await exec.write('save beat', async () => {
        await db.run(
          `INSERT INTO ${beats} AS b (token_hash, at, status, message) VALUES (?, ?, ?, ?)
           ON CONFLICT (token_hash) DO UPDATE SET at = excluded.at, status = excluded.status, message = excluded.message
           WHERE b.at <= excluded.at`,
          [key, beat.at, beat.status, beat.message?.slice(0, MAX_BEAT_MESSAGE) ?? null],
        )
      })
    },
    lastBeat: (key) =>
      exec.read('last beat', async () => {
        const r = await db.get(`SELECT at, status, message FROM ${beats} WHERE token_hash = ?`, [key])
        if (!r) return undefined
        const beat: StoredBeat = { at: num(r.at), status: r.status as StoredBeat['status'] }
        if (typeof r.message === 'string') beat.message = r.message
        return beat
      }),
  }
}
