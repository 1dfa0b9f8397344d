import type { CheckResult, MetricSnapshot, StateChange } from '@noa/core'
import { StoreError } from '../../errors.ts'
import { checkResult, countOf, snapshotTime } from '../../records.ts'
import {
  checkSamples,
  queryRange,
  queryRecent,
  type RollupRow,
  type SampleReader,
  SeriesCache,
  selectSeries,
} from '../../samples.ts'
import type { CheckQuery, CheckStore, SampleInput, SampleStore, Series, SnapshotStore } from '../../store.ts'
import { type Db, type Exec, type Lists, parseJson, type Row } from './query.ts'

/** Rows per multi-row INSERT: fewer statements, well under SQLite's 32,766 parameters. */
const INSERT_ROWS = 200

/** Samples, snapshots and check results on one connection, with the reader maintenance rolls up from. */
export function bindTimeSeries(db: Db, exec: Exec, { listData }: Lists) {
  // ---- samples ----
  function perStep(expr: string) {
    return db
      .prepare(
        `SELECT (ts / CAST(? AS INTEGER)) * CAST(? AS INTEGER) AS b, ${expr} FROM samples WHERE series_id = ? AND ts >= ? AND ts < ? GROUP BY b ORDER BY b`,
      )
      .raw()
  }
  function rollupPerStep(table: string) {
    return db
      .prepare(
        `SELECT (bucket / CAST(? AS INTEGER)) * CAST(? AS INTEGER) AS b, sum(count), sum(sum), min(min), max(max), last, sum(increase), max(bucket)
         FROM ${table} WHERE series_id = ? AND bucket >= ? AND bucket < ? GROUP BY b ORDER BY b`,
      )
      .raw()
  }
  const st = {
    seriesInsert: db.prepare('INSERT OR IGNORE INTO series (name, labels, key) VALUES (?, ?, ?)'),
    seriesId: db.prepare('SELECT id FROM series WHERE key = ?').pluck(),
    seriesByName: db.prepare('SELECT id, name, labels FROM series WHERE name = ? ORDER BY id'),
    seriesAll: db.prepare('SELECT id, name, labels FROM series ORDER BY id'),
    sampleOne: db.prepare('INSERT OR REPLACE INTO samples (series_id, ts, value) VALUES (?, ?, ?)'),
    sampleMany: db.prepare(
      `INSERT OR REPLACE INTO samples (series_id, ts, value) VALUES ${Array(INSERT_ROWS).fill('(?, ?, ?)').join(', ')}`,
    ),
    raw: db
      .prepare('SELECT ts, value FROM samples WHERE series_id = ? AND ts >= ? AND ts < ? ORDER BY ts')
      .raw(),
    before: db
      .prepare('SELECT ts, value FROM samples WHERE series_id = ? AND ts < ? ORDER BY ts DESC LIMIT 1')
      .raw(),
    latest: db.prepare('SELECT ts, value FROM samples WHERE series_id = ? ORDER BY ts DESC LIMIT ?').raw(),
    rollup: {
      '1m': db.prepare(
        'SELECT bucket, count, sum, min, max, last, increase FROM rollups_1m WHERE series_id = ? AND bucket >= ? AND bucket < ? ORDER BY bucket',
      ),
      '1h': db.prepare(
        'SELECT bucket, count, sum, min, max, last, increase FROM rollups_1h WHERE series_id = ? AND bucket >= ? AND bucket < ? ORDER BY bucket',
      ),
    },
    watermark: db.prepare('SELECT ts FROM watermarks WHERE resolution = ?').pluck(),
    // SQLite fills a bare column from the row that max() picked: that is the step's last value.
    rawPerStep: {
      avg: perStep('sum(value) / count(*)'),
      min: perStep('min(value)'),
      max: perStep('max(value)'),
      last: perStep('value, max(ts)'),
    },
    rollupPerStep: {
      '1m': rollupPerStep('rollups_1m'),
      '1h': rollupPerStep('rollups_1h'),
    },
  }

  const seriesIds = new SeriesCache((name, labels, key) => {
    st.seriesInsert.run(name, JSON.stringify(labels), key)
    return st.seriesId.get(key) as number
  })

  const appendBatch = db.transaction((batch: readonly SampleInput[]) => {
    const n = batch.length
    const ids = new Float64Array(n)
    const order = new Uint32Array(n)
    for (let j = 0; j < n; j++) {
      const s = batch[j] as SampleInput
      ids[j] = seriesIds.id(s.name, s.labels, `samples[${j}].labels`)
      order[j] = j
    }
    // Rows in key order touch each B-tree page once per batch instead of once per row.
    order.sort(
      (a, b) =>
        (ids[a] as number) - (ids[b] as number) ||
        (batch[a] as SampleInput).at - (batch[b] as SampleInput).at ||
        a - b, // the same series and time twice in a batch: the later one is written last and wins
    )
    const params: number[] = new Array(INSERT_ROWS * 3)
    let i = 0
    for (; i + INSERT_ROWS <= n; i += INSERT_ROWS) {
      for (let j = 0; j < INSERT_ROWS; j++) {
        const k = order[i + j] as number
        params[j * 3] = ids[k] as number
        params[j * 3 + 1] = (batch[k] as SampleInput).at
        params[j * 3 + 2] = (batch[k] as SampleInput).value
      }
      st.sampleMany.run(params)
    }
    for (; i < n; i++) {
      const k = order[i] as number
      st.sampleOne.run(ids[k], (batch[k] as SampleInput).at, (batch[k] as SampleInput).value)
    }
  })

  const toSeries = (r: Row): Series => ({
    id: r.id as number,
    name: r.name as string,
    labels: parseJson(r.labels),
  })
  const reader: SampleReader = {
    findSeries: async (name) =>
      (name === undefined ? st.seriesAll.all() : st.seriesByName.all(name)).map((r) => toSeries(r as Row)),
    rawPoints: async (sid, from, to) => st.raw.all(sid, from, to) as Array<[number, number]>,
    lastRawBefore: async (sid, before) => st.before.get(sid, before) as [number, number] | undefined,
    latestRaw: async (sid, n) => st.latest.all(sid, n) as Array<[number, number]>,
    rollups: async (res, sid, from, to) => st.rollup[res].all(sid, from, to) as RollupRow[],
    watermark: async (res) => st.watermark.get(res) as number | undefined,
    rawPerStep: async (sid, from, to, step, aggregation) =>
      (st.rawPerStep[aggregation].all(step, step, sid, from, to) as number[][]).map(
        ([b, v]) => [b, v] as [number, number],
      ),
    rollupsPerStep: async (res, sid, from, to, step) =>
      (st.rollupPerStep[res].all(step, step, sid, from, to) as number[][]).map(
        ([bucket, count, sum, min, max, last, increase]) =>
          ({ bucket, count, sum, min, max, last, increase }) as RollupRow,
      ),
  }

  const samples: SampleStore = {
    async append(batch) {
      checkSamples(batch)
      await exec.write('append samples', () => {
        try {
          appendBatch(batch)
        } catch (error) {
          seriesIds.clear() // series created in the rolled-back transaction are gone
          throw error
        }
      })
    },
    range: (q) => exec.read('range query', () => queryRange(reader, q)),
    recent: (n, selector) => exec.read('recent samples', () => queryRecent(reader, n, selector)),
    series: (selector) => exec.read('series', () => selectSeries(reader, selector?.name, selector?.labels)),
  }

  // ---- snapshots and checks ----
  const snap = {
    insert: db.prepare('INSERT INTO snapshots (ts, data) VALUES (?, ?)'),
    recent: db
      .prepare(
        'SELECT data FROM (SELECT seq, ts, data FROM snapshots ORDER BY ts DESC, seq DESC LIMIT ?) ORDER BY ts, seq',
      )
      .pluck(),
    range: db.prepare('SELECT data FROM snapshots WHERE ts >= ? AND ts < ? ORDER BY ts, seq').pluck(),
  }
  const snapshots: SnapshotStore = {
    async append(snapshot) {
      const at = snapshotTime(snapshot?.timestamp)
      await exec.write('append snapshot', () => snap.insert.run(at, JSON.stringify(snapshot)))
    },
    recent: (n) =>
      exec.read('recent snapshots', () =>
        countOf(n) === 0 ? [] : (snap.recent.all(n) as string[]).map((d) => parseJson<MetricSnapshot>(d)),
      ),
    range: (start, end) =>
      exec.read('snapshot range', () =>
        (snap.range.all(start, end) as string[]).map((d) => parseJson<MetricSnapshot>(d)),
      ),
  }

  const listChecks = <T>(table: 'check_results' | 'state_changes', q: CheckQuery | undefined): T[] =>
    listData<T>(
      table,
      'data',
      q as Record<string, unknown>,
      { service: 'service = ?', since: 'at >= ?', until: 'at < ?' },
      'at DESC, seq DESC',
    )
  const chk = {
    insert: db.prepare('INSERT INTO check_results (service, at, data) VALUES (?, ?, ?)'),
    change: db.prepare('INSERT INTO state_changes (service, at, data) VALUES (?, ?, ?)'),
    // A loose index scan: one index seek per service instead of reading every result.
    latest: db
      .prepare(
        `WITH RECURSIVE s(service) AS (
           SELECT min(service) FROM check_results
           UNION ALL SELECT (SELECT min(service) FROM check_results WHERE service > s.service) FROM s WHERE s.service IS NOT NULL)
         SELECT (SELECT data FROM check_results WHERE service = s.service ORDER BY at DESC, seq DESC LIMIT 1)
         FROM s WHERE service IS NOT NULL ORDER BY service`,
      )
      .pluck(),
  }
  const checks: CheckStore = {
    async append(result) {
      checkResult(result)
      await exec.write('append check result', () =>
        chk.insert.run(result.service, result.at, JSON.stringify(result)),
      )
    },
    async appendChange(change) {
      checkResult(change?.result, 'change.result')
      if (!Number.isFinite(change.at))
        throw new StoreError(`change.at must be epoch ms, got ${String(change.at)}`)
      await exec.write('append state change', () =>
        chk.change.run(change.service, change.at, JSON.stringify(change)),
      )
    },
    results: (q) => exec.read('check results', () => listChecks<CheckResult>('check_results', q)),
    changes: (q) => exec.read('state changes', () => listChecks<StateChange>('state_changes', q)),
    latest: () =>
      exec.read('latest results', () => (chk.latest.all() as string[]).map((d) => parseJson<CheckResult>(d))),
  }

  /** Check results gathered by the store's batcher, in one transaction. */
  const insertChecks = connectionTransaction(db, (results: readonly CheckResult[]) => {
    for (const r of results) chk.insert.run(r.service, r.at, JSON.stringify(r))
  })
  return {
    samples,
    snapshots,
    checks,
    insertChecks,
    reader,
    /** The latest raw value of a series before `t`, so a counter carries across rollup windows. */
    valueBefore: (sid: number, t: number) => (st.before.get(sid, t) as [number, number] | undefined)?.[1],
  }
}

/** A function run in one SQLite transaction (better-sqlite3's `transaction`). */
function connectionTransaction<A>(db: Db, fn: (arg: A) => void): (arg: A) => void {
  const tx = db.transaction(fn)
  return (arg: A) => void tx(arg)
}
