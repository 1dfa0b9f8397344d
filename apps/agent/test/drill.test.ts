import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { afterEach, describe, expect, it } from 'vitest'
import { AgentClient } from '../src/drill/agent-client.ts'
import { FAULT_DRIVERS } from '../src/drill/drivers.ts'
import type { FaultContext } from '../src/drill/fault.ts'
import { planDrills } from '../src/drill/plan.ts'
import { Restorer } from '../src/drill/restore.ts'
import { type DrillProgress, runDrills } from '../src/drill/runner.ts'
import type { DrillFault } from '../src/drill/types.ts'
import { freePort, startAgent, type TestAgent, until } from './helpers.ts'

const fixture = resolve(import.meta.dirname, 'fixtures', 'service.mjs')
const demo = resolve(import.meta.dirname, '..', '..', 'demo', 'src', 'service.ts')
const tsx = fileURLToPath(import.meta.resolve('tsx'))

let agent: TestAgent | undefined
afterEach(async () => {
  await agent?.close()
  agent = undefined
})

/**
 * A real agent supervising `db` and `web` (which needs db), with a drill context on its API;
 * its store in memory unless `store` says otherwise.
 */
async function fleet(store?: Record<string, unknown>, env?: Record<string, string>): Promise<FaultContext> {
  const ports = { db: await freePort(), web: await freePort() }
  const service = (name: 'db' | 'web', dep?: 'db') => ({
    name,
    drill: true,
    check: { type: 'http', url: `http://127.0.0.1:${ports[name]}/health` },
    ...(dep ? { dependsOn: [dep] } : {}),
    // a crash loop of the drill (6 changes) flaps; drills a few seconds apart do not
    flapping: { windowMs: 8000, limit: 5 },
    executor: {
      type: 'local',
      command: [
        process.execPath,
        fixture,
        String(ports[name]),
        ...(dep ? ['--dep', `http://127.0.0.1:${ports[dep]}/health`] : []),
      ],
      shutdownTimeoutMs: 1000,
    },
  })
  agent = await startAgent(
    {
      ...(store ? { store } : {}),
      healthChecks: { interval: 500, timeout: 500, retries: 0 },
      metrics: { enabled: false },
      selfHealing: {
        restartCooldown: 0,
        strategies: { serviceRestart: { cooldown: 0, stopWait: 100, startWait: 1000 } },
      },
      alerting: { groupWait: 0, channels: {} },
      services: [service('db'), service('web', 'db')],
    },
    env ? { env } : {},
  )
  const api = new AgentClient(agent.url)
  await until(
    async () => (await api.state('db')) === 'healthy' && (await api.state('web')) === 'healthy',
    20_000,
    'db and web healthy',
  )
  return { config: agent.agent.config, configFile: '', baseDir: agent.dir, api, restorer: new Restorer() }
}

describe('runDrills, against a real agent and real services', () => {
  it('should measure a crash, a hang, a dependency down and a crash loop: one action per fault, none for the dependent', async () => {
    const ctx = await fleet()
    const phases: string[] = []
    const results = await runDrills({
      items: [
        { fault: 'crash', service: 'db', round: 0 },
        { fault: 'hang', service: 'web', round: 0 },
        { fault: 'dependency-down', service: 'web', round: 0 },
        { fault: 'flapping', service: 'web', round: 0 },
      ],
      ctx,
      drivers: FAULT_DRIVERS,
      signal: new AbortController().signal,
      settleMs: 500,
      // a drill that hangs fails here with its results, not by the test's time limit
      timeoutMs: 15_000,
      progress: (p: DrillProgress) => {
        const line = `${p.index}:${p.phase}`
        if (phases.at(-1) !== line) phases.push(line)
      },
    })
    const why = JSON.stringify(results, null, 2)
    expect(
      results.map((r) => [r.fault, r.service, r.outcome, r.actions.length, r.doubleActions, r.falseAlerts]),
      why,
    ).toEqual([
      ['crash', 'db', 'healed', 1, 0, 0],
      ['hang', 'web', 'healed', 1, 0, 0],
      ['dependency-down', 'web', 'healed', 1, 0, 0],
      ['flapping', 'web', 'healed', 3, 0, 0],
    ])
    for (const r of results) expect(r.detectMs, why).not.toBeNull()
    // dependency first: db, which was stopped, is restarted; web, which needs it, is not
    expect(results[2]!.actions[0], why).toMatch(/^db: /)
    expect(phases.slice(0, 3)).toEqual(['0:waiting for healthy', '0:injected', '0:restoring'])
    expect(ctx.restorer.pending).toEqual([])
  })

  it('should stop at an abort with the drill in progress measured and its fault undone', async () => {
    const ctx = await fleet()
    const abort = new AbortController()
    const results = await runDrills({
      items: [
        { fault: 'hang', service: 'db', round: 0 },
        { fault: 'crash', service: 'db', round: 0 },
      ],
      ctx,
      drivers: FAULT_DRIVERS,
      signal: abort.signal,
      progress: (p) => {
        if (p.phase === 'injected') abort.abort()
      },
    })
    expect(results).toHaveLength(1)
    expect(results[0]).toMatchObject({ fault: 'hang', outcome: 'failed' })
    expect(results[0]!.detail).toMatch(/interrupted/)
    expect(ctx.restorer.pending).toEqual([])
    // SIGCONT: the stopped db answers again without noa restarting it
    const check = ctx.config.services[0]!.check as { url: string }
    await until(async () => (await fetch(check.url)).ok, 10_000, 'db answering')
  })
})

