/**
 * @noa/health benchmarks (not tests). Run: pnpm --filter @noa/health bench
 *
 * 1. Throughput: N local endpoints checked through the monitor (runOnce, retries 0) against a
 *    bare node:http keep-alive client and global fetch, all at the same concurrency, side by side.
 *    The HTTP server runs in a child process so that only the client side is measured here.
 * 2. Detection time: a supervised process exit (event), an HTTP service that is killed (refused)
 *    and one that hangs (SIGSTOP), in shortened real time.
 * 3. CPU cost of 50 services, measured at a shortened interval and extrapolated to the default 30 s.
 * 4. `pnpm bench paced` (not in the default run: about a minute per contender): CPU per check in
 *    continuous mode at the scale bench's rate, 10,000 services at a 30 s interval (333 checks/s),
 *    beside a bare node:http client sending the same requests in 100 ms ticks. Run it with the
 *    agent's V8 flags to see the agent's case (`node --semi-space-growth-factor=1 --heap-growing-percent=40 ...`, see apps/agent/bin/noa.mjs).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import http from 'node:http'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
// The built package, as users get it (`pnpm bench` runs after `pnpm build`).
import { childHandle, createHealthMonitor, type HealthChange, type HealthMonitor } from '@noa/health'

/**
 * BENCH_BASELINE=<a dist folder of another build> adds that build's monitor as a contender of
 * the throughput rounds: an A/B comparison of two versions in one process, under the same load.
 */
const BASELINE = process.env.BENCH_BASELINE
const baselineMonitor: typeof createHealthMonitor | undefined = BASELINE
  ? (await import(pathToFileURL(resolve(BASELINE, 'index.js')).href)).createHealthMonitor
  : undefined

const CONCURRENCY = 64
const SERVER = `
const http = require('node:http')
const server = http.createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('ok') })
server.keepAliveTimeout = 60000
server.listen(0, '127.0.0.1', () => process.send(server.address().port))
`

async function startServer(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const [port] = (await once(child, 'message')) as [number]
  return { child, port }
}

async function stopServer(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGKILL')
  await exited
}

async function pool(n: number, concurrency: number, task: (i: number) => Promise<void>) {
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) await task(next++)
    }),
  )
}

function bareHttp(port: number) {
  // The agent settings the monitor's http checker uses for what it sends through node:http (its
  // plain http: GETs go through its own client): keep-alive, 1,024 idle sockets, LIFO.
  const agent = new http.Agent({ keepAlive: true, maxFreeSockets: 1024, scheduling: 'lifo' })
  const one = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: `/svc/${i}`, agent }, (res) => {
        res.resume()
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(String(res.statusCode)))))
      })
      req.on('error', reject)
      req.end()
    })
  return { run: (n: number) => pool(n, CONCURRENCY, one), close: () => agent.destroy() }
}

function bareFetch(port: number) {
  const one = async (i: number) => {
    const res = await fetch(`http://127.0.0.1:${port}/svc/${i}`)
    await res.arrayBuffer()
    if (res.status !== 200) throw new Error(String(res.status))
  }
  return { run: (n: number) => pool(n, CONCURRENCY, one), close: () => {} }
}

function throughMonitor(port: number, n: number, create = createHealthMonitor) {
  const monitor = create({
    concurrency: CONCURRENCY,
    services: Array.from({ length: n }, (_, i) => ({
      name: `svc-${i}`,
      check: { type: 'http' as const, url: `http://127.0.0.1:${port}/svc/${i}` },
      retries: 0,
    })),
  })
  return {
    run: async (_n: number) => {
      const summary = await monitor.runOnce()
      if (summary.counts.healthy !== n)
        throw new Error(`expected ${n} healthy, got ${JSON.stringify(summary.counts)}`)
    },
    close: () => monitor.stop(),
  }
}

