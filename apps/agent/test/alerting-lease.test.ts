import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openStore, type StoreConfig } from '@noa/store'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Agent } from '../src/agent.ts'
import { formatConfigIssues, validateConfig } from '../src/config/load.ts'
import { dropSchema, type HookServer, startHookServer, until } from './helpers.ts'

const url = process.env.NOA_TEST_POSTGRES_URL
if (!url) console.warn('NOA_TEST_POSTGRES_URL is not set: the alerting lease test is skipped')

describe.skipIf(!url)('alerting with several agents on one PostgreSQL', () => {
  const schema = `noa_agent_alerting_${process.pid}_${Date.now().toString(36)}`
  const dirs: string[] = []
  const agents: Agent[] = []
  const health: Record<string, number> = { api: 503, db: 200 }
  let hooks: HookServer
  const mentions = (service: string) => hooks.mentions(service)

  beforeAll(async () => {
    hooks = await startHookServer(health)
  })
  afterAll(async () => {
    for (const a of agents) await a.stop()
    await hooks?.close()
    await dropSchema(url!, schema)
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })

  const start = async (agentId: string) => {
    const base = hooks.base
    const dir = mkdtempSync(join(tmpdir(), 'noa-alerting-lease-'))
    dirs.push(dir)
    const result = validateConfig(
      {
        healthChecks: { interval: 200, timeout: 500, retries: 0 },
        metrics: { enabled: false },
        selfHealing: { enabled: false, leaseTtl: 1500 },
        alerting: { groupWait: 0, channels: { hook: { type: 'webhook', url: ['$', '{HOOK}'].join('') } } },
        store: { type: 'postgres', connectionString: ['$', '{PG}'].join(''), schema },
        services: ['api', 'db'].map((name) => ({
          name,
          critical: true,
          check: { type: 'http', url: `${base}/health/${name}` },
        })),
      },
      { PG: url!, HOOK: `${base}/hook` },
    )
    if (!result.ok) throw new Error(formatConfigIssues(result.issues).join('\n'))
    const agent = await Agent.create(result.config, { baseDir: dir, agentId, write: () => undefined })
    agents.push(agent)
    await agent.start()
    return agent
  }

  it('should notify a service-down once, not once per agent, and let a survivor take over alerting', async () => {
    // A dead agent still holds the alerting lease: nobody notifies until it runs out.
    const ghost = await openStore({ type: 'postgres', connectionString: url, schema } as StoreConfig)
    expect(await ghost.leases.acquireLease('alerting', 'ghost', 1500, Date.now())).toBe(true)
    await ghost.close()

    const [a1, a2] = [await start('a1'), await start('a2')]
    expect(a1.alerting || a2.alerting).toBe(false)

    // Within the TTL one agent takes over and the api outage is notified.
    await until(() => mentions('api').length > 0, 20_000, 'the api service-down notification')
    const holder = a1.alerting ? a1 : a2
    const other = holder === a1 ? a2 : a1
    expect(holder.alerting).toBe(true)
    expect(other.alerting).toBe(false)
    // Both agents see api down; give the other time to (wrongly) notify as well.
    await until(
      () => other.health.status('api').state === 'unhealthy',
      10_000,
      'the other agent to see api down',
    )
    await new Promise((r) => setTimeout(r, 1500))
    expect(mentions('api')).toHaveLength(1)

    // The holder goes away: the other agent takes the lease and notifies the next outage.
    await holder.stop()
    await until(() => other.alerting, 10_000, 'the other agent to take the alerting lease')
    health.db = 503
    await until(() => mentions('db').length > 0, 20_000, 'the db service-down notification')
    await new Promise((r) => setTimeout(r, 1000))
    expect(mentions('db')).toHaveLength(1)
    // The api outage the first holder announced is not announced again by the new holder.
    expect(mentions('api')).toHaveLength(1)
  }, 60_000)
})