describe('a store-down drill, against a real agent, its real store and real services', () => {
  /** One store-down drill on db, waiting for the repair at most `timeoutMs`. */
  const storeDown = (ctx: FaultContext, timeoutMs: number) =>
    runDrills({
      items: [{ fault: 'store-down', service: 'db', round: 0 }],
      ctx,
      drivers: FAULT_DRIVERS,
      signal: new AbortController().signal,
      settleMs: 500,
      timeoutMs,
    })

  it("should heal a crash while another connection holds the store's lock, and find its healing and alerts in the store once released", async () => {
    // a short busy timeout: the drill holds the lock from this process, which the agent shares
    const ctx = await fleet({ type: 'sqlite', path: 'data/noa.db', busyTimeoutMs: 200 })
    const results = await storeDown(ctx, 15_000)
    const why = JSON.stringify(results, null, 2)
    expect(results, why).toMatchObject([
      { fault: 'store-down', service: 'db', outcome: 'healed', doubleActions: 0, falseAlerts: 0 },
    ])
    expect(results[0]!.actions, why).toEqual(['db: process-restart (process-exit) succeeded'])
    expect(results[0]!.detail, why).toMatch(
      /^store held [\d.]+ s \(the write lock of its SQLite file\), seen down by the agent after [\d.]+ s, working again [\d.]+ s after the release; the drill's healings and alerts are in the store$/,
    )
    expect(ctx.restorer.pending).toEqual([])
    // what the drill read back is what the store holds
    const stored = await agent!.agent.store.healing.healings({ service: 'db' })
    expect(
      stored.map((r) => r.outcome),
      why,
    ).toEqual(['succeeded'])
  })

  it.skipIf(!process.env.NOA_TEST_POSTGRES_URL)(
    "should detect and alert a crash while another connection locks the store's PostgreSQL tables, and not heal it: healing needs its lease in the store",
    async () => {
      const schema = `noa_test_drill_${process.pid}_${Date.now().toString(36)}`
      const url = process.env.NOA_TEST_POSTGRES_URL!
      try {
        const ctx = await fleet(
          { type: 'postgres', connectionString: '$' + '{PG_URL}', schema, queryTimeoutMs: 1000 },
          { PG_URL: url },
        )
        const results = await storeDown(ctx, 8000)
        const why = JSON.stringify(results, null, 2)
        // one agent heals a service at a time: with the store's leases out of reach, none does
        expect(results, why).toMatchObject([
          {
            fault: 'store-down',
            service: 'db',
            outcome: 'failed',
            actions: [],
            doubleActions: 0,
            falseAlerts: 0,
          },
        ])
        expect(results[0]!.detectMs, why).not.toBeNull()
        expect(results[0]!.alertMs, why).not.toBeNull()
        expect(results[0]!.detail, why).toMatch(
          /^not healthy again \(waited 8 s\); store held [\d.]+ s \(the tables of its PostgreSQL schema \w+ \(EXCLUSIVE locks\)\), seen down by the agent after [\d.]+ s, no healing acted \(with PostgreSQL a healing takes its lease in the store\), working again [\d.]+ s after the release; the drill's healings and alerts are in the store$/,
        )
        expect(ctx.restorer.pending).toEqual([])
      } finally {
        await agent?.close()
        agent = undefined
        const admin = new pg.Client({ connectionString: url })
        await admin.connect()
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
        await admin.end()
      }
    },
  )
})