/** Checks per second of one round, and its process CPU per check in µs. */
async function timed(n: number, run: () => Promise<void>): Promise<{ rate: number; cpuUs: number }> {
  const cpu0 = process.cpuUsage()
  const start = performance.now()
  await run()
  const cpu = process.cpuUsage(cpu0)
  return { rate: (n * 1000) / (performance.now() - start), cpuUs: (cpu.user + cpu.system) / n }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

async function throughput() {
  console.log(
    `\n## Throughput: checks/s at concurrency ${CONCURRENCY}, rounds interleaved in rotating order (server in a child process)`,
  )
  const { child, port } = await startServer()
  try {
    for (const n of [1_000, 10_000]) {
      const rounds = n === 1_000 ? 60 : 10
      const contenders: Record<string, { run(n: number): Promise<void>; close(): unknown }> = {
        'bare node:http keep-alive': bareHttp(port),
        'bare global fetch': bareFetch(port),
        '@noa/health monitor': throughMonitor(port, n),
      }
      if (baselineMonitor) contenders['monitor (BENCH_BASELINE)'] = throughMonitor(port, n, baselineMonitor)
      const rates: Record<string, number[]> = {}
      const cpus: Record<string, number[]> = {}
      // Warm-up, at least 5,000 checks each: connections, JIT (the first 1,000 are not enough).
      for (const [name, c] of Object.entries(contenders)) {
        rates[name] = []
        cpus[name] = []
        for (let done = 0; done < Math.max(n, 5_000); done += n) await c.run(n)
      }
      // One round of each in turn, so that noise from other work on the machine hits all alike;
      // the order rotates, so no contender always pays for the garbage of the one before it.
      const entries = Object.entries(contenders)
      for (let r = 0; r < rounds; r++)
        for (let k = 0; k < entries.length; k++) {
          const [name, c] = entries[(r + k) % entries.length]!
          const { rate, cpuUs } = await timed(n, () => c.run(n))
          rates[name]!.push(rate)
          cpus[name]!.push(cpuUs)
        }
      for (const c of Object.values(contenders)) await c.close()
      if (process.env.BENCH_VERBOSE)
        for (const [name, xs] of Object.entries(rates)) console.log(`  ${name}: ${xs.map(fmt).join(' ')}`)
      const best = (name: string) => Math.max(...rates[name]!)
      const mid = (name: string) => median(rates[name]!)
      const fastestBest = Math.max(best('bare node:http keep-alive'), best('bare global fetch'))
      const fastestMid = Math.max(mid('bare node:http keep-alive'), mid('bare global fetch'))
      console.log(
        `${fmt(n)} endpoints, ${rounds} rounds each:            best      median   CPU per check (median)`,
      )
      for (const name of Object.keys(contenders))
        console.log(
          `  ${name.padEnd(28)} ${fmt(best(name)).padStart(7)}  ${fmt(mid(name)).padStart(7)} checks/s  ${median(cpus[name]!).toFixed(1).padStart(5)} µs`,
        )
      const m = '@noa/health monitor'
      // Load from other work changes from one rotation to the next: the ratio within each
      // rotation (the contenders ran back to back) is steadier than a ratio of medians.
      const fastest =
        mid('bare node:http keep-alive') >= mid('bare global fetch')
          ? 'bare node:http keep-alive'
          : 'bare global fetch'
      const paired = median(rates[m]!.map((rate, r) => rate / rates[fastest]![r]!))
      console.log(
        `  monitor / fastest bare client: ${((best(m) / fastestBest) * 100).toFixed(1)} % (best), ${((mid(m) / fastestMid) * 100).toFixed(1)} % (median), ${(paired * 100).toFixed(1)} % (median of the ratios within each rotation); target >= 95 %`,
      )
      // CPU per check is steadier than a rate when other work shares the cores.
      const cpuRatio = median(cpus[fastest]!.map((us, r) => us / cpus[m]![r]!))
      console.log(
        `  bare CPU per check / monitor CPU per check: ${(cpuRatio * 100).toFixed(1)} % (median of the ratios within each rotation)`,
      )
      if (baselineMonitor) {
        const b = 'monitor (BENCH_BASELINE)'
        const vsRate = median(rates[m]!.map((rate, r) => rate / rates[b]![r]!))
        const vsCpu = median(cpus[m]!.map((us, r) => us / cpus[b]![r]!))
        console.log(
          `  this build / BENCH_BASELINE: ${(vsRate * 100).toFixed(1)} % of the rate, ${(vsCpu * 100).toFixed(1)} % of the CPU per check (medians of the ratios within each rotation)`,
        )
      }
    }
  } finally {
    await stopServer(child)
  }
}

function waitChange(
  monitor: HealthMonitor,
  service: string,
  to: (s: string) => boolean,
): Promise<HealthChange> {
  return new Promise((resolve) => {
    const off = monitor.on('change', (c: HealthChange) => {
      if (c.service === service && to(c.to)) {
        off()
        resolve(c)
      }
    })
  })
}

async function detectProcessExit() {
  const times: number[] = []
  for (let i = 0; i < 7; i++) {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)'], { stdio: 'ignore' })
    await once(child, 'spawn')
    const monitor = createHealthMonitor({
      firstRunJitterMs: 0,
      services: [{ name: 'worker', check: { type: 'process', handle: childHandle(child) } }],
    })
    const up = waitChange(monitor, 'worker', (s) => s === 'healthy')
    monitor.start()
    await up
    const down = waitChange(monitor, 'worker', (s) => s !== 'healthy')
    const start = performance.now()
    child.kill('SIGKILL')
    await down
    times.push(performance.now() - start)
    await monitor.stop()
  }
  console.log(
    `supervised process exit (default 30 s interval): median ${median(times).toFixed(2)} ms, max ${Math.max(...times).toFixed(2)} ms from kill() to the change event (${times.length} runs)`,
  )
}

