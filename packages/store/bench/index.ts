// Benchmarks of @noa/store: run with `pnpm --filter @noa/store bench`.
// PostgreSQL figures need NOA_TEST_POSTGRES_URL (a schema is created and dropped).
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import { Bench } from 'tinybench'
import { createMemoryStore, type SampleInput, type Store } from '../src/index.ts'
import { createPostgresStore } from '../src/postgres.ts'
import { createSqliteStore } from '../src/sqlite.ts'

const BATCH = 1000
const SERIES = 100
const DAY = 86_400_000
const T0 = Date.parse('2026-10-01T00:00:00.000Z')
const pgUrl = process.env.NOA_TEST_POSTGRES_URL
const dir = mkdtempSync(join(tmpdir(), 'noa-store-bench-'))

function batchAt(k: number): SampleInput[] {
  const out: SampleInput[] = new Array(BATCH)
  for (let i = 0; i < BATCH; i++)
    out[i] = {
      name: 'bench_value',
      labels: { host: `h${i % SERIES}` },
      value: Math.random() * 100,
      at: T0 + (k * (BATCH / SERIES) + Math.floor(i / SERIES)) * 10_000,
    }
  return out
}

const mean = (bench: Bench, name: string): number => {
  const r = bench.getTask(name)?.result
  if (r?.state !== 'completed') throw new Error(`${name} did not complete`)
  return r.latency.mean
}
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

/** Ingest: batches of 1,000 samples over 100 series. */
async function ingest(label: string, store: Store): Promise<number> {
  let k = 0
  const bench = new Bench({ time: 3000, warmup: true, warmupIterations: 5 })
  bench.add(label, async () => {
    await store.samples.append(batchAt(k++))
  })
  await bench.run()
  return (BATCH / mean(bench, label)) * 1000
}

/** The peer for sqlite ingest: plain better-sqlite3, one INSERT per sample, one transaction per batch. */
function naiveSqliteIngest(): number {
  const db = new Database(join(dir, 'naive.db'))
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.exec(
    'CREATE TABLE samples (series TEXT NOT NULL, ts INTEGER NOT NULL, value REAL NOT NULL, PRIMARY KEY (series, ts)) WITHOUT ROWID',
  )
  const insert = db.prepare('INSERT OR REPLACE INTO samples VALUES (?, ?, ?)')
  const write = db.transaction((batch: SampleInput[]) => {
    for (const s of batch) insert.run(`${s.name}${JSON.stringify(s.labels)}`, s.at, s.value)
  })
  let k = 0
  const started = performance.now()
  let n = 0
  while (performance.now() - started < 3000) {
    write(batchAt(k++))
    n += BATCH
  }
  const rate = (n / (performance.now() - started)) * 1000
  db.close()
  return rate
}

/** One series of 10 s samples over `days`, appended in batches, then rolled up. */
async function fillSeries(store: Store, name: string, days: number): Promise<void> {
  const total = (days * DAY) / 10_000
  for (let i = 0; i < total; i += BATCH) {
    const batch: SampleInput[] = []
    for (let j = i; j < Math.min(total, i + BATCH); j++)
      batch.push({
        name,
        labels: { service: 'api' },
        value: 50 + Math.sin(j / 100) * 40,
        at: T0 + j * 10_000,
      })
    await store.samples.append(batch)
  }
  while (!(await store.maintain(T0 + days * DAY + 120_000)).complete) {}
}

async function queries(label: string, store: Store) {
  const bench = new Bench({ time: 2000 })
  const end = T0 + 30 * DAY
  bench
    .add(`${label} 24 h, 60 s steps, raw (8,640 points)`, async () => {
      const [s] = await store.samples.range({
        name: 'q',
        start: end - DAY,
        end,
        step: 60_000,
        resolution: 'raw',
      })
      if (s?.points.length !== 1440) throw new Error(`expected 1440 steps, got ${s?.points.length}`)
    })
    .add(`${label} 24 h, 60 s steps, auto (1 m rollups)`, async () => {
      await store.samples.range({ name: 'q', start: end - DAY, end, step: 60_000 })
    })
    .add(`${label} 30 d, 1 h steps, auto (1 h rollups)`, async () => {
      const [s] = await store.samples.range({ name: 'q', start: T0, end, step: 3_600_000 })
      if (s?.points.length !== 720) throw new Error(`expected 720 steps, got ${s?.points.length}`)
    })
    .add(`${label} 30 d, 10 min steps, auto (1 m rollups)`, async () => {
      await store.samples.range({ name: 'q', start: T0, end, step: 600_000 })
    })
  await bench.run()
  return bench.tasks.map((t) => ({
    task: t.name,
    'mean ms': mean(bench, t.name).toFixed(2),
    'p99 ms': (t.result as { latency: { p99: number } }).latency.p99.toFixed(2),
  }))
}

