import type { MaintenanceDriver } from '../maintenance.ts'
import type { RollupRow, SampleReader } from '../samples.ts'
import type { RetentionKind } from '../store.ts'
import { type Dialect, type ExpireSpec, insert, num, run, type SqlDb } from './dialect.ts'

/**
 * What maintenance reads and deletes: rollup windows, and expired rows per kind in chunks.
 * Open items are kept: pending deliveries and approvals, firing and pending alerts, running healings,
 * open incidents.
 */
export function createMaintenance(d: Dialect, db: SqlDb, reader: SampleReader): MaintenanceDriver {
  const t = (name: string) => d.table(name)
  const samples = t('samples')
  const expiring = (table: string, key: string, time: string, where?: string): ExpireSpec => {
    const spec: ExpireSpec = { table: t(table), key, time }
    if (where !== undefined) spec.where = where
    return spec
  }
  const perSeries = (table: string, time: string): ExpireSpec => ({
    table: t(table),
    key: time,
    time,
    perSeries: true,
  })
  const expire = (spec: ExpireSpec, cutoff: number, limit: number) => d.expire(db, spec, cutoff, limit)
  const deleters: Record<RetentionKind, (cutoff: number, limit: number) => Promise<number>> = {
    samples: (c, l) => expire(perSeries('samples', 'ts'), c, l),
    rollups1m: (c, l) => expire(perSeries('rollups_1m', 'bucket'), c, l),
    rollups1h: (c, l) => expire(perSeries('rollups_1h', 'bucket'), c, l),
    snapshots: (c, l) => expire(expiring('snapshots', 'seq', 'ts'), c, l),
    checks: async (c, l) => {
      const a = await expire(expiring('check_results', 'seq', 'at'), c, l)
      const b = await expire(expiring('state_changes', 'seq', 'at'), c, l - a)
      return a + b + (await expire(expiring('push_beats', 'token_hash', 'at'), c, l - a - b))
    },
    deliveries: (c, l) => expire(expiring('deliveries', 'seq', 'created_at', "status <> 'pending'"), c, l),
    alerts: async (c, l) => {
      const n = await expire(
        expiring('alerts', 'fingerprint', 'updated_at', "state IN ('resolved', 'inactive')"),
        c,
        l,
      )
      if (n > 0)
        await db.run(
          `DELETE FROM ${t('alert_history')} WHERE NOT EXISTS (SELECT 1 FROM ${t('alerts')} a WHERE a.fingerprint = alert_history.fingerprint)`,
        )
      return n
    },
    healings: (c, l) =>
      expire(
        expiring('healings', 'id', 'started_at', "outcome NOT IN ('running', 'awaiting-approval')"),
        c,
        l,
      ),
    approvals: (c, l) => expire(expiring('approvals', 'id', 'requested_at', "status <> 'pending'"), c, l),
    silences: (c, l) => expire(expiring('silences', 'id', 'ends_at'), c, l),
    drills: (c, l) => expire(expiring('drills', 'id', 'started_at'), c, l),
    maintenanceWindows: (c, l) => expire(expiring('maintenance_windows', 'id', 'ends_at'), c, l),
    // Open and acknowledged incidents are kept whatever their age: only resolved ones expire.
    incidents: (c, l) => expire(expiring('incidents', 'id', 'resolved_at', "state = 'resolved'"), c, l),
  }

  return {
    watermark: reader.watermark,
    earliestRaw: async () => {
      const r = await db.get(`SELECT min(ts) AS t FROM ${samples}`)
      return r?.t === null || r?.t === undefined ? undefined : num(r.t)
    },
    async rawWindow(from, to) {
      const rows = await db.values(
        `SELECT p.series_id, p.ts, p.value FROM ${d.window(samples, 'p', 'ts')} ORDER BY p.series_id, p.ts`,
        [from, to],
      )
      // The value before the window, once per series in it, so a counter carries across windows.
      const before = await db.values(
        `SELECT w.series_id, (SELECT b.value FROM ${samples} b WHERE b.series_id = w.series_id AND b.ts < ? ORDER BY b.ts DESC LIMIT 1) AS prev
         FROM (SELECT DISTINCT p.series_id FROM ${d.window(samples, 'p', 'ts')}) w`,
        [from, from, to],
      )
      const prev = new Map(before.map((r) => [num(r[0]), r[1]]))
      const out: Array<{ seriesId: number; prev?: number; points: Array<[number, number]> }> = []
      let cur: (typeof out)[number] | undefined
      for (const r of rows) {
        const sid = num(r[0])
        if (cur?.seriesId !== sid) {
          cur = { seriesId: sid, points: [] }
          const p = prev.get(sid)
          if (p !== null && p !== undefined) cur.prev = num(p)
          out.push(cur)
        }
        cur.points.push([num(r[1]), num(r[2])])
      }
      return out
    },
    async minuteWindow(from, to) {
      const rows = await db.values(
        `SELECT r.series_id, r.bucket, r.count, r.sum, r.min, r.max, r.increase, r.last FROM ${d.window(t('rollups_1m'), 'r', 'bucket')} ORDER BY r.series_id, r.bucket`,
        [from, to],
      )
      const out: Array<{ seriesId: number; rows: RollupRow[] }> = []
      let cur: (typeof out)[number] | undefined
      for (const r of rows) {
        const sid = num(r[0])
        if (cur?.seriesId !== sid) {
          cur = { seriesId: sid, rows: [] }
          out.push(cur)
        }
        cur.rows.push({
          bucket: num(r[1]),
          count: num(r[2]),
          sum: num(r[3]),
          min: num(r[4]),
          max: num(r[5]),
          increase: num(r[6]),
          last: num(r[7]),
        })
      }
      return out
    },
    // Rows and watermark in one transaction: a run stopped half-way leaves nothing to redo wrongly.
    writeRollups: (res, rows, watermark) =>
      db.tx(function* () {
        if (rows.length > 0)
          yield insert({
            table: t(`rollups_${res}`),
            columns: [
              ['series_id', 'integer'],
              ['bucket', 'bigint'],
              ['count', 'bigint'],
              ['sum', 'float8'],
              ['min', 'float8'],
              ['max', 'float8'],
              ['last', 'float8'],
              ['increase', 'float8'],
            ],
            data: [
              rows.map((r) => r.seriesId),
              rows.map((r) => r.row.bucket),
              rows.map((r) => r.row.count),
              rows.map((r) => r.row.sum),
              rows.map((r) => r.row.min),
              rows.map((r) => r.row.max),
              rows.map((r) => r.row.last),
              rows.map((r) => r.row.increase),
            ],
            conflict: `ON CONFLICT (series_id, bucket) DO UPDATE SET count = excluded.count, sum = excluded.sum, min = excluded.min,
              max = excluded.max, last = excluded.last, increase = excluded.increase`,
          })
        yield run(
          `INSERT INTO ${t('watermarks')} (resolution, ts) VALUES (?, ?) ON CONFLICT (resolution) DO UPDATE SET ts = excluded.ts`,
          res,
          watermark,
        )
      }),
    deleteExpired: (kind, cutoff, limit) => deleters[kind](cutoff, limit).then(num),
  }
}