async function detectHttpDown(mode: 'killed' | 'hung') {
  const interval = 1_000
  const timeout = 300
  const retries = 1
  const backoff = { initialMs: 100, maxMs: 100, jitter: 0.2 }
  const bound = interval + timeout * (retries + 1) + backoff.maxMs
  const times: number[] = []
  for (let i = 0; i < 5; i++) {
    const { child, port } = await startServer()
    const monitor = createHealthMonitor({
      firstRunJitterMs: 0,
      services: [
        {
          name: 'api',
          check: { type: 'http', url: `http://127.0.0.1:${port}/health` },
          interval,
          timeout,
          retries,
          backoff,
        },
      ],
    })
    const up = waitChange(monitor, 'api', (s) => s === 'healthy')
    monitor.start()
    await up
    // Fail at a random point of the interval.
    await new Promise((r) => setTimeout(r, Math.random() * interval))
    const down = waitChange(monitor, 'api', (s) => s !== 'healthy')
    const start = performance.now()
    if (mode === 'killed') await stopServer(child)
    else child.kill('SIGSTOP')
    const change = await down
    times.push(performance.now() - start)
    await monitor.stop()
    if (mode === 'hung') child.kill('SIGCONT')
    await stopServer(child)
    if (i === 0)
      console.log(`  (${mode}: first result "${change.result.message}", ${change.result.attempts} attempts)`)
  }
  console.log(
    `HTTP service ${mode === 'killed' ? 'killed (connection refused)' : 'hung (SIGSTOP, timeouts)'}: median ${fmt(median(times))} ms, max ${fmt(Math.max(...times))} ms; bound interval + timeout x attempts + backoff = ${fmt(bound)} ms (interval ${interval} ms, timeout ${timeout} ms, ${retries} retry)`,
  )
}

async function cpuCost() {
  const services = 50
  const defaultInterval = 30_000
  const shortInterval = 300
  const windowMs = 15_000
  const { child, port } = await startServer()
  const monitor = createHealthMonitor({
    services: Array.from({ length: services }, (_, i) => ({
      name: `svc-${i}`,
      check: { type: 'http' as const, url: `http://127.0.0.1:${port}/svc/${i}` },
      interval: shortInterval,
      timeout: shortInterval,
    })),
  })
  let results = 0
  monitor.on('result', () => results++)
  monitor.start()
  await new Promise((r) => setTimeout(r, 2_000)) // warm-up
  results = 0
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  await new Promise((r) => setTimeout(r, windowMs))
  const cpu = process.cpuUsage(cpu0)
  const elapsed = performance.now() - t0
  await monitor.stop()
  await stopServer(child)
  const cpuMs = (cpu.user + cpu.system) / 1000
  const perCheckMs = cpuMs / results
  const checksPerSecDefault = services / (defaultInterval / 1000)
  const share = (perCheckMs * checksPerSecDefault) / 1000
  console.log(
    `50 services at ${shortInterval} ms for ${fmt(elapsed)} ms: ${fmt(results)} checks, ${fmt(cpuMs)} ms CPU = ${perCheckMs.toFixed(3)} ms CPU per check (whole process, incl. summaries and events)`,
  )
  console.log(
    `  extrapolated to the default 30 s interval (${checksPerSecDefault.toFixed(2)} checks/s): ${(share * 100).toFixed(3)} % of one core (target < 1 %)`,
  )
}

/** One contender of the paced section: started, then measured over a window after a warm-up. */
interface Paced {
  results(): number
  stop(): Promise<void> | void
}

