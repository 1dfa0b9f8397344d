/**
 * Starts the real noa agent with a small demo fleet for the browser suite: its own
 * config in a temp folder, free ports, fast intervals, and a stop() that ends every
 * process it started, the demo services included.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join, resolve } from 'node:path'

export const REPO = resolve(import.meta.dirname, '../../..')
export const DASHBOARD_DIST = join(REPO, 'apps/dashboard/dist')
const AGENT_BIN = join(REPO, 'apps/agent/bin/noa.mjs')
const AGENT_CLI = join(REPO, 'apps/agent/dist/cli.js')
const DEMO = join(REPO, 'apps/demo/dist/service.js')

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer()
    s.once('error', fail)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => ok(port))
    })
  })
}

/** Newest modification time of the files under `dir`, ms. */
function newest(dir: string): number {
  let max = 0
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true }))
    if (entry.isFile()) max = Math.max(max, statSync(join(entry.parentPath, entry.name)).mtimeMs)
  return max
}

/** True when `built` is missing or older than a file of `src`. */
function stale(built: string, src: string): boolean {
  return !existsSync(built) || statSync(built).mtimeMs < newest(src)
}

/** Builds what the suite runs (the agent, the demo service, the dashboard) when a build is missing or older than its source. */
export function ensureBuilt(): void {
  // The apps run on their libraries' dist: build those too only when one is missing, so a
  // run does not rewrite the dist folders others may be using.
  const libs = readdirSync(join(REPO, 'packages')).every((p) => existsSync(join(REPO, 'packages', p, 'dist')))
  const withDeps = libs ? '' : '...'
  const missing: string[] = []
  if (stale(AGENT_CLI, join(REPO, 'apps/agent/src'))) missing.push(`@noa/agent${withDeps}`)
  if (stale(DEMO, join(REPO, 'apps/demo/src'))) missing.push(`@noa/demo${withDeps}`)
  if (!existsSync(join(DASHBOARD_DIST, 'index.html'))) missing.push('@noa/dashboard')
  if (missing.length === 0) return
  const args = missing.flatMap((f) => ['--filter', f])
  execFileSync('pnpm', [...args, 'run', 'build'], { cwd: REPO, stdio: 'inherit' })
}

export interface Fleet {
  url: string
  token: string
  dir: string
  ports: Record<'alpha' | 'beta', number>
  /** The agent's output so far, for failure messages. */
  output(): string
  /** PIDs of the demo service processes listening on `port`. */
  demoPids(port: number): number[]
  stop(): Promise<void>
}

function demoService(
  name: string,
  port: number,
  extra: object = {},
  args: string[] = [],
  autoRestart = true,
) {
  return {
    name,
    check: { type: 'http', url: `http://127.0.0.1:${port}/health` },
    critical: true,
    dependsOn: [],
    metrics: `http://127.0.0.1:${port}/metrics`,
    executor: {
      type: 'local',
      command: ['node', DEMO, '--name', name, '--port', String(port), '--health', '/health', ...args],
      shutdownTimeoutMs: 2000,
      autoRestart,
    },
    ...extra,
  }
}

