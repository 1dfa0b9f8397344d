import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { alive, locateConfig, readInfo, readPid, writePid } from './cli/paths.ts'
import { type CliIo, main } from './cli.ts'

// The CLI in this process (the process tests in test/ run it as a real program).

const dirs: string[] = []
const children: number[] = []
const fixture = [
  '--conditions=@noa/source',
  '--import',
  fileURLToPath(import.meta.resolve('tsx')),
  resolve(import.meta.dirname, '..', 'test', 'fixtures', 'noa.ts'),
]
let server: Server
let base = ''
let status = 200

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/metrics') return void res.writeHead(200).end('http_requests_total{status="200"} 3\n')
    res.writeHead(status).end('ok')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  for (const dir of dirs)
    for (const name of ['agent', 'watchdog'] as const) {
      const pid = readPid(dir, name)
      if (pid && pid !== process.pid && alive(pid)) process.kill(pid, 'SIGKILL')
    }
  for (const pid of children) if (alive(pid)) process.kill(pid, 'SIGKILL')
  server.closeAllConnections()
  await new Promise<void>((r) => server.close(() => r()))
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

function setup(extra: Record<string, unknown> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'noa-cli-unit-'))
  dirs.push(dir)
  mkdirSync(join(dir, 'config'))
  writeFileSync(
    join(dir, 'config', 'monitoring-config.yaml'),
    JSON.stringify({
      healthChecks: { interval: 200, timeout: 200, retries: 0 },
      metrics: { collectInterval: 300 },
      dashboard: { port: 0, refreshInterval: 200 },
      alerting: { channels: { file: { path: './logs/alerts' } } },
      watchdog: { restartDelay: 50 },
      services: [{ name: 'api', check: { type: 'http', url: `${base}/health` }, metrics: `${base}/metrics` }],
      ...extra,
    }),
  )
  const out: string[] = []
  const err: string[] = []
  const io = (more: Partial<CliIo> = {}): CliIo => ({
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    env: {},
    cwd: dir,
    ...more,
  })
  return { dir, out, err, io }
}