function pacedBare(port: number, services: number, intervalMs: number): Paced {
  const agent = new http.Agent({ keepAlive: true, maxFreeSockets: 1024, scheduling: 'lifo' })
  const perTick = (services * 100) / intervalMs
  let next = 0
  let done = 0
  const onResponse = (res: http.IncomingMessage) => {
    res.resume()
    res.on('end', () => done++)
  }
  const timer = setInterval(() => {
    for (let k = 0; k < perTick; k++) {
      const req = http.request(
        { host: '127.0.0.1', port, path: `/svc/${next++ % services}`, agent },
        onResponse,
      )
      req.on('error', () => {})
      req.end()
    }
  }, 100)
  return {
    results: () => done,
    stop: () => {
      clearInterval(timer)
      agent.destroy()
    },
  }
}

function pacedMonitor(
  port: number,
  services: number,
  intervalMs: number,
  create: typeof createHealthMonitor,
): Paced {
  const monitor = create({
    services: Array.from({ length: services }, (_, i) => ({
      name: `svc-${i}`,
      check: { type: 'http' as const, url: `http://127.0.0.1:${port}/svc/${i}` },
      interval: intervalMs,
    })),
  })
  let done = 0
  monitor.on('result', () => done++)
  monitor.start()
  return { results: () => done, stop: () => monitor.stop() }
}

async function paced() {
  const services = 10_000
  const intervalMs = 30_000
  // The first checks of 10,000 services are spread over 90 % of the interval (firstRunRate).
  const warmupMs = 32_000
  const windowMs = 20_000
  const rounds = Number(process.env.BENCH_PACED_ROUNDS ?? 1)
  console.log(
    `\n## CPU per check in continuous mode: ${fmt(services)} services at ${intervalMs / 1000} s (${fmt((services * 1000) / intervalMs)} checks/s), ${windowMs / 1000} s windows after ${warmupMs / 1000} s, one contender at a time, ${rounds} round(s)`,
  )
  const { child, port } = await startServer()
  const contenders: Record<string, () => Paced> = {
    'bare node:http, 100 ms ticks': () => pacedBare(port, services, intervalMs),
    '@noa/health monitor': () => pacedMonitor(port, services, intervalMs, createHealthMonitor),
  }
  if (baselineMonitor)
    contenders['monitor (BENCH_BASELINE)'] = () => pacedMonitor(port, services, intervalMs, baselineMonitor)
  const perCheck: Record<string, number[]> = {}
  try {
    for (let r = 0; r < rounds; r++)
      for (const [name, start] of Object.entries(contenders)) {
        const contender = start()
        await new Promise((resolve) => setTimeout(resolve, warmupMs))
        const before = contender.results()
        const cpu0 = process.cpuUsage()
        const t0 = performance.now()
        await new Promise((resolve) => setTimeout(resolve, windowMs))
        const cpu = process.cpuUsage(cpu0)
        const elapsed = performance.now() - t0
        const checks = contender.results() - before
        await contender.stop()
        const cpuMs = (cpu.user + cpu.system) / 1000
        perCheck[name] = [...(perCheck[name] ?? []), cpuMs / checks]
        console.log(
          `  ${name.padEnd(30)} ${fmt((checks * 1000) / elapsed)} checks/s, ${((cpuMs / elapsed) * 100).toFixed(1)} % of a core, ${(cpuMs / checks).toFixed(3)} ms CPU per check`,
        )
      }
  } finally {
    await stopServer(child)
  }
  if (rounds > 1)
    for (const [name, xs] of Object.entries(perCheck))
      console.log(
        `  ${name}: ${xs.map((x) => x.toFixed(3)).join(' / ')} ms CPU per check (median ${median(xs).toFixed(3)}, the upper one of an even count)`,
      )
}

// noa's real timers are unref'd; keep the bench process alive while monitors wait on them.
const keepAlive = setInterval(() => {}, 1_000)
console.log(`@noa/health bench — Node ${process.version}, ${new Date().toISOString()}`)
const only = process.argv[2]
if (only === 'paced') {
  await paced()
  process.exit(0)
}
if (!only || only === 'throughput') await throughput()
if (only === 'throughput') process.exit(0)
console.log('\n## Detection time (real time, shortened intervals where said)')
await detectProcessExit()
await detectHttpDown('killed')
await detectHttpDown('hung')
console.log('\n## CPU cost')
await cpuCost()
clearInterval(keepAlive)
