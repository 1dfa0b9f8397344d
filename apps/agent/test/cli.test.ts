import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { alive, killAll, noa, readRunInfo, run, writeConfig } from './cli.ts'
import { type FakeService, startService, until } from './helpers.ts'

const dirs: string[] = []
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'noa-cli-'))
  dirs.push(dir)
  return dir
}

let svc: FakeService
const config = () => ({
  healthChecks: { interval: 200, timeout: 200, retries: 0 },
  metrics: { collectInterval: 500 },
  dashboard: { port: 0 },
  alerting: { channels: { file: { path: './logs/alerts' } } },
  services: [
    { name: 'api', check: { type: 'http', url: `${svc.url}/health` }, metrics: `${svc.url}/metrics` },
  ],
  watchdog: { maxRestarts: 2, window: 60_000, restartDelay: 100 },
})

beforeAll(async () => {
  svc = await startService()
})
afterAll(async () => {
  killAll(dirs)
  await svc?.close()
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

describe('noa validate', () => {
  it('should print every problem on its own line and exit 2', async () => {
    const dir = tempDir()
    const file = join(dir, 'bad.json')
    writeFileSync(
      file,
      JSON.stringify({
        healthChecks: { interval: 1 },
        services: [{ name: 'a', check: { type: 'http', url: 'ftp://x' }, dependsOn: ['b'] }],
        store: { type: 'postgres', connectionString: 'postgres://u:secret-pw@h/db' },
      }),
    )
    const result = await run(['validate', file], dir)
    expect(result.code).toBe(2)
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      `store.connectionString: is a secret and must come from the environment: write $\{NAME}; found a literal value`,
      'healthChecks.interval: Too small: expected number to be >=100; found 1',
      'services.a.check.url: expected an http:// or https:// URL; found "ftp://x"',
      'services.a.dependsOn.0: unknown service "b"; known: a',
      `${file}: 4 problems`,
    ])
    expect(result.stderr).not.toContain('secret-pw')
  })

  it('should name unknown keys, literal credentials and unsafe service names, one line each, and exit 2', async () => {
    const dir = tempDir()
    const file = join(dir, 'typos.json')
    writeFileSync(
      file,
      JSON.stringify({
        healthChecks: { intervall: 5000 },
        selfHealing: { autoRestrat: true },
        services: [
          { name: '../../../../tmp/x', check: { type: 'http', url: 'http://127.0.0.1:1/health' } },
          {
            name: 'api',
            critcal: true,
            check: {
              type: 'http',
              url: 'http://127.0.0.1:2/health',
              headers: { authorization: 'Bearer tok-9' },
            },
          },
        ],
        hooks: [{ on: ['change'], webhook: 'https://hooks.example.com/T0/abc' }],
      }),
    )
    const result = await run(['validate', file], dir)
    expect(result.code).toBe(2)
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      `services.api.check.headers.authorization: is a secret and must come from the environment: write $\{NAME}; found a literal value`,
      `hooks.0.webhook: is a secret and must come from the environment: write $\{NAME}; found a literal value`,
      'healthChecks.intervall: unknown key; did you mean interval?',
      'selfHealing.autoRestrat: unknown key; did you mean autoRestart?',
      'services.0.name: expected 1 to 64 letters, digits, ".", "_" or "-", not "." or ".."; found "../../../../tmp/x"',
      'services.api.critcal: unknown key; did you mean critical?',
      `${file}: 6 problems`,
    ])
    expect(result.stderr).not.toMatch(/tok-9|T0\/abc/)
  })

  it('should check tls, dns and grpc services like any other, and accept them when right', async () => {
    const dir = tempDir()
    const file = join(dir, 'net.json')
    const services = (bad: boolean) => [
      {
        name: 'cert',
        check: { type: 'tls', host: 'example.com', criticalDays: 30, warnDays: bad ? 10 : 45 },
      },
      {
        name: 'ns',
        check: bad
          ? { type: 'dns', name: 'api.example.com', server: 'dns.example.com', recordtype: 'MX' }
          : {
              type: 'dns',
              name: 'example.com',
              server: '127.0.0.1:5353',
              recordType: 'MX',
              expect: ['mail.example.com'],
            },
      },
      {
        name: 'rpc',
        check: { type: 'grpc', host: '127.0.0.1', port: bad ? 0 : 50051, service: 'shop.Orders' },
      },
    ]
    writeFileSync(file, JSON.stringify({ services: services(true) }))
    const result = await run(['validate', file], dir)
    expect(result.code).toBe(2)
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      'services.cert.check.warnDays: warnDays must be at least criticalDays',
      'services.ns.check.server: expected an IP address with an optional port, e.g. "10.0.0.2" or "127.0.0.1:5353"; found "dns.example.com"',
      'services.ns.check.recordtype: unknown key; did you mean recordType?',
      'services.rpc.check.port: Too small: expected number to be >=1; found 0',
      `${file}: 4 problems`,
    ])
    writeFileSync(file, JSON.stringify({ services: services(false) }))
    expect(await run(['validate', file], dir)).toMatchObject({
      code: 0,
      stdout: `${file}: valid (3 services)\n`,
    })
  })

  it('should accept a good file with exit 0', async () => {
    const dir = tempDir()
    writeConfig(dir, config())
    const result = await run(['validate'], dir)
    expect([result.code, result.stdout]).toEqual([
      0,
      `${join(dir, 'config', 'monitoring-config.json')}: valid (1 services)\n`,
    ])
  })

  it('should exit 2 with usage on an unknown command or option', async () => {
    const dir = tempDir()
    expect((await run(['frobnicate'], dir)).code).toBe(2)
    expect((await run(['status', '--nope'], dir)).code).toBe(2)
  })
})

