/**
 * Scale bench: one agent with 10,000 HTTP services at a 30 s interval (SQLite store) against
 * a local server process, measured from outside. Prints each figure beside its target with
 * PASS/FAIL and its ratio to the figures measured before the fix ("today", 2026-12-06).
 *
 *   pnpm bench:scale                                   (10,000 services, then 1,000, then a restart)
 *   pnpm bench:scale --services 2000 --seconds 10 --warmup 20
 *   pnpm bench:scale --scrape-every 2                  (/api/status measured while /metrics is read every 2 s)
 *   pnpm bench:scale --cpu-prof /tmp/prof                (the agent's V8 CPU profile, written as it stops)
 *   pnpm bench:scale --agents 3                        (3 agents sharing the checks on PostgreSQL;
 *                                                       NOA_TEST_POSTGRES_URL, default local `test`)
 *
 * Run `pnpm build` first: the agent is the built CLI (bin/noa.mjs), as users run it.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { Agent as HttpAgent, request } from 'node:http'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { type AgentProcess, procStat, sleep, startAgent } from './agent-process.ts'
import { type Counts, histogramQuantile, readCounts } from './scale-metrics.ts'
import { startFleetServer } from './scale-server.ts'

const { values: args } = parseArgs({
  options: {
    services: { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '40' },
    agents: { type: 'string', default: '1' },
    small: { type: 'string', default: '1000' },
    'no-small': { type: 'boolean', default: false },
    'no-restart': { type: 'boolean', default: false },
    'scrape-every': { type: 'string', default: '0' },
    'cpu-prof': { type: 'string' },
  },
})
const SERVICES = Number(args.services)
const SECONDS = Number(args.seconds)
const WARMUP = Number(args.warmup)
const AGENTS = Number(args.agents)
const INTERVAL_MS = 30_000
/** Seconds between reads of the agent's /metrics while /api/status is measured (0: none), as a Prometheus would scrape. */
const SCRAPE_EVERY = Number(args['scrape-every'])
/** Node flags for the measured agent: a CPU profile into a folder, to find where its time goes. */
const AGENT_NODE_ARGS = args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${args['cpu-prof']}`] : []

/** The agent's own SQLite driver (its types are the store's dev dependency): only what is read here. */
interface ReadDb {
  prepare(sql: string): { pluck(): { get(...params: unknown[]): unknown } }
  close(): void
}
const Database = createRequire(import.meta.url)('better-sqlite3') as new (
  path: string,
  options: { readonly: boolean; fileMustExist: boolean },
) => ReadDb
const MB = 1024 * 1024

/** Measured on 2026-12-06 before the fix (2 cores, Node 20.20), for the ratios. */
const TODAY = {
  checksPerSecond: { 2000: 66, 5000: 0, 10000: 6 } as Record<number, number>,
  rssMb: { 2000: 98, 5000: 225, 10000: 289 } as Record<number, number>,
  cpuPercent: { 10000: 108 } as Record<number, number>,
  cpuMsPerCheck: 0.42,
}

const fmt = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '-')
const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!

interface Row {
  figure: string
  value: string
  target: string
  pass?: boolean
  today?: string
}
const rows: Row[] = []
const row = (r: Row) => {
  rows.push(r)
  const verdict = r.pass === undefined ? '' : r.pass ? 'PASS' : 'FAIL'
  console.log(`  ${r.figure}: ${r.value} (target ${r.target}) ${verdict}${r.today ? `; ${r.today}` : ''}`)
}

function config(port: number, services: number, extra: Record<string, unknown> = {}) {
  return {
    healthChecks: { interval: INTERVAL_MS, timeout: 5000, retries: 3 },
    dashboard: { port: 0 },
    alerting: { channels: { file: { path: './logs/alerts' } } },
    services: Array.from({ length: services }, (_, i) => ({
      name: `svc-${i}`,
      check: { type: 'http', url: `http://127.0.0.1:${port}/health/${i}` },
    })),
    ...extra,
  }
}

function get(url: string, agent?: HttpAgent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, agent ? { agent } : {}, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }))
    })
    req.on('error', reject)
    req.end()
  })
}

/** Time to the last byte: the body is counted, not kept (parsing 1.4 MB here is no time of the agent's). */
function getBytes(url: string, agent: HttpAgent): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      let bytes = 0
      res.on('data', (c: Buffer) => {
        bytes += c.length
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }))
    })
    req.on('error', reject)
    req.end()
  })
}

