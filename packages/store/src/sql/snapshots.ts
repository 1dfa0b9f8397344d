import type { MetricSnapshot } from '@noa/core'
import { countOf, snapshotTime } from '../records.ts'
import type { SnapshotStore } from '../store.ts'
import { type Dialect, type Exec, parseJson, type SqlDb } from './dialect.ts'

/** The seed's metric snapshots: one JSON row per collection round, `seq` keeping rounds of one time in order. */
export function createSnapshots(d: Dialect, db: SqlDb, exec: Exec): SnapshotStore {
  const snapshots = d.table('snapshots')
  return {
    async append(snapshot) {
      const at = snapshotTime(snapshot?.timestamp)
      const data = JSON.stringify(snapshot)
      await exec.submit('append snapshot', 1, async () => {
        await db.run(`INSERT INTO ${snapshots} (ts, data) VALUES (?, ?)`, [at, data])
      })
    },
    recent: (n) =>
      exec.read('recent snapshots', async () =>
        countOf(n) === 0
          ? []
          : (
              await db.all(
                `SELECT data FROM (SELECT seq, ts, data FROM ${snapshots} ORDER BY ts DESC, seq DESC LIMIT ?) r ORDER BY ts, seq`,
                [n],
              )
            ).map((r) => parseJson<MetricSnapshot>(r.data)),
      ),
    range: (start, end) =>
      exec.read('snapshot range', async () =>
        (
          await db.all(`SELECT data FROM ${snapshots} WHERE ts >= ? AND ts < ? ORDER BY ts, seq`, [
            start,
            end,
          ])
        ).map((r) => parseJson<MetricSnapshot>(r.data)),
      ),
  }
}
