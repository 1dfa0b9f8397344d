/**
 * Soak with a hostile service (issue #15): the built agent as a real process scrapes 50 normal
 * services and one whose /metrics has 200,000 series (about 7 MB, under the 8 MiB cap, made on
 * the fly at every scrape: 1,000 business figures, label values of 4 KiB, then the series),
 * every 10 s for `BENCH_SOAK_MS` (default 10 minutes). Its resident set and the growth of its
 * store (SQLite file and JSONL archive) are sampled from outside; at the end the alerts tell
 * whether anything fired for the healthy services, and /api/metrics/recent?limit=1000 is timed.
 *
 *   pnpm --filter @noa/agent bench                       (after a build; the footprint bench, then this)
 *   BENCH_SOAK_MS=120000 npx tsx bench/soak.ts           (from apps/agent: a short run of the soak alone)
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { createServer, request, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { type AgentProcess, procStat, sleep, startAgent } from './agent-process.ts'

/** The soak's length, ms. */
export const SOAK_MS = Number(process.env.BENCH_SOAK_MS ?? 600_000)
const NORMAL = 50
const HOSTILE_SERIES = 200_000
const BUSINESS_FIGURES = 1000
const LONG_LABELS = 20
const ROUND_MS = 10_000
const SAMPLE_MS = 5000
const RSS_TARGET_MB = 150
const MB = 1024 * 1024
const fmt = (n: number, d = 1) => n.toFixed(d)

/** A normal service: 10 requests/s, no errors, 5-50 ms, one business figure. */
function normalBody(i: number, startedAt: number): string {
  const n = Math.floor((Date.now() - startedAt) / 100)
  const b = (share: number) => Math.floor(n * share)
  return [
    '# TYPE http_requests_total counter',
    `http_requests_total{method="GET",status="200"} ${n}`,
    '# TYPE http_request_duration_seconds histogram',
    `http_request_duration_seconds_bucket{le="0.01"} ${b(0.5)}`,
    `http_request_duration_seconds_bucket{le="0.025"} ${b(0.8)}`,
    `http_request_duration_seconds_bucket{le="0.05"} ${n}`,
    `http_request_duration_seconds_bucket{le="+Inf"} ${n}`,
    `http_request_duration_seconds_sum ${n * 0.015}`,
    `http_request_duration_seconds_count ${n}`,
    `business_metric{name="activeUsers"} ${i}`,
    '',
  ].join('\n')
}

/** The hostile service's /metrics, written as it is made and paced by the socket. */
function hostileBody(res: ServerResponse, startedAt: number): void {
  const n = Math.floor((Date.now() - startedAt) / 100)
  let head = `# TYPE http_requests_total counter\nhttp_requests_total{status="200"} ${n}\n`
  for (let i = 0; i < BUSINESS_FIGURES; i++) head += `business_metric{name="tenant${i}"} ${i}\n`
  for (let i = 0; i < LONG_LABELS; i++) head += `trace_spans{trace="${'t'.repeat(4096)}${i}"} 1\n`
  res.write(head)
  let i = 0
  const pump = () => {
    while (i < HOSTILE_SERIES) {
      let batch = ''
      for (const end = Math.min(HOSTILE_SERIES, i + 2000); i < end; i++)
        batch += `session_bytes{id="s${i}"} ${i}\n`
      if (!res.write(batch)) return void res.once('drain', pump)
    }
    res.end()
  }
  pump()
}

async function listen(handler: (res: ServerResponse) => void): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
      handler(res)
    } else res.writeHead(200).end('{"status":"healthy"}')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return server
}

const portOf = (s: Server) => (s.address() as AddressInfo).port

function get(url: string): Promise<{ status: number; bytes: number; body: string; ms: number }> {
  const t0 = performance.now()
  return new Promise((resolveGet, reject) => {
    request(url, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const body = Buffer.concat(chunks)
        resolveGet({
          status: res.statusCode ?? 0,
          bytes: body.length,
          body: body.toString('utf8'),
          ms: performance.now() - t0,
        })
      })
      res.on('error', reject)
    })
      .on('error', reject)
      .end()
  })
}

/** Bytes of the files under `path` (a file or a folder, recursively); 0 when absent. */
function sizeOf(path: string): number {
  try {
    const st = statSync(path)
    if (!st.isDirectory()) return st.size
    return readdirSync(path).reduce((sum, name) => sum + sizeOf(join(path, name)), 0)
  } catch {
    return 0
  }
}

