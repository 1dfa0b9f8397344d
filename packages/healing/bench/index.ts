/**
 * Bench: time from SIGKILL of a small HTTP service until its health endpoint answers 200
 * again, under noa's local supervisor and under PM2 (a real daemon with its own PM2_HOME),
 * p50/p95 and the ratio; then a crash-on-start service for a minute under the guards.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Executor } from '../src/index.ts'
import {
  createHealingEngine,
  createPm2Executor,
  type LocalSupervisor,
  pm2ExecutorSchema,
} from '../src/index.ts'

const fixture = fileURLToPath(new URL('../src/testing/fixtures/service.mjs', import.meta.url))
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20)
const CRASH_MS = Number(process.env.BENCH_CRASH_MS ?? 60_000)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function freePort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const port = (s.address() as { port: number }).port
  await new Promise((r) => s.close(r))
  return port
}

async function waitHealthy(port: number, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(500) })
      await res.text()
      if (res.status === 200) return
    } catch {
      // still down
    }
    if (Date.now() > end) throw new Error(`port ${port} not healthy within ${timeoutMs} ms`)
    await sleep(2)
  }
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number
}

async function measure(
  name: string,
  pid: () => Promise<number | undefined>,
  port: number,
): Promise<number[]> {
  const times: number[] = []
  await waitHealthy(port)
  for (let i = 0; i < ROUNDS; i++) {
    await sleep(1200) // longer than stableAfterMs: each kill is a first crash, as in PM2's default
    const p = await pid()
    if (!p) throw new Error(`${name}: no pid`)
    const t0 = performance.now()
    process.kill(p, 'SIGKILL')
    await sleep(1)
    await waitHealthy(port)
    times.push(performance.now() - t0)
  }
  return times
}

async function local(dir: string): Promise<number[]> {
  const port = await freePort()
  const engine = createHealingEngine({
    config: {
      logsDir: join(dir, 'self-healing'),
      maxRestarts: 10_000,
      strategies: { serviceRestart: { maxConsecutive: 10_000 } },
    },
    services: {
      svc: {
        executor: {
          type: 'local',
          command: [process.execPath, fixture],
          env: { PORT: String(port) },
          stableAfterMs: 1000,
          logs: { dir },
        },
      },
    },
  })
  await engine.start()
  const sup = engine.executor('svc') as LocalSupervisor
  try {
    return await measure('local', async () => sup.pid, port)
  } finally {
    await engine.close()
  }
}

async function pm2(dir: string): Promise<number[]> {
  const port = await freePort()
  const home = join(dir, 'pm2-home')
  const ex: Executor = createPm2Executor(
    pm2ExecutorSchema.parse({
      type: 'pm2',
      name: 'bench-svc',
      script: fixture,
      pm2Home: home,
      env: { PORT: String(port) },
    }),
  )
  await ex.start?.()
  try {
    return await measure('pm2', async () => (await ex.status?.())?.pid, port)
  } finally {
    await ex.stop?.()
    await ex.close?.()
    const mod = (await import('pm2')) as unknown as {
      default: { custom: new (o: object) => Record<string, (...a: unknown[]) => void> }
    }
    const api = new mod.default.custom({ pm2_home: home, daemon_mode: true })
    await new Promise<void>((r) => api.connect!(() => r()))
    await new Promise<void>((r) => api.killDaemon!(() => r()))
    api.disconnect!()
  }
}

async function crashLoop(dir: string): Promise<{ exits: number; restarts: number; degraded: boolean }> {
  const engine = createHealingEngine({
    config: { logsDir: join(dir, 'crash-self-healing') },
    services: {
      crashy: {
        executor: {
          type: 'local',
          command: [process.execPath, fixture],
          env: { MODE: 'crash' },
          logs: { dir },
        },
        degrade: { type: 'env', name: 'READ_ONLY', value: '1' },
      },
    },
  })
  let exits = 0
  let restarts = 0
  engine.on('process-exit', () => exits++)
  engine.on('healing-finished', (r) => {
    if (r.strategy === 'process-restart' && r.outcome === 'succeeded') restarts++
  })
  await engine.start()
  await sleep(CRASH_MS)
  const degraded = engine.guardState('crashy').degraded
  await engine.close()
  return { exits, restarts, degraded }
}

const dir = await mkdtemp(join(tmpdir(), 'noa-healing-bench-'))
try {
  const l = await local(dir)
  const p = await pm2(dir)
  const row = (name: string, xs: number[]) =>
    console.log(
      `${name.padEnd(18)} p50 ${pct(xs, 50).toFixed(1).padStart(7)} ms   p95 ${pct(xs, 95).toFixed(1).padStart(7)} ms   (${xs.length} kills)`,
    )
  console.log('SIGKILL -> health 200 again')
  row('noa local', l)
  row('pm2', p)
  console.log(
    `ratio pm2/noa      p50 ${(pct(p, 50) / pct(l, 50)).toFixed(2)}x   p95 ${(pct(p, 95) / pct(l, 95)).toFixed(2)}x   (>1 means noa is faster)`,
  )
  const c = await crashLoop(dir)
  console.log(
    `crash-on-start for ${CRASH_MS / 1000} s: ${c.restarts} restarts by the supervisor (guards: max 5 per hour, 3 consecutive), ${c.exits} exits, degraded: ${c.degraded}`,
  )
} finally {
  await rm(dir, { recursive: true, force: true })
}
// the pm2 client library keeps handles open after disconnect; the bench is done
process.exit(0)
