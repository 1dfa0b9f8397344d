import {
  checkSamples,
  queryRange,
  queryRecent,
  type RollupRow,
  type SampleReader,
  SeriesCache,
  type SeriesMiss,
  selectSeries,
} from '../samples.ts'
import type { SampleInput, SampleStore } from '../store.ts'
import {
  all,
  type Dialect,
  type Exec,
  insert,
  num,
  parseJson,
  type Row,
  type SqlDb,
  type TxBody,
} from './dialect.ts'

/** A rollup row from its columns in the order bucket, count, sum, min, max, increase, last. */
const rollupOf = (r: readonly unknown[]): RollupRow => ({
  bucket: num(r[0]),
  count: num(r[1]),
  sum: num(r[2]),
  min: num(r[3]),
  max: num(r[4]),
  increase: num(r[5]),
  last: num(r[6]),
})

/** The samples table: series stored once, values by (series, time), and the reader range queries and maintenance use. */
export function createSamples(d: Dialect, db: SqlDb, exec: Exec) {
  const series = d.table('series')
  const samplesTable = d.table('samples')
  const rollups = { '1m': d.table('rollups_1m'), '1h': d.table('rollups_1h') }
  const watermarks = d.table('watermarks')
  // SQLite answers numbers; PostgreSQL may answer bigint as text.
  const pairs = d.exactNumbers
    ? (rows: unknown[][]) => rows as Array<[number, number]>
    : (rows: unknown[][]) => rows.map((r) => [num(r[0]), num(r[1])] as [number, number])
  const fold = {
    avg: 'sum(value) / count(*) AS v',
    min: 'min(value) AS v',
    max: 'max(value) AS v',
    count: 'count(*) AS v',
    last: d.last('value', 'ts', 'v'),
  }
  const step = `(ts / ${d.intParam}) * ${d.intParam}`
  const rollupStep = `(bucket / ${d.intParam}) * ${d.intParam}`
  const rollupCols = 'bucket, count, sum, min, max, increase, last'

  const reader: SampleReader = {
    findSeries: async (name) =>
      (name === undefined
        ? await db.all(`SELECT id, name, labels FROM ${series} ORDER BY id`)
        : await db.all(`SELECT id, name, labels FROM ${series} WHERE name = ? ORDER BY id`, [name])
      ).map((r) => ({ id: num(r.id), name: r.name as string, labels: parseJson(r.labels) })),
    rawPoints: async (sid, from, to) =>
      pairs(
        await db.values(
          `SELECT ts, value FROM ${samplesTable} WHERE series_id = ? AND ts >= ? AND ts < ? ORDER BY ts`,
          [sid, from, to],
        ),
      ),
    lastRawBefore: async (sid, before) =>
      pairs(
        await db.values(
          `SELECT ts, value FROM ${samplesTable} WHERE series_id = ? AND ts < ? ORDER BY ts DESC LIMIT 1`,
          [sid, before],
        ),
      )[0],
    latestRaw: async (sid, n) =>
      pairs(
        await db.values(
          `SELECT ts, value FROM ${samplesTable} WHERE series_id = ? ORDER BY ts DESC LIMIT ?`,
          [sid, n],
        ),
      ),
    rollups: async (res, sid, from, to) =>
      (
        await db.values(
          `SELECT ${rollupCols} FROM ${rollups[res]} WHERE series_id = ? AND bucket >= ? AND bucket < ? ORDER BY bucket`,
          [sid, from, to],
        )
      ).map(rollupOf),
    watermark: async (res) => {
      const r = await db.get(`SELECT ts FROM ${watermarks} WHERE resolution = ?`, [res])
      return r === undefined ? undefined : num(r.ts)
    },
    rawPerStep: async (sid, from, to, stepMs, aggregation) =>
      (
        await db.values(
          `SELECT ${step} AS b, ${fold[aggregation]} FROM ${samplesTable}
           WHERE series_id = ? AND ts >= ? AND ts < ? GROUP BY b ORDER BY b`,
          [stepMs, stepMs, sid, from, to],
        )
      ).map((r) => [num(r[0]), num(r[1])] as [number, number]),
    rollupsPerStep: async (res, sid, from, to, stepMs) =>
      (
        await db.values(
          `SELECT ${rollupStep} AS b, sum(count) AS count, sum(sum) AS sum, min(min) AS min, max(max) AS max,
             sum(increase) AS increase, ${d.last('last', 'bucket', 'last')}
           FROM ${rollups[res]} WHERE series_id = ? AND bucket >= ? AND bucket < ? GROUP BY b ORDER BY b`,
          [stepMs, stepMs, sid, from, to],
        )
      ).map(rollupOf),
  }

  // Never asked to create: appends look series up with peek() and create the missing ones in their transaction.
  const cache = new SeriesCache(() => {
    throw new Error('unreachable')
  })

  /**
   * The batch's rows in key order (series, time), so each B-tree page is touched once per
   * batch; of several rows with one series and time, the last in the batch, as a second
   * write would. `ids[j]` is batch[j]'s series.
   */
  function rowsInKeyOrder(batch: readonly SampleInput[], ids: Float64Array) {
    const n = batch.length
    const order = new Uint32Array(n)
    for (let j = 0; j < n; j++) order[j] = j
    order.sort(
      (a, b) =>
        (ids[a] as number) - (ids[b] as number) ||
        (batch[a] as SampleInput).at - (batch[b] as SampleInput).at ||
        a - b,
    )
    const sid: number[] = new Array(n)
    const ts: number[] = new Array(n)
    const value: number[] = new Array(n)
    let m = 0
    for (let i = 0; i < n; i++) {
      const k = order[i] as number
      const s = batch[k] as SampleInput
      if (i + 1 < n) {
        const next = order[i + 1] as number
        if (ids[next] === ids[k] && (batch[next] as SampleInput).at === s.at) continue
      }
      sid[m] = ids[k] as number
      ts[m] = s.at
      value[m++] = s.value
    }
    sid.length = m
    ts.length = m
    value.length = m
    return [sid, ts, value]
  }

  /** One batch in one transaction: new series first (their ids read back), then the rows. */
  function* appendBody(
    batch: readonly SampleInput[],
    ids: Float64Array,
    misses: Map<string, { misses: SeriesMiss[]; rows: number[] }> | undefined,
  ): TxBody<Map<string, number> | undefined> {
    let created: Map<string, number> | undefined
    if (misses !== undefined) {
      const keys = [...misses.keys()]
      const first = keys.map((k) => misses.get(k)?.misses[0] as SeriesMiss)
      yield insert({
        table: series,
        columns: [
          ['name', 'text'],
          ['labels', 'text'],
          ['key', 'text'],
        ],
        data: [first.map((m) => m.name), first.map((m) => JSON.stringify(m.labels)), keys],
        conflict: 'ON CONFLICT (key) DO NOTHING',
      })
      const rows: Row[] = yield all(
        `SELECT id, key FROM ${series} WHERE ${d.anyOf('key')}`,
        d.listParam(keys),
      )
      created = new Map(rows.map((r) => [r.key as string, num(r.id)]))
      for (const [key, m] of misses) for (const j of m.rows) ids[j] = created.get(key) as number
    }
    yield insert({
      table: samplesTable,
      columns: [
        ['series_id', 'integer'],
        ['ts', 'bigint'],
        ['value', 'float8'],
      ],
      data: rowsInKeyOrder(batch, ids),
      conflict: 'ON CONFLICT (series_id, ts) DO UPDATE SET value = excluded.value',
    })
    return created
  }

  const store: SampleStore = {
    async append(batch) {
      checkSamples(batch)
      const n = batch.length
      if (n === 0) return
      // Series looked up before writing: a bad label is refused now, not when a buffered write is retried.
      const ids = new Float64Array(n)
      let misses: Map<string, { misses: SeriesMiss[]; rows: number[] }> | undefined
      for (let j = 0; j < n; j++) {
        const s = batch[j] as SampleInput
        const found = cache.peek(s.name, s.labels, `samples[${j}].labels`)
        if (typeof found === 'number') ids[j] = found
        else {
          misses ??= new Map()
          const m = misses.get(found.key)
          if (m === undefined) misses.set(found.key, { misses: [found], rows: [j] })
          else {
            if (!m.misses.some((x) => x.text === found.text)) m.misses.push(found)
            m.rows.push(j)
          }
        }
      }
      await exec.submit('append samples', n, async () => {
        const created = await db.tx(() => appendBody(batch, ids, misses))
        // Remembered once committed: a transaction rolled back leaves no series behind.
        if (created !== undefined && misses !== undefined)
          for (const [key, m] of misses)
            for (const miss of m.misses) cache.remember(miss, created.get(key) as number)
      })
    },
    range: (q) => exec.read('range query', () => queryRange(reader, q)),
    recent: (n, selector) => exec.read('recent samples', () => queryRecent(reader, n, selector)),
    series: (selector) => exec.read('series', () => selectSeries(reader, selector?.name, selector?.labels)),
  }
  return { samples: store, reader }
}