/** Node running a TypeScript file of the repository, as the demo service is started in tests. */
const TSX_ARGS = [process.execPath, '--conditions=@noa/source', '--import', tsx]

/**
 * A real agent supervising the real demo service on `port` (checked, scraped, marked for
 * drills) with the default rules and `rule`, until the service is healthy; the drill context
 * on its API.
 */
async function demoFleet(options: {
  port: number
  rule: Record<string, unknown>
  selfHealing: Record<string, unknown>
  traffic: number
  shutdownTimeoutMs: number
  rollback?: string[]
  apiToken?: string
}): Promise<FaultContext> {
  const { port, apiToken } = options
  agent = await startAgent(
    {
      healthChecks: { interval: 500, timeout: 500, retries: 0 },
      metrics: { collectInterval: 300 },
      selfHealing: { restartCooldown: 0, ...options.selfHealing },
      alerting: { groupWait: 0, channels: {}, rules: ['defaults', options.rule] },
      services: [
        {
          name: 'demo',
          drill: true,
          check: { type: 'http', url: `http://127.0.0.1:${port}/health` },
          metrics: `http://127.0.0.1:${port}/metrics`,
          executor: {
            type: 'local',
            command: [
              ...TSX_ARGS,
              demo,
              '--name',
              'demo',
              '--port',
              String(port),
              '--traffic',
              String(options.traffic),
            ],
            ...(options.rollback ? { rollback: options.rollback } : {}),
            shutdownTimeoutMs: options.shutdownTimeoutMs,
          },
        },
      ],
    },
    apiToken ? { apiToken } : {},
  )
  const api = new AgentClient(agent.url, apiToken)
  await until(async () => (await api.state('demo')) === 'healthy', 30_000, 'the demo service healthy')
  return { config: agent.agent.config, configFile: '', baseDir: agent.dir, api, restorer: new Restorer() }
}

describe('a memory drill, against a real agent and the real demo service', () => {
  it('should grow the demo service through its knob, see the alert, restart it gracefully once and measure it healed', async () => {
    const port = await freePort()
    // the demo under tsx holds about 100 MB; its knob grows 32 MiB/s: about 2 s to cross this
    const threshold = 170e6
    const ctx = await demoFleet({
      port,
      // the demo starts under tsx: give it time to answer before the restart is verified
      selfHealing: { strategies: { serviceRestart: { cooldown: 0, stopWait: 100, startWait: 2500 } } },
      rule: {
        name: 'memory-growth',
        scope: 'service',
        condition: `process_resident_memory_bytes > ${threshold}`,
        severity: 'warning',
        for: 500,
        actions: ['notify', { type: 'heal', trigger: 'memory-leak' }],
      },
      traffic: 0,
      shutdownTimeoutMs: 2000,
    })
    // the plan asks the service for its knob: the demo answers it
    await healedByRule('memory', ctx, 'demo: graceful-restart (memory-leak) succeeded')
    // the process noa started in its place holds nothing and is under the threshold
    const knob = (await (await fetch(`http://127.0.0.1:${port}/drill/memory`)).json()) as {
      heldBytes: number
    }
    expect(knob.heldBytes).toBe(0)
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
    expect(Number(/^process_resident_memory_bytes (\S+)$/m.exec(text)?.[1])).toBeLessThan(threshold)
  })
})

/**
 * Plans one drill of `fault` on the demo service (the plan asks the service for its knob), runs
 * it and checks what a drill of a fault seen by its rule shows once healed: detected at its
 * alert, repaired after, `action` its one action, nothing left to undo.
 */