async function main() {
  console.log(`@noa/store bench: Node ${process.version}, ${new Date().toISOString()}`)
  // ---- ingest ----
  const sqlitePath = join(dir, 'ingest.db')
  const sqlite = await createSqliteStore({ path: sqlitePath })
  const sqliteRate = await ingest('sqlite ingest', sqlite)
  const stored = (await sqlite.samples.series()).length
  await sqlite.close()
  const ingested = new Database(sqlitePath, { readonly: true })
  const count = ingested.prepare('SELECT count(*) FROM samples').pluck().get() as number
  ingested.close()
  const bytesPerSample = statSync(sqlitePath).size / count
  const naiveRate = naiveSqliteIngest()
  const memory = createMemoryStore({ maxPointsPerSeries: 10_000_000 })
  const memoryRate = await ingest('memory ingest', memory)
  await memory.close()

  const rows: Array<Record<string, string>> = [
    { store: 'sqlite (@noa/store)', 'samples/s': fmt(sqliteRate), 'vs sqlite': '1.00' },
    {
      store: 'better-sqlite3, one INSERT per sample (peer)',
      'samples/s': fmt(naiveRate),
      'vs sqlite': (naiveRate / sqliteRate).toFixed(2),
    },
    { store: 'memory', 'samples/s': fmt(memoryRate), 'vs sqlite': (memoryRate / sqliteRate).toFixed(2) },
  ]
  let pgBytes: number | undefined
  let pgStore: Store | undefined
  const schema = `noa_bench_${process.pid}`
  const admin = pgUrl ? new pg.Pool({ connectionString: pgUrl, max: 1 }) : undefined
  try {
    if (pgUrl && admin) {
      pgStore = await createPostgresStore({ connectionString: pgUrl, schema })
      const pgRate = await ingest('postgres ingest', pgStore)
      rows.push({
        store: 'postgres',
        'samples/s': fmt(pgRate),
        'vs sqlite': (pgRate / sqliteRate).toFixed(2),
      })
      const { rows: size } = await admin.query(
        `SELECT pg_total_relation_size('"${schema}".samples')::float8 / greatest(1, (SELECT count(*) FROM "${schema}".samples)) AS b`,
      )
      pgBytes = size[0]?.b as number
    } else console.warn('PostgreSQL figures skipped: set NOA_TEST_POSTGRES_URL')
    console.log(`\nIngest, batches of ${BATCH} samples over ${SERIES} series (${stored} series stored once):`)
    console.table(rows)
    console.log(
      `Bytes on disk per sample: sqlite ${bytesPerSample.toFixed(1)} (${fmt(count)} samples)${pgBytes ? `, postgres ${pgBytes.toFixed(1)} (table + indexes)` : ''}`,
    )

    // ---- range queries ----
    const qPath = join(dir, 'query.db')
    const q = await createSqliteStore({ path: qPath })
    await fillSeries(q, 'q', 30)
    const results = await queries('sqlite', q)
    await q.close()
    if (pgStore) {
      await fillSeries(pgStore, 'q', 30)
      results.push(...(await queries('postgres', pgStore)))
    }
    const memQ = createMemoryStore({ maxPointsPerSeries: 1_000_000 })
    await fillSeries(memQ, 'q', 30)
    results.push(...(await queries('memory', memQ)))
    console.log('\nRange queries over one series of 30 days at 10 s (259,200 samples), rolled up:')
    console.table(results)
  } finally {
    await pgStore?.close()
    if (admin) {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
      await admin.end()
    }
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
