import type { MaintenanceDriver } from '../../maintenance.ts'
import type { RollupRow, SampleReader } from '../../samples.ts'
import type { RetentionKind } from '../../store.ts'
import type { Db } from './query.ts'

/** What maintenance reads and deletes on one connection: rollup windows and expired rows per kind. */
export function bindMaintenance(
  db: Db,
  reader: SampleReader,
  valueBefore: (seriesId: number, t: number) => number | undefined,
): MaintenanceDriver {
  const mt = {
    earliest: db.prepare('SELECT min(ts) FROM samples').pluck(),
    window: db
      .prepare(
        'SELECT p.series_id, p.ts, p.value FROM series s CROSS JOIN samples p ON p.series_id = s.id AND p.ts >= ? AND p.ts < ? ORDER BY p.series_id, p.ts',
      )
      .raw(),
    minute: db
      .prepare(
        `SELECT r.series_id, r.bucket, r.count, r.sum, r.min, r.max, r.last, r.increase FROM series s CROSS JOIN rollups_1m r ON r.series_id = s.id AND r.bucket >= ? AND r.bucket < ? ORDER BY r.series_id, r.bucket`,
      )
      .raw(),
    upsert: {
      '1m': db.prepare('INSERT OR REPLACE INTO rollups_1m VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      '1h': db.prepare('INSERT OR REPLACE INTO rollups_1h VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
    },
    setWatermark: db.prepare('INSERT OR REPLACE INTO watermarks (resolution, ts) VALUES (?, ?)'),
    seriesIds: db.prepare('SELECT id FROM series ORDER BY id').pluck(),
  }
  const writeRollupsTx = db.transaction(
    (res: '1m' | '1h', rows: Array<{ seriesId: number; row: RollupRow }>, watermark: number) => {
      for (const { seriesId, row: r } of rows)
        mt.upsert[res].run(seriesId, r.bucket, r.count, r.sum, r.min, r.max, r.last, r.increase)
      mt.setWatermark.run(res, watermark)
    },
  )
  /** Deletes at most `limit` rows older than `cutoff` from a (series_id, time) keyed table, series by series. */
  function deleteSeriesRows(
    table: 'samples' | 'rollups_1m' | 'rollups_1h',
    col: 'ts' | 'bucket',
    cutoff: number,
    limit: number,
  ) {
    const bound = db
      .prepare(
        `SELECT ${col} FROM ${table} WHERE series_id = ? AND ${col} < ? ORDER BY ${col} LIMIT 1 OFFSET ?`,
      )
      .pluck()
    const del = db.prepare(`DELETE FROM ${table} WHERE series_id = ? AND ${col} < ?`)
    let n = 0
    for (const sid of mt.seriesIds.all() as number[]) {
      if (n >= limit) break
      const upto = (bound.get(sid, cutoff, limit - n) as number | undefined) ?? cutoff
      n += del.run(sid, upto).changes
    }
    return n
  }
  const deleteChunk = (table: string, key: string, where: string, cutoff: number, limit: number) =>
    db
      .prepare(`DELETE FROM ${table} WHERE ${key} IN (SELECT ${key} FROM ${table} WHERE ${where} LIMIT ?)`)
      .run(cutoff, limit).changes
  const deleters: Record<RetentionKind, (cutoff: number, limit: number) => number> = {
    samples: (c, l) => deleteSeriesRows('samples', 'ts', c, l),
    rollups1m: (c, l) => deleteSeriesRows('rollups_1m', 'bucket', c, l),
    rollups1h: (c, l) => deleteSeriesRows('rollups_1h', 'bucket', c, l),
    snapshots: (c, l) => deleteChunk('snapshots', 'seq', 'ts < ?', c, l),
    checks: (c, l) => {
      const a = deleteChunk('check_results', 'seq', 'at < ?', c, l)
      return a + deleteChunk('state_changes', 'seq', 'at < ?', c, l - a)
    },
    deliveries: (c, l) => deleteChunk('deliveries', 'seq', "status <> 'pending' AND created_at < ?", c, l),
    alerts: (c, l) => {
      const n = deleteChunk(
        'alerts',
        'fingerprint',
        "state IN ('resolved', 'inactive') AND updated_at < ?",
        c,
        l,
      )
      if (n > 0)
        db.prepare(
          'DELETE FROM alert_history WHERE fingerprint NOT IN (SELECT fingerprint FROM alerts)',
        ).run()
      return n
    },
    healings: (c, l) =>
      deleteChunk(
        'healings',
        'id',
        "outcome NOT IN ('running', 'awaiting-approval') AND started_at < ?",
        c,
        l,
      ),
    approvals: (c, l) => deleteChunk('approvals', 'id', "status <> 'pending' AND requested_at < ?", c, l),
    silences: (c, l) => deleteChunk('silences', 'id', 'ends_at < ?', c, l),
    drills: (c, l) => deleteChunk('drills', 'id', 'started_at < ?', c, l),
  }
  return {
    watermark: reader.watermark,
    earliestRaw: async () => (mt.earliest.get() as number | null) ?? undefined,
    async rawWindow(from, to) {
      const out: Array<{ seriesId: number; prev?: number; points: Array<[number, number]> }> = []
      let cur: (typeof out)[number] | undefined
      for (const [sid, ts, value] of mt.window.all(from, to) as Array<[number, number, number]>) {
        if (cur?.seriesId !== sid) {
          cur = { seriesId: sid, points: [] }
          const prev = valueBefore(sid, from)
          if (prev !== undefined) cur.prev = prev
          out.push(cur)
        }
        cur.points.push([ts, value])
      }
      return out
    },
    async minuteWindow(from, to) {
      const out: Array<{ seriesId: number; rows: RollupRow[] }> = []
      let cur: (typeof out)[number] | undefined
      for (const [sid, bucket, count, sum, min, max, last, increase] of mt.minute.all(
        from,
        to,
      ) as number[][]) {
        if (cur?.seriesId !== sid) {
          cur = { seriesId: sid as number, rows: [] }
          out.push(cur)
        }
        cur?.rows.push({ bucket, count, sum, min, max, last, increase } as RollupRow)
      }
      return out
    },
    writeRollups: async (res, rows, watermark) => writeRollupsTx.immediate(res, rows, watermark),
    deleteExpired: async (kind, cutoff, limit) => deleters[kind](cutoff, limit),
  }
}