/** Writes the suite's config and starts `noa start` on a free port. */
export async function startFleet(dir: string): Promise<Fleet> {
  const ports = { alpha: await freePort(), beta: await freePort() }
  const token = `e2e-${Math.random().toString(36).slice(2)}`
  const config = {
    healthChecks: { enabled: true, interval: 500, timeout: 1000, retries: 0 },
    selfHealing: {
      enabled: true,
      autoRestart: true,
      maxRestarts: 20,
      restartCooldown: 500,
      strategies: {
        // stopWait keeps a killed service down for 6 s: longer than the dashboard's 5 s poll,
        // so the red tile is seen even without the live stream.
        serviceRestart: { enabled: true, cooldown: 500, maxConsecutive: 10, stopWait: 6000, startWait: 500 },
        rollback: { enabled: true, automatic: false, approvalRequired: true },
      },
    },
    alerting: { enabled: true, channels: { console: { enabled: true } } },
    metrics: { enabled: true, collectInterval: 1000, storage: { path: join(dir, 'data/metrics') } },
    dashboard: {
      enabled: true,
      host: '127.0.0.1',
      port: 0,
      refreshInterval: 1000,
      staticDir: DASHBOARD_DIST,
    },
    services: [
      // An availability objective: its budget and burn rates on alpha's page.
      demoService('alpha', ports.alpha, { slo: { availability: { objective: 99.5 } } }, ['--traffic', '5']),
      // No supervisor restart: a killed beta stays down until noa's healing restarts it.
      demoService(
        'beta',
        ports.beta,
        { critical: false, dependsOn: ['alpha'] },
        ['--depends-on', `http://127.0.0.1:${ports.alpha}/health`],
        false,
      ),
      {
        // A deployment that can only be rolled back with a human's approval.
        name: 'release',
        check: { type: 'http', url: `http://127.0.0.1:${ports.alpha}/health` },
        critical: false,
        executor: { type: 'command', rollback: ['node', '-e', 'process.exit(0)'] },
        healing: { rollback: { source: 'image', image: 'demo:previous' } },
      },
    ],
    slo: { interval: 1000 },
    store: { type: 'sqlite', path: join(dir, 'data/noa.db') },
    logs: { dir: join(dir, 'logs'), level: 'info', retentionDays: 1 },
    hooks: [],
  }
  const { child, output } = spawnAgent(dir, config, { NOA_API_TOKEN: token })
  const seen = new Set<number>()

  const demoPids = (port: number): number[] => {
    const pids: number[] = []
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue
      try {
        const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')
        const i = argv.indexOf('--port')
        if (argv.includes(DEMO) && i !== -1 && argv[i + 1] === String(port)) pids.push(Number(entry))
      } catch {
        // the process ended while we looked
      }
    }
    for (const p of pids) seen.add(p)
    return pids
  }
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0)
      return true
    } catch {
      return false
    }
  }
  const stop = async () => {
    for (const port of Object.values(ports)) demoPids(port)
    if (child.pid && alive(child.pid)) {
      const exited = new Promise((r) => child.once('exit', r))
      process.kill(child.pid, 'SIGTERM')
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))])
      try {
        process.kill(-child.pid, 'SIGKILL')
      } catch {
        // the group is gone
      }
    }
    for (const port of Object.values(ports)) demoPids(port)
    for (const pid of seen) if (alive(pid)) process.kill(pid, 'SIGKILL')
  }

  try {
    const url = await dashboardUrl(child, output)
    return { url, token, dir, ports, output, demoPids, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

/** The dashboard's URL, once the agent prints that it listens; fails if it exits or takes 60 s. */
export function dashboardUrl(child: ChildProcess, output: () => string): Promise<string> {
  return new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`the agent did not start in 60 s:\n${output()}`)), 60_000)
    const look = () => {
      const m = /dashboard and API on (http:\/\/\S+)/.exec(output())
      if (m) {
        clearTimeout(timer)
        ok(m[1]!)
      }
    }
    child.stdout?.on('data', look)
    child.once('exit', (code) => {
      clearTimeout(timer)
      fail(new Error(`the agent exited with ${code}:\n${output()}`))
    })
  })
}

/**
 * Writes `config` into `dir` and starts the real agent on it in its own process group, with
 * only `env` of the NOA_ variables that would steer it; `output()` is all it printed.
 */
export function spawnAgent(
  dir: string,
  config: unknown,
  env: Record<string, string> = {},
): { child: ChildProcess; output: () => string } {
  mkdirSync(join(dir, 'config'), { recursive: true })
  const file = join(dir, 'config/monitoring-config.json')
  writeFileSync(file, JSON.stringify(config, null, 2))
  const childEnv: NodeJS.ProcessEnv = { ...process.env }
  for (const key of ['NOA_PORT', 'NOA_HOST', 'NOA_CONFIG', 'NOA_DASHBOARD_DIR', 'NOA_API_TOKEN'])
    delete childEnv[key]
  const child = spawn(process.execPath, [AGENT_BIN, 'start', '--config', file], {
    cwd: dir,
    env: { ...childEnv, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout?.on('data', (c) => (out += c))
  child.stderr?.on('data', (c) => (out += c))
  return { child, output: () => out }
}