async function healedByRule(fault: DrillFault, ctx: FaultContext, action: string): Promise<void> {
  const plan = await planDrills({ faults: [fault], rounds: 1, yes: false }, FAULT_DRIVERS, ctx)
  expect(plan).toEqual({ ok: true, items: [{ fault, service: 'demo', round: 0 }], notes: [] })
  const [result] = await runDrills({
    items: plan.ok ? plan.items : [],
    ctx,
    drivers: FAULT_DRIVERS,
    signal: new AbortController().signal,
    settleMs: 500,
    timeoutMs: 30_000,
  })
  const why = JSON.stringify(result, null, 2)
  expect(result, why).toMatchObject({
    fault,
    service: 'demo',
    outcome: 'healed',
    actions: [action],
    doubleActions: 0,
    falseAlerts: 0,
  })
  expect(result!.detectMs, why).toBeGreaterThan(0)
  expect(result!.alertMs, why).toBe(result!.detectMs)
  expect(result!.repairMs!, why).toBeGreaterThan(result!.detectMs!)
  expect(ctx.restorer.pending).toEqual([])
}

const rollbackCommand = resolve(import.meta.dirname, '..', '..', 'demo', 'src', 'rollback.ts')

/**
 * A real agent (with `apiToken` when given) running the real demo service with its deploy knob
 * and rollback command, a per-service rule on its failing requests that heals
 * `deployment-failure`, and rollbacks that need an approval; the drill context on its API.
 */
async function deployFleet(apiToken?: string): Promise<{ ctx: FaultContext; port: number }> {
  const port = await freePort()
  const ctx = await demoFleet({
    port,
    ...(apiToken ? { apiToken } : {}),
    selfHealing: {
      approvalPollInterval: 100,
      strategies: {
        serviceRestart: { cooldown: 0, stopWait: 100, startWait: 300 },
        rollback: { enabled: true, automatic: false, approvalRequired: true },
      },
    },
    rule: {
      name: 'bad-deploy',
      scope: 'service',
      condition: 'demo_request_error_ratio > 0.5',
      severity: 'critical',
      for: 500,
      actions: ['notify', { type: 'heal', trigger: 'deployment-failure' }],
    },
    // traffic of its own: its failing requests are what the rule sees
    traffic: 20,
    rollback: [...TSX_ARGS, rollbackCommand, `http://127.0.0.1:${port}`],
    shutdownTimeoutMs: 5000,
  })
  return { ctx, port }
}

async function deployStatus(port: number): Promise<{ version: string; bad: boolean }> {
  return (await (await fetch(`http://127.0.0.1:${port}/drill/deploy`)).json()) as {
    version: string
    bad: boolean
  }
}

describe('a bad-deploy drill, against a real agent and the real demo service', () => {
  it('should see the failing requests, approve the rollback through the API and measure one rollback, healed', async () => {
    const token = 'drill-test-token'
    const { ctx, port } = await deployFleet(token)
    await healedByRule('bad-deploy', ctx, 'demo: rollback (deployment-failure) succeeded')
    // the rollback command put the good version back; the drill approved it with the token of
    // NOA_API_TOKEN (an admin named admin), and its own name is kept in the comment
    expect(await deployStatus(port)).toMatchObject({ version: '1.0.0', bad: false })
    const { body } = await ctx.api.get<{
      approvals: Array<{ status: string; decidedBy?: string; comment?: string }>
    }>('/api/approvals?status=approved')
    expect(body.approvals).toEqual([
      expect.objectContaining({
        status: 'approved',
        decidedBy: 'admin',
        comment: expect.stringMatching(/^\(by noa drill\) the drill of a bad deploy of /),
      }),
    ])
  })

  it('should end escalated, saying the token is missing, when it cannot approve the rollback', async () => {
    const { ctx, port } = await deployFleet()
    const [result] = await runDrills({
      items: [{ fault: 'bad-deploy', service: 'demo', round: 0 }],
      ctx,
      drivers: FAULT_DRIVERS,
      signal: new AbortController().signal,
      settleMs: 500,
      timeoutMs: 30_000,
    })
    const why = JSON.stringify(result, null, 2)
    expect(result, why).toMatchObject({ fault: 'bad-deploy', outcome: 'escalated', doubleActions: 0 })
    expect(result!.detail, why).toMatch(/demo rollback awaits approval/)
    expect(result!.detail, why).toMatch(/set NOA_API_TOKEN/)
    // the rollback still waits for a person; the drill's undo put the good version back
    expect(result!.actions, why).toEqual(['demo: rollback (deployment-failure) running'])
    expect(await deployStatus(port)).toMatchObject({ version: '1.0.0', bad: false })
    expect(ctx.restorer.pending).toEqual([])
  })
})
