import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLogger, type LogRecord } from '@noa/core'
import { type LocalSupervisor, stopRecorded } from '@noa/healing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Agent } from './agent.ts'
import { servicesRunDir } from './cli/paths.ts'
import { formatConfigIssues, validateConfig } from './config/load.ts'

const dirs: string[] = []
const agents: Agent[] = []
let server: Server
let base = ''
let errorsTotal = 0

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/metrics')
      return void res
        .writeHead(200)
        .end(`http_requests_total{status="200"} 100\nhttp_requests_total{status="500"} ${errorsTotal}\n`)
    res.writeHead(200).end('ok')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  for (const a of agents) await a.stop()
  // Supervised services outlive a stopping agent (the next one adopts them): stop them as
  // `noa stop` does, also when a test failed before its own stop.
  for (const d of dirs) await stopRecorded(servicesRunDir(d), { timeoutMs: 2000 })
  await new Promise<void>((r) => server.close(() => r()))
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

async function build(
  raw: Record<string, unknown>,
  components?: Array<'health' | 'metrics' | 'dashboard' | 'healing'>,
) {
  const dir = mkdtempSync(join(tmpdir(), 'noa-agent-unit-'))
  dirs.push(dir)
  const result = validateConfig({ store: { type: 'memory' }, alerting: { channels: {} }, ...raw })
  if (!result.ok) throw new Error(formatConfigIssues(result.issues).join('\n'))
  const records: LogRecord[] = []
  const agent = await Agent.create(result.config, {
    baseDir: dir,
    ...(components ? { components } : {}),
    logger: (component) =>
      createLogger({ level: 'debug', base: { component }, write: (r) => records.push(r) }),
    agentId: 'unit',
  })
  agents.push(agent)
  return { agent, records, dir }
}

