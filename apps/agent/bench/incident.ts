/**
 * Incident bench: SIGKILL of a demo service until it answers 200 again, through the whole
 * agent (its incident router, supervisor and checks, on the demo fleet) and, in the same run,
 * through the local supervisor alone; p50/p95 and their ratio, and the healing records the
 * agent kept (exactly one per kill is the target).
 *
 *   pnpm --filter @noa/agent bench            (BENCH_KILLS=20 by default)
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { HealingRecord } from '@noa/core'
import { createLocalExecutor, localExecutorSchema } from '@noa/healing'

const KILLS = Number(process.env.BENCH_KILLS ?? 20)
const TOKEN = 'bench-token'
const root = resolve(import.meta.dirname, '..', '..', '..')
const demo = join(root, 'apps', 'demo', 'dist', 'service.js')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number
}

async function freePort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const port = (s.address() as { port: number }).port
  await new Promise((r) => s.close(r))
  return port
}

async function healthy(url: string, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(500) })
      await res.text()
      if (res.status === 200) return
    } catch {
      // still down
    }
    if (Date.now() > end) throw new Error(`${url} not healthy within ${timeoutMs} ms`)
    await sleep(2)
  }
}

/** Kills the process `pid()` names `KILLS` times, each time timing until `url` answers 200 again. */
async function measure(pid: () => Promise<number | undefined>, url: string): Promise<number[]> {
  const times: number[] = []
  await healthy(url)
  for (let i = 0; i < KILLS; i++) {
    await sleep(1500) // longer than stableAfterMs (1 s): every kill is a first crash
    const p = await pid()
    if (!p) throw new Error('no pid')
    const t0 = performance.now()
    process.kill(p, 'SIGKILL')
    await sleep(1)
    await healthy(url)
    times.push(performance.now() - t0)
  }
  return times
}

const demoCommand = (name: string, port: number, extra: string[] = []) => [
  process.execPath,
  demo,
  '--name',
  name,
  '--port',
  String(port),
  '--health',
  '/health',
  ...extra,
]

/** The local supervisor alone, on the same demo service. */
async function supervisorOnly(dir: string): Promise<number[]> {
  const port = await freePort()
  const sup = createLocalExecutor(
    localExecutorSchema.parse({
      type: 'local',
      command: demoCommand('bench-alone', port),
      stableAfterMs: 1000,
      logs: { dir: join(dir, 'alone') },
    }),
    { service: 'bench-alone' },
  )
  await sup.start()
  try {
    return await measure(async () => sup.pid, `http://127.0.0.1:${port}/health`)
  } finally {
    await sup.close()
  }
}

/** Pid of the process whose command line holds `marker` (the agent's supervised copy). */
function pidOf(marker: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').includes(marker)) return Number(entry)
    } catch {
      // gone meanwhile
    }
  }
  return undefined
}