const counts = async (agent: AgentProcess) => readCounts((await get(`${agent.base}/metrics`)).body)

/** CPU, RSS and the agent's own counters over `seconds`, the /metrics reads outside the CPU window. */
async function measure(agent: AgentProcess, seconds: number) {
  const before = await counts(agent)
  const start = procStat(agent.pid)
  const t0 = performance.now()
  let rssMax = 0
  let rssSum = 0
  let samples = 0
  while (performance.now() - t0 < seconds * 1000) {
    await sleep(1000)
    const s = procStat(agent.pid)
    rssMax = Math.max(rssMax, s.rssBytes)
    rssSum += s.rssBytes
    samples++
  }
  const end = procStat(agent.pid)
  const elapsed = (performance.now() - t0) / 1000
  const after = await counts(agent)
  const checks = after.checks - before.checks
  const cpu = end.cpuSeconds - start.cpuSeconds
  return {
    before,
    after,
    elapsed,
    checks,
    checksPerSecond: checks / elapsed,
    cpuPercent: (100 * cpu) / elapsed,
    cpuMsPerCheck: checks > 0 ? (1000 * cpu) / checks : Number.NaN,
    rssAvgMb: rssSum / samples / MB,
    rssMaxMb: rssMax / MB,
  }
}

/** Lateness quantiles from the histogram's growth over the window. */
function lateness(before: Counts, after: Counts) {
  const delta = after.lateness.map((b, i) => ({
    le: b.le,
    count: b.count - (before.lateness[i]?.count ?? 0),
  }))
  return { p50: histogramQuantile(0.5, delta), p99: histogramQuantile(0.99, delta) }
}

/**
 * `/api/status` at a light load: 20 requests a second, two at a time, for `seconds`, after
 * `warmupSeconds` at the same rate measured apart (the route's first answers run code not yet
 * compiled and open the connections, as the 50-service bench also reports apart); with
 * `--scrape-every S`, the agent's /metrics is read every S seconds meanwhile.
 */
async function statusLatency(base: string, seconds: number, warmupSeconds = 3) {
  // One pair of connections for both windows: the warm-up opens them, the measured window reuses them.
  const keepAlive = new HttpAgent({ keepAlive: true, maxSockets: 2 })
  try {
    const warmup = await statusWindow(base, warmupSeconds, keepAlive)
    const measured = await statusWindow(base, seconds, keepAlive)
    return { ...measured, warmup }
  } finally {
    keepAlive.destroy()
  }
}

async function statusWindow(base: string, seconds: number, keepAlive: HttpAgent) {
  const latencies: number[] = []
  /** Each answer's time and when in the window it was asked, to tell what the slowest waited for. */
  const timed: Array<{ ms: number; at: number }> = []
  let failed = 0
  let bytes = 0
  let scrapes = 0
  const t0 = performance.now()
  const scraper =
    SCRAPE_EVERY > 0
      ? setInterval(() => {
          scrapes++
          get(`${base}/metrics`).catch(() => undefined)
        }, SCRAPE_EVERY * 1000)
      : undefined
  for (let i = 0; i < seconds * 10; i++) {
    const due = t0 + i * 100
    const wait = due - performance.now()
    if (wait > 1) await sleep(wait)
    await Promise.all(
      [0, 1].map(async () => {
        const start = performance.now()
        const res = await getBytes(`${base}/api/status`, keepAlive)
        if (res.status === 200) {
          latencies.push(performance.now() - start)
          timed.push({ ms: performance.now() - start, at: (start - t0) / 1000 })
          bytes = res.bytes
        } else failed++
      }),
    )
  }
  clearInterval(scraper)
  latencies.sort((a, b) => a - b)
  const slowest = timed
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 5)
    .map((t) => `${fmt(t.ms)} ms at ${fmt(t.at)} s`)
  return {
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    max: latencies.at(-1) ?? Number.NaN,
    failed,
    bytes,
    n: latencies.length,
    scrapes,
    slowest,
  }
}