describe('noa start (foreground), status and stop', () => {
  it('should refuse a bad config with exit 2, list every problem and change nothing on disk', async () => {
    const dir = tempDir()
    writeConfig(dir, { dashboard: { port: -1 }, metrics: { collectInterval: 0 } })
    const result = await run(['start'], dir)
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('dashboard.port: Too small: expected number to be >=0; found -1')
    expect(result.stderr).toContain(
      'metrics.collectInterval: Too small: expected number to be >=100; found 0',
    )
    expect(readdirSync(dir)).toEqual(['config'])
  })

  it('should run the agent, show it in status and stop it cleanly', async () => {
    const dir = tempDir()
    writeConfig(dir, config())
    const agent = noa(['start'], dir)
    const info = await until(() => readRunInfo(dir), 30_000, 'run/agent.json')
    expect(info.pid).toBe(agent.pid)
    const health = await until(async () => {
      const body = (await (await fetch(`http://${info.host}:${info.port}/api/health`)).json()) as {
        overall: string
      }
      return body.overall === 'healthy' && body
    })
    expect(health).toMatchObject({ overall: 'healthy' })

    const status = await run(['status', '--json'], dir)
    expect(status.code).toBe(0)
    const report = JSON.parse(status.stdout)
    expect(report.components).toEqual([
      { name: 'watchdog', state: 'not running' },
      expect.objectContaining({ name: 'agent', state: 'running', pid: agent.pid }),
    ])
    expect(report.endpoints.map((e: { reachable: boolean }) => e.reachable)).toEqual([true, true, true])
    const text = await run(['status'], dir)
    expect(text.stdout).toContain('noa - Monitoring System Status')
    expect(text.stdout).toContain(`✓ agent: Running (PID: ${agent.pid})`)
    expect(text.stdout).toMatch(/health-check\.log \(last \d lines\):/)

    // A second foreground agent on the same folder is refused.
    expect((await run(['start'], dir)).code).toBe(1)

    const stop = await run(['stop'], dir)
    expect(stop.stdout).toContain('noa stopped')
    expect((await agent.done).code).toBe(0)
    expect(existsSync(join(dir, 'run', 'agent.pid'))).toBe(false)
    expect(
      readdirSync(join(dir, 'data', 'metrics')).some((f) => /^metrics-\d{4}-\d{2}-\d{2}\.jsonl$/.test(f)),
    ).toBe(true)
    expect(existsSync(join(dir, 'logs', 'monitoring', 'agent.log'))).toBe(true)
    expect((await run(['status'], dir)).code).toBe(1)
    expect((await run(['stop'], dir)).stdout).toBe('noa is not running\n')
  })
})