/** The whole agent on the demo fleet, with the mcp-server killed. */
async function throughAgent(dir: string): Promise<{ times: number[]; records: HealingRecord[] }> {
  const ports = {
    'claude-flow': await freePort(),
    'mcp-server': await freePort(),
    'neural-processing': await freePort(),
    'ui-server': await freePort(),
  }
  const marker = `bench-mcp-${ports['mcp-server']}`
  const config = JSON.parse(readFileSync(join(root, 'config', 'monitoring-config.json'), 'utf8'))
  const deps: Record<string, string | undefined> = {
    'mcp-server': 'claude-flow',
    'ui-server': 'mcp-server',
  }
  config.services = Object.entries(ports).map(([name, port]) => {
    const dep = deps[name]
    return {
      name,
      critical: true,
      check: { type: 'http', url: `http://127.0.0.1:${port}/health` },
      ...(dep ? { dependsOn: [dep] } : {}),
      metrics: `http://127.0.0.1:${port}/metrics`,
      executor: {
        type: 'local',
        command: demoCommand(name === 'mcp-server' ? marker : name, port, [
          ...(dep ? ['--depends-on', `http://127.0.0.1:${ports[dep as keyof typeof ports]}/health`] : []),
        ]),
        stableAfterMs: 1000,
        shutdownTimeoutMs: 5000,
      },
    }
  })
  // The bench kills one service 20 times in a minute: a budget of 5 restarts an hour would
  // (rightly) hold it back after the fifth. The latency of each restart is what is measured.
  config.selfHealing = {
    ...config.selfHealing,
    maxRestarts: 10_000,
    strategies: { ...config.selfHealing.strategies, serviceRestart: { maxConsecutive: 10_000 } },
  }
  config.dashboard = { ...config.dashboard, port: 0 }
  config.metrics = { ...config.metrics, storage: { enabled: false } }
  config.alerting = { ...config.alerting, channels: { file: { enabled: true, path: './logs/alerts' } } }
  writeFileSync(join(dir, 'monitoring-config.json'), JSON.stringify(config))
  const bin = join(root, 'apps', 'agent', 'bin', 'noa.mjs')
  const child: ChildProcess = spawn(
    process.execPath,
    [bin, 'start', '--config', join(dir, 'monitoring-config.json')],
    { cwd: dir, stdio: 'ignore', env: { ...process.env, NOA_API_TOKEN: TOKEN } },
  )
  try {
    let info: { port: number } | undefined
    for (let i = 0; i < 600 && !info; i++) {
      await sleep(100)
      try {
        info = JSON.parse(readFileSync(join(dir, 'run', 'agent.json'), 'utf8'))
      } catch {
        // not written yet
      }
    }
    if (!info) throw new Error('the agent did not start')
    for (const port of Object.values(ports)) await healthy(`http://127.0.0.1:${port}/health`)
    const times = await measure(async () => pidOf(marker), `http://127.0.0.1:${ports['mcp-server']}/health`)
    await sleep(2000) // let the last healing record settle
    const res = await fetch(`http://127.0.0.1:${info.port}/api/healing?service=mcp-server&limit=1000`)
    const { healings } = (await res.json()) as { healings: HealingRecord[] }
    return { times, records: healings }
  } finally {
    child.kill('SIGTERM')
    await new Promise((r) => child.once('exit', r))
  }
}

const dir = mkdtempSync(join(tmpdir(), 'noa-incident-bench-'))
try {
  const alone = await supervisorOnly(dir)
  const agent = await throughAgent(dir)
  const row = (name: string, xs: number[]) =>
    console.log(
      `${name.padEnd(26)} p50 ${pct(xs, 50).toFixed(1).padStart(7)} ms   p95 ${pct(xs, 95).toFixed(1).padStart(7)} ms   (${xs.length} kills)`,
    )
  console.log('SIGKILL -> health 200 again, demo service')
  row('local supervisor alone', alone)
  row('whole agent, demo fleet', agent.times)
  console.log(
    `ratio agent/supervisor     p50 ${(pct(agent.times, 50) / pct(alone, 50)).toFixed(2)}x   p95 ${(pct(agent.times, 95) / pct(alone, 95)).toFixed(2)}x   (target: agent p50 <= 300 ms, p95 <= 600 ms)`,
  )
  const acted = agent.records.filter((r) => r.outcome !== 'skipped')
  const byKind = new Map<string, number>()
  for (const r of acted)
    byKind.set(`${r.strategy}:${r.outcome}`, (byKind.get(`${r.strategy}:${r.outcome}`) ?? 0) + 1)
  console.log(
    `healing records of mcp-server: ${acted.length} for ${KILLS} kills (${[...byKind].map(([k, n]) => `${n} ${k}`).join(', ')})${acted.length === KILLS ? '' : '  <- expected exactly one per kill'}`,
  )
} finally {
  rmSync(dir, { recursive: true, force: true })
}