/** Rows of check results the SQLite file holds since `since` (epoch ms), read beside the agent (WAL). */
function storedSince(dir: string, since: number): { rows: number; services: number } {
  const db = new Database(join(dir, 'data', 'noa.db'), { readonly: true, fileMustExist: true })
  try {
    const rows = db.prepare('SELECT count(*) FROM check_results WHERE at >= ?').pluck().get(since) as number
    const services = db
      .prepare('SELECT count(DISTINCT service) FROM check_results WHERE at >= ?')
      .pluck()
      .get(since) as number
    return { rows, services }
  } finally {
    db.close()
  }
}

async function oneAgent(port: number, services: number) {
  const dir = mkdtempSync(join(tmpdir(), 'noa-scale-'))
  let agent: AgentProcess | undefined
  try {
    console.log(`\n${services} services, one agent (SQLite), ${WARMUP} s warm-up, ${SECONDS} s measured`)
    agent = await startAgent(dir, config(port, services), AGENT_NODE_ARGS)
    await sleep(WARMUP * 1000)
    const windowStart = Date.now()
    const m = await measure(agent, SECONDS)
    const stored = storedSince(dir, windowStart)
    const due = (services * 1000) / INTERVAL_MS
    const late = lateness(m.before, m.after)
    const today = TODAY.checksPerSecond[services]
    row({
      figure: `checks/s (${services})`,
      value: fmt(m.checksPerSecond),
      target: `~${fmt(due, 0)} due`,
      pass: m.checksPerSecond >= due * 0.95,
      ...(today === undefined
        ? {}
        : { today: `today ${today}/s, ratio ${fmt(m.checksPerSecond / Math.max(today, 1), 1)}x` }),
    })
    const rssTarget = services >= 10_000 ? 250 : services <= 1000 ? 100 : Number.POSITIVE_INFINITY
    const rssToday = TODAY.rssMb[services]
    row({
      figure: `RSS (${services})`,
      value: `avg ${fmt(m.rssAvgMb)} MB, max ${fmt(m.rssMaxMb)} MB`,
      target: Number.isFinite(rssTarget) ? `<= ${rssTarget} MB` : 'none',
      ...(Number.isFinite(rssTarget) ? { pass: m.rssMaxMb <= rssTarget } : {}),
      ...(rssToday === undefined
        ? {}
        : { today: `today ${rssToday} MB, ratio ${fmt(m.rssMaxMb / rssToday, 2)}` }),
    })
    if (services < 10_000) return
    const cpuToday = TODAY.cpuPercent[services]
    row({
      figure: 'agent CPU (% of one core)',
      value: fmt(m.cpuPercent),
      target: '<= 25 %',
      pass: m.cpuPercent <= 25,
      ...(cpuToday === undefined
        ? {}
        : { today: `today ${cpuToday} %, ratio ${fmt(m.cpuPercent / cpuToday, 2)}` }),
    })
    row({
      figure: 'agent CPU per check',
      value: `${fmt(m.cpuMsPerCheck, 3)} ms`,
      target: `<= ${fmt(TODAY.cpuMsPerCheck / 2, 2)} ms (half of today)`,
      pass: m.cpuMsPerCheck <= TODAY.cpuMsPerCheck / 2,
      today: `today ${TODAY.cpuMsPerCheck} ms, ratio ${fmt(m.cpuMsPerCheck / TODAY.cpuMsPerCheck, 2)}`,
    })
    row({
      figure: 'check lateness',
      value: `p50 ${fmt(late.p50 * 1000)} ms, p99 ${fmt(late.p99 * 1000)} ms`,
      target: 'p99 < 1 s',
      pass: late.p99 < 1,
    })
    // Results and rows counted over the same window (each result is one row): a store that
    // falls behind shows fewer rows than results, and a growing gap.
    row({
      figure: 'store: rows written / results',
      value: `${stored.rows} / ${m.checks} (${fmt((100 * stored.rows) / Math.max(1, m.checks))} %)`,
      target: '>= 95 %, no backlog',
      pass: stored.rows >= m.checks * 0.95,
    })
    const status = await statusLatency(agent.base, SECONDS)
    row({
      figure: '/api/status at 20 req/s',
      value: `p50 ${fmt(status.p50)} ms, p99 ${fmt(status.p99)} ms, max ${fmt(status.max)} ms (${status.n} ok, ${status.failed} failed, ${fmt(status.bytes / 1024, 0)} KiB${SCRAPE_EVERY > 0 ? `, ${status.scrapes} /metrics reads meanwhile` : ''})`,
      target: 'p99 < 20 ms',
      pass: status.p99 < 20 && status.failed === 0,
    })
    console.log(`    slowest: ${status.slowest.join(', ')}`)
    console.log(
      `    the first 3 s before it (warm-up, apart): p50 ${fmt(status.warmup.p50)} ms, p99 ${fmt(status.warmup.p99)} ms, max ${fmt(status.warmup.max)} ms`,
    )
    if (args['no-restart']) return
    // A restart: the same file, the same services; how long until every one has a result again.
    await agent.stop()
    const restartedAt = Date.now()
    agent = await startAgent(dir, config(port, services), AGENT_NODE_ARGS)
    const upAt = Date.now()
    let all = Number.NaN
    for (let waited = 0; waited < INTERVAL_MS * 2; waited += 2000) {
      await sleep(2000)
      if (storedSince(dir, restartedAt).services >= services) {
        all = (Date.now() - upAt) / 1000
        break
      }
    }
    row({
      figure: 'after a restart, every service checked',
      value: `${fmt(all)} s after the agent was up (start took ${fmt((upAt - restartedAt) / 1000)} s)`,
      target: `<= ${INTERVAL_MS / 1000} s (one interval)`,
      pass: all <= INTERVAL_MS / 1000 + 2,
    })
  } finally {
    await agent?.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

async function sharedAgents(port: number, services: number, n: number) {
  const url = process.env.NOA_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
  const schema = `noa_scale_${process.pid}`
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  const dirs: string[] = []
  const agents: AgentProcess[] = []
  try {
    console.log(`\n${services} services, ${n} agents sharing the checks on PostgreSQL (schema ${schema})`)
    // A connection string is a secret to the config: it comes from the environment the agents inherit.
    process.env.NOA_SCALE_POSTGRES_URL = url
    const cfg = config(port, services, {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's ${NAME}, read from the environment
      store: { type: 'postgres', connectionString: '${NOA_SCALE_POSTGRES_URL}', schema },
      cluster: { shareChecks: true },
    })
    for (let i = 0; i < n; i++) {
      const dir = mkdtempSync(join(tmpdir(), 'noa-scale-'))
      dirs.push(dir)
      agents.push(await startAgent(dir, cfg))
    }
    await sleep(WARMUP * 1000)
    const measured = await Promise.all(agents.map((a) => measure(a, SECONDS)))
    let total = 0
    measured.forEach((m, i) => {
      total += m.checksPerSecond
      const late = lateness(m.before, m.after)
      row({
        figure: `agent ${i + 1}`,
        value: `${fmt(m.checksPerSecond)} checks/s, RSS max ${fmt(m.rssMaxMb)} MB, CPU ${fmt(m.cpuPercent)} %, lateness p99 ${fmt(late.p99 * 1000)} ms`,
        target: `~${fmt((services / INTERVAL_MS / n) * 1000, 0)}/s, <= 250 MB, <= 25 %`,
        pass: m.rssMaxMb <= 250 && m.cpuPercent <= 25,
      })
    })
    const due = (services * 1000) / INTERVAL_MS
    row({
      figure: `total checks/s (${n} agents)`,
      value: fmt(total),
      target: `~${fmt(due, 0)} (each service checked by one agent)`,
      pass: total >= due * 0.95 && total <= due * 1.05,
    })
  } finally {
    await Promise.all(agents.map((a) => a.stop()))
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined)
    await client.end()
  }
}

async function main() {
  const server = await startFleetServer()
  console.log(`noa scale bench — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}`)
  try {
    if (AGENTS > 1) await sharedAgents(server.port, SERVICES, AGENTS)
    else {
      await oneAgent(server.port, SERVICES)
      if (!args['no-small'] && Number(args.small) !== SERVICES)
        await oneAgent(server.port, Number(args.small))
    }
  } finally {
    await server.stop()
  }
  console.log('\n| figure | measured | target | verdict | before the fix |')
  console.log('| --- | --- | --- | --- | --- |')
  for (const r of rows)
    console.log(
      `| ${r.figure} | ${r.value} | ${r.target} | ${r.pass === undefined ? '' : r.pass ? 'PASS' : 'FAIL'} | ${r.today ?? ''} |`,
    )
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error)
    process.exit(1)
  },
)
