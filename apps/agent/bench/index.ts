/**
 * Whole-agent figures: footprint with 50 services, /api/status latency at 1,000 requests/s,
 * and fan-out of one event to 1,000 SSE clients; then the soak with a hostile service
 * (bench/soak.ts). Runs the built CLI (bin/noa.mjs) as a real process against real HTTP
 * services in this process.
 *
 *   pnpm --filter @noa/agent bench            (BENCH_WINDOW_MS=300000 for the full 5 minutes;
 *                                              BENCH_SOAK_MS sets the soak, 0 skips it)
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, Agent as HttpAgent, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type AgentProcess, procStat, sleep, startAgent } from './agent-process.ts'
import { SOAK_MS, soak } from './soak.ts'

const WINDOW_MS = Number(process.env.BENCH_WINDOW_MS ?? 60_000)
const SERVICES = 50
const SSE_CLIENTS = 1000
const RATE = 1000
const LOAD_SECONDS = 10
// The load's first seconds open the client's 64 connections and reach code the agent has not
// run yet (tens of ms for the first requests): measured apart, as load testers' warm-up does.
const WARMUP_SECONDS = 2
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!
const fmt = (n: number, d = 2) => n.toFixed(d)

async function startServices(n: number): Promise<{ servers: Server[]; ports: number[] }> {
  const servers: Server[] = []
  const ports: number[] = []
  for (let i = 0; i < n; i++) {
    const s = createServer((req, res) => {
      if (req.url === '/metrics')
        res
          .writeHead(200)
          .end(`http_requests_total{status="200"} ${i * 10}\nbusiness_metric{name="activeUsers"} ${i}\n`)
      else res.writeHead(200).end('{"status":"healthy"}')
    })
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
    servers.push(s)
    ports.push((s.address() as AddressInfo).port)
  }
  return { servers, ports }
}

function sseClient(
  url: string,
  agent: HttpAgent,
  onStatus: (at: number, sentAt: number) => void,
): Promise<() => void> {
  return new Promise((resolveClient, reject) => {
    const req = request(url, { agent, headers: { accept: 'text/event-stream' } }, (res) => {
      let buffer = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        buffer += chunk
        let end = buffer.indexOf('\n\n')
        while (end >= 0) {
          const frame = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          if (frame.includes('event: status')) {
            const data = frame.slice(frame.indexOf('data: ') + 6)
            onStatus(performance.timeOrigin + performance.now(), Date.parse(JSON.parse(data).timestamp))
          }
          end = buffer.indexOf('\n\n')
        }
      })
      resolveClient(() => req.destroy())
    })
    req.on('error', reject)
    req.end()
  })
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'noa-bench-'))
  const { servers, ports } = await startServices(SERVICES)
  let agent: AgentProcess | undefined
  try {
    agent = await startAgent(dir, {
      healthChecks: { interval: 30_000, timeout: 5000, retries: 3 },
      metrics: { collectInterval: 10_000 },
      dashboard: { port: 0, refreshInterval: 5000 },
      alerting: { channels: { file: { path: './logs/alerts' } } },
      api: { sseMaxClients: SSE_CLIENTS + 100, sseRateLimit: { limit: SSE_CLIENTS * 2, windowMs: 60_000 } },
      services: ports.map((port, i) => ({
        name: `svc-${i}`,
        check: { type: 'http', url: `http://127.0.0.1:${port}/health` },
        metrics: `http://127.0.0.1:${port}/metrics`,
      })),
    })
    const { base, pid } = agent
    console.log(`noa agent bench — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}`)
    console.log(`agent PID ${pid}, ${SERVICES} services (30 s checks), metrics every 10 s, 1 SSE client`)

    // 1. Footprint over the window, with one dashboard client attached.
    const sseAgent = new HttpAgent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY })
    const closeOne = await sseClient(`${base}/api/sse`, sseAgent, () => undefined)
    await sleep(5000) // settle: first checks and the first metrics round
    const start = procStat(pid)
    const startAt = performance.now()
    let rssMax = start.rssBytes
    let rssSum = 0
    let anonSum = 0
    let samples = 0
    while (performance.now() - startAt < WINDOW_MS) {
      await sleep(1000)
      const s = procStat(pid)
      rssMax = Math.max(rssMax, s.rssBytes)
      rssSum += s.rssBytes
      anonSum += s.anonBytes
      samples++
    }
    const end = procStat(pid)
    const elapsed = (performance.now() - startAt) / 1000
    const cpuPercent = (100 * (end.cpuSeconds - start.cpuSeconds)) / elapsed
    const userPercent = (100 * (end.userSeconds - start.userSeconds)) / elapsed
    const rssAvgMb = rssSum / samples / 1024 / 1024
    console.log(
      `\nfootprint over ${fmt(elapsed, 0)} s (target: RSS < 80 MB, CPU < 1 % of one core; seed total 200-400 MB, 2-4 %)`,
    )
    console.log(
      `  RSS avg ${fmt(rssAvgMb, 1)} MB, max ${fmt(rssMax / 1024 / 1024, 1)} MB  (ratio to the 80 MB target ${fmt(rssAvgMb / 80)})`,
    )
    console.log(
      `  private (RssAnon) avg ${fmt(anonSum / samples / 1024 / 1024, 1)} MB; the rest is the node binary's shared pages`,
    )
    console.log(
      `  CPU ${fmt(cpuPercent, 3)} % of one core: ${fmt(userPercent, 3)} % user, ${fmt(cpuPercent - userPercent, 3)} % kernel  (ratio to the 1 % target ${fmt(cpuPercent / 1)})`,
    )
    closeOne()

    // 2. /api/status at a fixed 1,000 requests/s, after a warm-up at the same rate.
    const keepAlive = new HttpAgent({ keepAlive: true, maxSockets: 64 })
    const load = async (seconds: number) => {
      const latencies: number[] = []
      let failed = 0
      const one = () =>
        new Promise<void>((done) => {
          const t0 = performance.now()
          const req = request(`${base}/api/status`, { agent: keepAlive }, (res) => {
            res.resume()
            res.on('end', () => {
              if (res.statusCode === 200) latencies.push(performance.now() - t0)
              else failed++
              done()
            })
          })
          req.on('error', () => {
            failed++
            done()
          })
          req.end()
        })
      const pending: Promise<void>[] = []
      const loadStart = performance.now()
      for (let i = 0; i < RATE * seconds; i++) {
        const due = loadStart + (i * 1000) / RATE
        const wait = due - performance.now()
        if (wait > 1) await sleep(wait)
        pending.push(one())
      }
      await Promise.all(pending)
      const achieved = latencies.length / ((performance.now() - loadStart) / 1000)
      latencies.sort((a, b) => a - b)
      return { latencies, failed, achieved }
    }
    const warm = await load(WARMUP_SECONDS)
    const cpuBefore = procStat(pid).cpuSeconds
    const { latencies, failed, achieved } = await load(LOAD_SECONDS)
    // The agent's CPU per answer: what a busy machine does not inflate, unlike the latencies.
    const cpuPerRequest = ((procStat(pid).cpuSeconds - cpuBefore) * 1000) / Math.max(1, latencies.length)
    const p99 = percentile(latencies, 0.99)
    console.log(
      `\n/api/status at ${RATE} requests/s for ${LOAD_SECONDS} s after ${WARMUP_SECONDS} s of warm-up (target: p99 < 5 ms)`,
    )
    console.log(
      `  ${latencies.length} ok, ${failed} failed, ${fmt(achieved, 0)} req/s; p50 ${fmt(percentile(latencies, 0.5))} ms, p99 ${fmt(p99)} ms, max ${fmt(latencies.at(-1)!)} ms  (ratio to target ${fmt(p99 / 5)})`,
    )
    console.log(`  agent CPU ${fmt(cpuPerRequest, 3)} ms per answer (10 ms clock ticks over the run)`)
    console.log(
      `  warm-up: ${warm.latencies.length} ok, ${warm.failed} failed; p99 ${fmt(percentile(warm.latencies, 0.99))} ms, max ${fmt(warm.latencies.at(-1)!)} ms`,
    )
    keepAlive.destroy()

    // 3. One event to 1,000 SSE clients.
    const arrivals: number[] = []
    const closers: Array<() => void> = []
    let round = 0
    const received = new Map<number, number[]>()
    for (let i = 0; i < SSE_CLIENTS; i++)
      closers.push(
        await sseClient(`${base}/api/sse`, sseAgent, (at, sentAt) => {
          const list = received.get(sentAt) ?? []
          list.push(at - sentAt)
          received.set(sentAt, list)
          round++
        }),
      )
    // Wait for two status events after every client is attached (refresh is 5 s).
    const before = round
    while (round - before < SSE_CLIENTS * 2) await sleep(100)
    const complete = [...received.values()].filter((l) => l.length === SSE_CLIENTS)
    const last = complete.at(-1) ?? []
    arrivals.push(...last)
    arrivals.sort((a, b) => a - b)
    console.log(`\none event to ${SSE_CLIENTS} SSE clients (target: all within 100 ms)`)
    console.log(
      `  first ${fmt(arrivals[0] ?? Number.NaN)} ms, median ${fmt(percentile(arrivals, 0.5))} ms, last ${fmt(arrivals.at(-1) ?? Number.NaN)} ms after the event was made (ratio to target ${fmt((arrivals.at(-1) ?? 0) / 100)})`,
    )
    for (const close of closers) close()
    sseAgent.destroy()
  } finally {
    await agent?.stop()
    for (const s of servers) s.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

main()
  .then(() => (SOAK_MS > 0 ? soak(SOAK_MS) : undefined))
  .then(
    () => process.exit(0),
    (error) => {
      console.error(error)
      process.exit(1)
    },
  )