const wait = async (check: () => boolean | Promise<boolean>, ms = 20_000) => {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('Agent', () => {
  it('should heal on a firing rule whose action asks for it, and count what it saw in /metrics', async () => {
    const { agent } = await build({
      healthChecks: { enabled: false },
      metrics: { storage: { enabled: false }, categories: { system: false } },
      selfHealing: { dryRun: true },
      alerting: {
        groupWait: 0,
        channels: { rec: { type: 'file', path: './alerts' } },
        rules: [
          {
            name: 'errors',
            condition: 'error_rate > 0.05',
            scope: 'service',
            severity: 'critical',
            actions: ['notify', { type: 'heal', trigger: 'high-error-rate' }, 'gc'],
          },
        ],
      },
      services: [
        {
          name: 'api',
          check: { type: 'http', url: `${base}/health` },
          metrics: `${base}/metrics`,
          executor: { type: 'command', restart: ['true'] },
        },
        {
          name: 'gone',
          check: { type: 'http', url: `${base}/health` },
          metrics: 'http://127.0.0.1:1/metrics',
        },
      ],
    })
    const healings: string[] = []
    agent.healing.on('healing-started', (r) => healings.push(`${r.service}:${r.trigger}`))
    // The first round only primes: a first scrape has no earlier one to take a rate from.
    const primed = await agent.metricsRound()
    expect(primed.services?.api?.requests).toBeUndefined()
    errorsTotal = 20
    const snap = await agent.metricsRound()
    expect(snap.system).toEqual({})
    // 20 new requests since the first round, all of them errors
    expect(snap.services?.api?.requests?.errorRate).toBe(1)
    await wait(() => healings.includes('api:high-error-rate'))
    const text = await agent.renderMetrics('prometheus')
    expect(text).toContain('noa_scrape_errors_total{service="gone"} 2')
    expect(text).toContain('noa_alerts{severity="critical",state="firing"} 1')
    expect(text).toContain('noa_metrics_rounds_total 2')
    expect(text).toContain('noa_incident_decisions_total{event="rule",decision="heal"} 1')
    await agent.alerts.start()
    console.log(
      (await agent.renderMetrics('prometheus'))
        .split('\n')
        .filter((l) => l.includes('notif'))
        .join('\n'),
      JSON.stringify(agent.alerts.stats()),
      JSON.stringify(await agent.store.outbox.deliveries()),
    )
    await wait(async () =>
      (await agent.renderMetrics('prometheus')).includes(
        'noa_notifications_total{channel="rec",status="sent"} 1',
      ),
    )
  })

  it('should decide an approval once and publish it', async () => {
    const { agent } = await build({ healthChecks: { enabled: false }, metrics: { enabled: false } })
    await agent.store.approvals.createApproval({
      id: 'ap1',
      service: 'api',
      action: 'rollback',
      reason: 'deployment failure',
      requestedAt: Date.now(),
      expiresAt: Date.now() + 60_000,
      status: 'pending',
    })
    const events: string[] = []
    const sse = agent.sse.publish.bind(agent.sse)
    agent.sse.publish = (event, data) => {
      events.push(event)
      return sse(event, data)
    }
    expect(await agent.api.decide('ap1', true, 'ops', 'go')).toMatchObject({
      status: 'approved',
      decidedBy: 'ops',
    })
    expect(await agent.api.decide('ap1', false)).toBeUndefined()
    expect(events).toEqual(['approval'])
  })

  it('should leave CPU usage out of the first round, which spans its own start, and judge it from the second', async () => {
    const { agent } = await build({
      healthChecks: { enabled: false },
      metrics: { storage: { enabled: false }, categories: { system: true } },
    })
    const first = await agent.metricsRound()
    expect(first.system.cpu?.usage).toBeUndefined()
    expect(first.system.cpu?.count).toBeGreaterThan(0)
    const second = await agent.metricsRound()
    expect(second.system.cpu?.usage?.average).toEqual(expect.any(Number))
    // `noa metrics once` reads everything it can at once.
    expect((await agent.collect()).snapshot.system.cpu?.usage?.average).toEqual(expect.any(Number))
  })

  it('should run only the components asked for', async () => {
    const { agent, dir } = await build(
      {
        healthChecks: { interval: 100, timeout: 100, retries: 0 },
        metrics: { collectInterval: 100 },
        services: [{ name: 'api', check: { type: 'http', url: `${base}/health` } }],
      },
      ['dashboard'],
    )
    await agent.start()
    await new Promise((r) => setTimeout(r, 300))
    expect(agent.health.running).toBe(false)
    expect(agent.latest).toBeUndefined()
    expect(agent.status().services[0]).toMatchObject({ name: 'api', state: 'unknown', latencyMs: null })
    expect(existsSync(join(dir, 'data', 'metrics'))).toBe(false)
  })

  it('should report a supervised process that exits at once and heal it', async () => {
    const { agent, records, dir } = await build({
      healthChecks: { interval: 100, timeout: 100, retries: 0 },
      metrics: { enabled: false },
      selfHealing: { restartCooldown: 0, strategies: { serviceRestart: { stopWait: 0, startWait: 0 } } },
      services: [
        {
          name: 'worker',
          check: { type: 'http', url: `${base}/health` },
          executor: { type: 'local', command: [process.execPath, '-e', 'setInterval(() => {}, 1000)'] },
        },
      ],
    })
    await agent.start()
    const supervisor = agent.healing.executor('worker') as LocalSupervisor
    await wait(() => supervisor.pid !== undefined && agent.health.status('worker').state === 'healthy')
    const first = supervisor.pid!
    process.kill(first, 'SIGKILL')
    await wait(() => supervisor.pid !== undefined && supervisor.pid !== first)
    await wait(() => records.some((r) => r.msg === 'supervised process exited' && r.service === 'worker'))
    const changes = await agent.store.checks.changes({ service: 'worker' })
    expect(changes.some((c) => c.to === 'error' && c.result.message === 'process exited on SIGKILL')).toBe(
      true,
    )
    const second = supervisor.pid!
    await agent.stop()
    const stopped = await stopRecorded(servicesRunDir(dir), { timeoutMs: 2000 })
    expect(stopped).toMatchObject([{ service: 'worker', pid: second, outcome: 'stopped' }])
    expect(() => process.kill(second, 0)).toThrow()
  })

  it('should fall back to memory when the SQLite file cannot be opened, and refuse bad engine options', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'noa-agent-unit-'))
    dirs.push(dir)
    writeFileSync(join(dir, 'file'), 'x')
    const ok = validateConfig({ store: { type: 'sqlite', path: join(dir, 'file', 'noa.db') } })
    if (!ok.ok) throw new Error('config')
    const agent = await Agent.create(ok.config, { baseDir: dir })
    agents.push(agent)
    expect(agent.store.type).toBe('memory')

    const bad = validateConfig({
      store: { type: 'memory' },
      selfHealing: { triggers: { 'high-load': 'teleport' } },
    })
    if (!bad.ok) throw new Error('config')
    await expect(Agent.create(bad.config, { baseDir: dir })).rejects.toThrow(/teleport/)
  })
})