/** The SQLite store: the database, and its write-ahead log (which grows to its checkpoint size, then is reused). */
const dbBytes = (dir: string) => sizeOf(join(dir, 'data', 'noa.db'))
const walBytes = (dir: string) =>
  sizeOf(join(dir, 'data', 'noa.db-wal')) + sizeOf(join(dir, 'data', 'noa.db-shm'))

interface Point {
  seconds: number
  rss: number
  anon: number
  peak: number
  db: number
  wal: number
  archive: number
}

/** Runs the soak for `durationMs` and prints its figures. */
export async function soak(durationMs: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'noa-soak-'))
  const startedAt = Date.now()
  const servers: Server[] = []
  let agent: AgentProcess | undefined
  try {
    for (let i = 0; i < NORMAL; i++) servers.push(await listen((res) => res.end(normalBody(i, startedAt))))
    const hostile = await listen((res) => hostileBody(res, startedAt))
    servers.push(hostile)
    const check = (s: Server) => ({ type: 'http', url: `http://127.0.0.1:${portOf(s)}/health` })
    const metricsOf = (s: Server) => `http://127.0.0.1:${portOf(s)}/metrics`
    agent = await startAgent(dir, {
      healthChecks: { interval: 30_000, timeout: 5000, retries: 3 },
      metrics: { collectInterval: ROUND_MS },
      dashboard: { port: 0, refreshInterval: 5000 },
      alerting: {
        channels: { file: { path: './logs/alerts' } },
      },
      services: [
        ...servers
          .slice(0, NORMAL)
          .map((s, i) => ({ name: `svc-${i}`, check: check(s), metrics: metricsOf(s) })),
        { name: 'hostile', check: check(hostile), metrics: metricsOf(hostile) },
      ],
    })
    const { pid, base } = agent
    console.log(`\nnoa agent soak — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}`)
    console.log(
      `agent PID ${pid}: ${NORMAL} normal services + 1 hostile (${HOSTILE_SERIES.toLocaleString('en')} series, ${BUSINESS_FIGURES} business figures, ${LONG_LABELS} label values of 4 KiB), metrics every ${ROUND_MS / 1000} s, for ${fmt(durationMs / 60_000)} min`,
    )
    const points: Point[] = []
    const t0 = performance.now()
    const sample = () => {
      const s = procStat(pid)
      points.push({
        seconds: (performance.now() - t0) / 1000,
        rss: s.rssBytes,
        anon: s.anonBytes,
        peak: s.peakRssBytes,
        db: dbBytes(dir),
        wal: walBytes(dir),
        archive: sizeOf(join(dir, 'data', 'metrics')),
      })
    }
    const cpu0 = procStat(pid).cpuSeconds
    console.log('\n  time    RSS MB   private MB   peak MB   SQLite MB   WAL MB   JSONL MB')
    let printed = -60
    for (sample(); performance.now() - t0 < durationMs; sample()) {
      const p = points.at(-1)!
      if (p.seconds - printed >= 60) {
        printed = p.seconds
        console.log(
          `  ${fmt(p.seconds / 60, 1).padStart(4)} m  ${fmt(p.rss / MB).padStart(7)}  ${fmt(p.anon / MB).padStart(11)}  ${fmt(p.peak / MB).padStart(8)}  ${fmt(p.db / MB, 2).padStart(10)}  ${fmt(p.wal / MB, 2).padStart(7)}  ${fmt(p.archive / MB, 2).padStart(9)}`,
        )
      }
      await sleep(SAMPLE_MS)
    }
    const elapsed = (performance.now() - t0) / 1000
    const cpuPercent = (100 * (procStat(pid).cpuSeconds - cpu0)) / elapsed
    const last = points.at(-1)!
    const rssAvg = points.reduce((sum, p) => sum + p.rss, 0) / points.length

    // What the agent counted, how it answers, and what it alerted on.
    const own = (await get(`${base}/metrics`)).body
    const rounds = Number(/^noa_metrics_rounds_total (\d+)/m.exec(own)?.[1] ?? 0)
    const dropped = [...own.matchAll(/^noa_scrape_dropped_series_total\{([^}]*)\} (\d+)/gm)].map(
      (m) => `${m[1]}} ${Number(m[2]).toLocaleString('en')}`,
    )
    const recent = await get(`${base}/api/metrics/recent?limit=1000`)
    const latest = JSON.parse((await get(`${base}/api/metrics`)).body) as {
      services?: Record<string, { business?: Record<string, number> }>
    }
    const alerts = (JSON.parse((await get(`${base}/api/alerts`)).body) as { alerts: AlertSeen[] }).alerts
    const healthy = new Set(Array.from({ length: NORMAL }, (_, i) => `svc-${i}`))
    const falseAlerts = alerts.filter((a) => healthy.has(a.labels.service ?? ''))
    const otherAlerts = alerts.filter((a) => !healthy.has(a.labels.service ?? ''))
    const alertDir = join(dir, 'logs', 'alerts')
    const notified = readdirSync(alertDir, { withFileTypes: true })
      .filter((f) => f.isFile())
      .flatMap((f) => readFileSync(join(alertDir, f.name), 'utf8').split('\n'))
      .filter((line) => line.includes('"scrape-limited"')).length

    // Store growth once it is steady: the first minute (schema, first rounds, the WAL filling) set apart.
    const steady = points.filter((p) => p.seconds >= 60)
    const first = steady[0] ?? points[0]!
    const grown = (p: Point) => p.db + p.wal + p.archive - (first.db + first.wal + first.archive)
    const perMinute = last.seconds > first.seconds ? (grown(last) / (last.seconds - first.seconds)) * 60 : 0
    const half = steady[Math.floor(steady.length / 2)] ?? first
    const firstHalf = half.seconds > first.seconds ? (grown(half) / (half.seconds - first.seconds)) * 60 : 0
    const secondHalf =
      last.seconds > half.seconds ? ((grown(last) - grown(half)) / (last.seconds - half.seconds)) * 60 : 0

    console.log(
      `\nsoak over ${fmt(elapsed / 60)} min, ${rounds} metrics rounds, agent CPU ${fmt(cpuPercent, 2)} % of one core`,
    )
    console.log(
      `  RSS: peak ${fmt(last.peak / MB)} MB (VmHWM), avg ${fmt(rssAvg / MB)} MB, end ${fmt(last.rss / MB)} MB (private ${fmt(last.anon / MB)} MB)  (target <= ${RSS_TARGET_MB} MB: ratio ${fmt(last.peak / MB / RSS_TARGET_MB, 2)})`,
    )
    const growth =
      steady.length < 12
        ? 'a run under 2 minutes is too short to judge the growth'
        : `after the first minute +${fmt(perMinute / 1024)} KB/min, ${fmt(perMinute / 1024 / (60_000 / ROUND_MS), 1)} KB per round (first half ${fmt(firstHalf / 1024)}, second half ${fmt(secondHalf / 1024)} KB/min; issue #15: 1.8 MB/s, ${fmt((1.8 * 1024 * 60) / (perMinute / 1024 || 1), 0)} times as much)`
    console.log(
      `  store at the end: SQLite ${fmt(last.db / MB, 2)} MB + WAL ${fmt(last.wal / MB, 2)} MB, JSONL ${fmt(last.archive / MB, 2)} MB; ${growth}`,
    )
    console.log(
      `  one snapshot as served: ${fmt(recent.bytes / Math.max(1, Math.min(rounds, 1000)) / 1024, 1)} KB (51 services; the hostile one's section bounded)`,
    )
    console.log(
      `  hostile service in the latest snapshot: ${Object.keys(latest.services?.hostile?.business ?? {}).length} business figures`,
    )
    console.log(
      `  GET /api/metrics/recent?limit=1000: ${recent.status}, ${fmt(recent.bytes / MB, 2)} MB in ${fmt(recent.ms, 0)} ms  (issue #15: 312 MB in 35 s)`,
    )
    for (const d of dropped) console.log(`  noa_scrape_dropped_series_total{${d}`)
    console.log(
      `  alerts for the ${NORMAL} healthy services: ${falseAlerts.length}${falseAlerts.length > 0 ? ` (${falseAlerts.map((a) => `${a.rule}/${a.labels.service}/${a.state}`).join(', ')})` : ''}  (target: 0)`,
    )
    console.log(
      `  other alerts: ${otherAlerts.map((a) => `${a.rule} ${a.state}${a.labels.service ? ` (${a.labels.service})` : ''}`).join(', ') || 'none'}; scrape-limited notifications written: ${notified}`,
    )
  } finally {
    await agent?.stop()
    for (const s of servers) {
      s.closeAllConnections()
      s.close()
    }
    rmSync(dir, { recursive: true, force: true })
  }
}

interface AlertSeen {
  rule: string
  state: string
  labels: Record<string, string>
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  soak(SOAK_MS).then(
    () => process.exit(0),
    (error) => {
      console.error(error)
      process.exit(1)
    },
  )
}