type Truthy<T> = Exclude<T, false | null | undefined | 0 | ''>
const wait = async <T>(check: () => T, ms = 20_000): Promise<Truthy<T>> => {
  const deadline = Date.now() + ms
  for (;;) {
    const v = check()
    if (v) return v as Truthy<T>
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('locateConfig', () => {
  it('should prefer --config, then NOA_CONFIG, then the nearest config/ folder', () => {
    const { dir } = setup()
    const nested = join(dir, 'a', 'b')
    mkdirSync(nested, { recursive: true })
    expect(locateConfig(undefined, {}, nested)).toEqual({
      file: join(dir, 'config', 'monitoring-config.yaml'),
      baseDir: dir,
    })
    expect(locateConfig('x.json', { NOA_CONFIG: 'y.json' }, nested)).toEqual({
      file: join(nested, 'x.json'),
      baseDir: nested,
    })
    expect(locateConfig(undefined, { NOA_CONFIG: 'y.json' }, nested).file).toBe(join(nested, 'y.json'))
    expect(locateConfig(undefined, {}, '/').file).toBe('/config/monitoring-config.json')
  })
})

describe('main', () => {
  it('should print usage: 0 with --help, 2 without a command', async () => {
    const { io, out, err } = setup()
    expect(await main(['--help'], io())).toBe(0)
    expect(out[0]).toMatch(/^noa: monitoring and self-healing/)
    expect(await main([], io())).toBe(2)
    expect(await main(['start', 'bogus'], io())).toBe(2)
    expect(err).toContain('noa: unknown component "bogus"; allowed: all, health, metrics, dashboard, healing')
    expect(await main(['health'], io())).toBe(2)
    expect(await main(['metrics', 'twice'], io())).toBe(2)
    expect(await main(['heal', 'manual'], io())).toBe(2)
    expect(await main(['stop', '--timeout', 'soon'], io())).toBe(2)
  })

  it('should validate the found config and report an invalid one on start', async () => {
    const { io, out, err, dir } = setup()
    expect(await main(['validate', '--json'], io())).toBe(0)
    expect(JSON.parse(out[0]!)).toEqual({
      ok: true,
      file: join(dir, 'config', 'monitoring-config.yaml'),
      services: 1,
    })
    writeFileSync(join(dir, 'bad.json'), '{"metrics":{"collectInterval":"fast"}}')
    expect(await main(['status', '--config', 'bad.json'], io())).toBe(2)
    expect(err).toEqual([
      `noa: ${join(dir, 'bad.json')} is invalid (1 problem):`,
      'metrics.collectInterval: Invalid input: expected number, received string',
    ])
  })

  it('should refuse a bad NOA_API_TOKENS with exit 2 on validate and start, never showing a token', async () => {
    const { io, err } = setup()
    const env = { NOA_API_TOKENS: 'ops:root:hunter2-secret-0123456789' }
    expect(await main(['validate'], io({ env }))).toBe(2)
    expect(err[0]).toBe(
      'NOA_API_TOKENS: entry 1 (ops): unknown role "root"; allowed: viewer, operator, admin',
    )
    expect(await main(['start'], io({ env }))).toBe(2)
    expect(err.join('\n')).not.toContain('hunter2')
  })

  it('should run the agent in the foreground, report it in status and heal through its API', async () => {
    const { io, out, dir } = setup()
    const controller = new AbortController()
    const env = { NOA_API_TOKEN: 'tok' }
    const running = main(['start'], io({ signal: controller.signal, env }))
    const info = await wait(() => readInfo(dir))
    expect(info).toMatchObject({
      pid: process.pid,
      host: '127.0.0.1',
      components: ['health', 'metrics', 'dashboard', 'healing'],
    })
    await wait(() => existsSync(join(dir, 'data', 'metrics')))

    const before = out.length
    expect(await main(['status'], io())).toBe(0)
    const text = out.slice(before).join('\n')
    expect(text).toContain(`✓ agent: Running (PID: ${process.pid})`)
    expect(text).toContain(`✓ Metrics API: http://127.0.0.1:${info.port}/api/metrics`)

    const healed = out.length
    expect(await main(['heal', 'manual', 'api', '--dry-run'], io({ env }))).toBe(0)
    expect(out.slice(healed).some((l) => /^api: \S+ for manual -> (running|dry-run)/.test(l))).toBe(true)
    expect(await main(['heal', 'manual', 'api'], io())).toBe(1)

    controller.abort()
    expect(await running).toBe(0)
    expect(readInfo(dir)).toBeUndefined()
  })

  it('should check once, collect once and heal once without an agent', async () => {
    const { io, out } = setup()
    const code = await main(['health', 'once'], io())
    expect(out).toContain('Summary: 1/1 healthy; overall healthy')
    expect(code).toBe(0)
    expect(await main(['metrics', 'once'], io())).toBe(0)
    expect(JSON.parse(out.at(-1)!).services.api.requests.total).toBe(3)
    expect(await main(['heal', 'manual', 'api', '--dry-run', '--json'], io())).toBe(0)
    expect(JSON.parse(out.at(-1)!)).toMatchObject({ service: 'api', trigger: 'manual', dryRun: true })
    expect(await main(['heal', 'manual', 'nope'], io())).toBe(2)
    status = 503
    try {
      expect(await main(['health', 'once', '--json'], io())).toBe(1)
      expect(JSON.parse(out.at(-1)!).overall).toBe('unhealthy')
    } finally {
      status = 200
    }
  })

  it('should not count a down service in a maintenance window of the config file in health once', async () => {
    const { io, out } = setup({
      maintenance: [
        { id: 'disk', services: ['api'], reason: 'swapping the disk', endsAt: Date.now() + 3_600_000 },
      ],
    })
    status = 503
    try {
      expect(await main(['health', 'once'], io())).toBe(0)
      expect(out.at(-2)).toMatch(/^✗ api: unhealthy \[maintenance\]/)
      expect(out.at(-1)).toBe('Summary: 0/1 healthy, 1 in maintenance; overall healthy')
      expect(await main(['health', 'once', '--json'], io())).toBe(0)
      expect(JSON.parse(out.at(-1)!)).toMatchObject({ overall: 'healthy', maintenance: ['api'] })
    } finally {
      status = 200
    }
  })

  it('should stop a process named by the PID file, forcing it after the grace time', async () => {
    const { io, out, dir } = setup()
    expect(await main(['stop'], io())).toBe(0)
    expect(out).toEqual(['noa is not running'])
    // A process that ignores SIGTERM is killed after the grace time.
    const child = spawn(
      process.execPath,
      ['-e', 'process.on("SIGTERM", () => {}); console.log("ready"); setInterval(() => {}, 1000)'],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    )
    children.push(child.pid!)
    // Only once it says so does it ignore SIGTERM (a busy machine can take a while to start node).
    await new Promise((r) => child.stdout!.once('data', r))
    writePid(dir, 'agent', child.pid!)
    expect(await main(['stop', '--timeout', '300'], io())).toBe(0)
    expect(out.at(-1)).toBe(`killed ${child.pid} after 300 ms`)
    await wait(() => !alive(child.pid))
    expect(readPid(dir, 'agent')).toBeUndefined()
  })

  it('should detach under a watchdog, show both in status and stop both', async () => {
    const { io, out, dir } = setup()
    const code = await main(['start', '--detach'], io({ command: fixture }))
    expect(code, out.join('\n')).toBe(0)
    expect(out.some((l) => /^noa started in the background: watchdog PID \d+, agent PID \d+$/.test(l))).toBe(
      true,
    )
    expect(await main(['start', '--detach'], io({ command: fixture }))).toBe(1)
    expect(await main(['status', '--json'], io())).toBe(0)
    const report = JSON.parse(out.at(-1)!)
    expect(report.components.map((c: { state: string }) => c.state)).toEqual(['running', 'running'])
    const watchdog = readPid(dir, 'watchdog')!
    expect(await main(['stop'], io())).toBe(0)
    await wait(() => !alive(watchdog))
    expect(readFileSync(join(dir, 'logs', 'monitoring', 'watchdog.log'), 'utf8')).toContain(
      '"msg":"watchdog stopped"',
    )
  })

  it('should run the watchdog here: restart a killed agent, give up after its limit', async () => {
    const { io, dir } = setup({ watchdog: { maxRestarts: 1, window: 60_000, restartDelay: 50 } })
    const controller = new AbortController()
    const watchdog = main(['__watchdog'], io({ command: fixture, signal: controller.signal }))
    const first = (await wait(() => readInfo(dir)))!
    process.kill(first.pid, 'SIGKILL')
    const second = await wait(() => {
      const info = readInfo(dir)
      return info && info.pid !== first.pid && alive(info.pid) && info
    })
    process.kill(second.pid, 'SIGKILL')
    expect(await watchdog).toBe(1)
    const log = readFileSync(join(dir, 'logs', 'monitoring', 'watchdog.log'), 'utf8')
    expect(log).toContain('"msg":"agent died too often; giving up"')
    controller.abort()
  })
})