describe('noa start --detach', () => {
  it('should run the agent under a watchdog that restarts it, and stop both', async () => {
    const dir = tempDir()
    writeConfig(dir, config())
    const start = await run(['start', '--detach'], dir)
    expect(start.code).toBe(0)
    expect(start.stdout).toMatch(/noa started in the background: watchdog PID \d+, agent PID \d+/)
    const first = readRunInfo(dir)!
    const status = JSON.parse((await run(['status', '--json'], dir)).stdout)
    expect(status.components.map((c: { name: string; state: string }) => [c.name, c.state])).toEqual([
      ['watchdog', 'running'],
      ['agent', 'running'],
    ])

    process.kill(first.pid, 'SIGKILL')
    const second = await until(
      () => {
        const info = readRunInfo(dir)
        return info && info.pid !== first.pid && alive(info.pid) && info
      },
      30_000,
      'the watchdog to restart the agent',
    )
    expect(second.pid).not.toBe(first.pid)
    const log = readFileSync(join(dir, 'logs', 'monitoring', 'watchdog.log'), 'utf8')
    expect(log).toContain('"msg":"agent died; restarting"')

    const watchdogPid = Number(readFileSync(join(dir, 'run', 'watchdog.pid'), 'utf8'))
    const stop = await run(['stop'], dir)
    expect(stop.code).toBe(0)
    await until(() => !alive(watchdogPid) && !alive(second.pid), 15_000, 'both processes to exit')
    expect(existsSync(join(dir, 'run', 'watchdog.pid'))).toBe(false)
    expect(existsSync(join(dir, 'run', 'agent.pid'))).toBe(false)
  })
})

describe('noa health once, metrics once, heal', () => {
  it('should check every service once and exit 0 when healthy, 1 when not', async () => {
    const dir = tempDir()
    writeConfig(dir, config())
    const ok = await run(['health', 'once', '--json'], dir)
    expect(ok.code).toBe(0)
    expect(JSON.parse(ok.stdout)).toMatchObject({
      overall: 'healthy',
      services: [{ service: 'api', state: 'healthy' }],
    })
    svc.status = 503
    try {
      const bad = await run(['health', 'once'], dir)
      expect(bad.code).toBe(1)
      expect(bad.stdout).toContain('✗ api: unhealthy (expected status 200-399, got 503)')
      expect(bad.stdout).toContain('Summary: 0/1 healthy; overall unhealthy')
    } finally {
      svc.status = 200
    }
  })

  it('should collect one snapshot in the seed shape', async () => {
    const dir = tempDir()
    writeConfig(dir, config())
    const result = await run(['metrics', 'once', '--json'], dir)
    expect(result.code).toBe(0)
    const snapshot = JSON.parse(result.stdout)
    expect(Object.keys(snapshot)).toEqual([
      'timestamp',
      'system',
      'application',
      'business',
      'custom',
      'services',
    ])
    // The service answers 11 requests (1 an error) between two scrapes; others scrape it too.
    expect(snapshot.services.api.requests.total).toBe(11 * snapshot.services.api.requests.errors)
  })

  it('should heal one service now and print its record', async () => {
    const dir = tempDir()
    writeConfig(dir, config())
    const result = await run(['heal', 'manual', 'api', '--dry-run', '--json'], dir)
    expect(JSON.parse(result.stdout)).toMatchObject({ service: 'api', trigger: 'manual', dryRun: true })
    expect((await run(['heal', 'manual', 'ghost'], dir)).code).toBe(2)
  })
})
