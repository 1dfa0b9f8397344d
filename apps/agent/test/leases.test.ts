import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openStore, type Store, type StoreConfig } from '@noa/store'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { alive, killAll, noa, readRunInfo, writeConfig } from './cli.ts'
import { dropSchema, type HookServer, startHookServer, until } from './helpers.ts'

const url = process.env.NOA_TEST_POSTGRES_URL
if (!url) console.warn('NOA_TEST_POSTGRES_URL is not set: the several-agents lease test is skipped')

describe.skipIf(!url)('several agents on one PostgreSQL', () => {
  const schema = `noa_agent_test_${process.pid}_${Date.now().toString(36)}`
  // Made in beforeAll: a skipped suite leaves nothing behind.
  const dirs: string[] = []
  const hung: ServerResponse[] = []
  const requests: string[] = []
  let healthy = false
  let acted = 0
  const server = createServer((req, res) => {
    if (req.url === '/health') return void res.writeHead(healthy ? 200 : 503).end()
    if (req.url === '/restart') {
      const agent = String(req.headers['x-agent'])
      requests.push(agent)
      // The first agent to restart hangs mid-healing: the test kills it there.
      if (requests.length === 1) return void hung.push(res)
      acted++
      healthy = true
      return void res.writeHead(200).end('restarted')
    }
    res.writeHead(404).end()
  })

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) dirs.push(mkdtempSync(join(tmpdir(), 'noa-lease-')))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  })
  afterAll(async () => {
    killAll(dirs)
    for (const res of hung) res.destroy()
    server.closeAllConnections()
    await new Promise<void>((r) => server.close(() => r()))
    await dropSchema(url!, schema)
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })

  it('should let exactly one other agent heal when the holder dies, restarting the service once', async () => {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const agents = dirs.map((dir, i) => {
      const name = `a${i + 1}`
      writeConfig(dir, {
        healthChecks: { interval: 200, timeout: 500, retries: 0 },
        metrics: { enabled: false },
        dashboard: { port: 0 },
        alerting: { channels: {} },
        selfHealing: {
          leaseTtl: 1500,
          restartCooldown: 0,
          gracefulShutdown: false,
          strategies: { serviceRestart: { cooldown: 0, stopWait: 0, startWait: 100 } },
        },
        store: { type: 'postgres', connectionString: ['$', '{NOA_PG}'].join(''), schema },
        services: [
          {
            name: 'api',
            check: { type: 'http', url: `${base}/health` },
            executor: {
              type: 'http',
              restart: { url: `${base}/restart`, headers: { 'x-agent': name }, timeoutMs: 60_000 },
            },
          },
        ],
      })
      return { name, dir, child: noa(['start'], dir, { NOA_PG: url!, NOA_AGENT_ID: name }) }
    })
    for (const a of agents) await until(() => readRunInfo(a.dir), 30_000, `agent ${a.name} to start`)

    // The service is down from the start: one agent takes the lease and hangs in its restart.
    await until(() => requests.length === 1, 30_000, 'the first restart')
    const holder = agents.find((a) => a.name === requests[0])!
    holder.child.kill('SIGKILL')
    await until(() => !alive(holder.child.pid), 5000, 'the holder to die')

    await until(() => healthy, 30_000, 'another agent to heal after the lease ran out')
    // Give the third agent time to retry: it must find the service healthy and do nothing.
    await new Promise((r) => setTimeout(r, 3000))
    expect(acted).toBe(1)
    expect(requests).toHaveLength(2)
    expect(requests[1]).not.toBe(holder.name)

    const survivor = agents.find((a) => a.name === requests[1])!
    const info = readRunInfo(survivor.dir)!
    const body = (await (await fetch(`http://127.0.0.1:${info.port}/api/healing?service=api`)).json()) as {
      healings: Array<{ outcome: string }>
    }
    expect(body.healings.filter((h) => h.outcome === 'succeeded')).toHaveLength(1)
    for (const a of agents) if (a !== holder) a.child.kill('SIGTERM')
    await Promise.all(agents.filter((a) => a !== holder).map((a) => a.child.done))
  })
})

describe.skipIf(!url)('alerting with several agent processes on one PostgreSQL', () => {
  const schema = `noa_agent_alerting_kill_${process.pid}_${Date.now().toString(36)}`
  const dirs: string[] = []
  let hooks: HookServer
  let store: Store | undefined

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) dirs.push(mkdtempSync(join(tmpdir(), 'noa-alerting-kill-')))
    hooks = await startHookServer({ api: 503, db: 200 })
    store = await openStore({ type: 'postgres', connectionString: url, schema } as StoreConfig)
  })
  afterAll(async () => {
    killAll(dirs)
    await store?.close()
    await hooks?.close()
    await dropSchema(url!, schema)
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })

  it('should notify an outage once with three agents, and the next one once after the holder is killed', async () => {
    const { base, health, mentions } = hooks
    const agents = dirs.map((dir, i) => {
      const name = `n${i + 1}`
      writeConfig(dir, {
        healthChecks: { interval: 200, timeout: 500, retries: 0 },
        metrics: { enabled: false },
        dashboard: { port: 0 },
        selfHealing: { enabled: false, leaseTtl: 1500 },
        alerting: {
          groupWait: 0,
          channels: { hook: { type: 'webhook', url: ['$', '{NOA_HOOK}'].join('') } },
        },
        store: { type: 'postgres', connectionString: ['$', '{NOA_PG}'].join(''), schema },
        services: ['api', 'db'].map((service) => ({
          name: service,
          critical: true,
          check: { type: 'http', url: `${base}/health/${service}` },
        })),
      })
      const env = { NOA_PG: url!, NOA_HOOK: `${base}/hook`, NOA_AGENT_ID: name }
      return { name, dir, child: noa(['start'], dir, env) }
    })
    for (const a of agents) await until(() => readRunInfo(a.dir), 30_000, `agent ${a.name} to start`)

    // api is down from the start: every agent sees it, the alerting-lease holder alone notifies.
    await until(() => mentions('api').length > 0, 30_000, 'the api service-down notification')
    const holder = await store!.leases.leaseHolder('alerting', Date.now())
    const killed = agents.find((a) => a.name === holder?.holder)
    expect(killed, `alerting lease holder ${holder?.holder}`).toBeDefined()
    await new Promise((r) => setTimeout(r, 2000))
    expect(mentions('api')).toHaveLength(1)

    // The holder dies without releasing its lease: a survivor takes it once it runs out.
    killed!.child.kill('SIGKILL')
    await until(() => !alive(killed!.child.pid), 5000, 'the holder to die')
    await until(
      async () => {
        const next = await store!.leases.leaseHolder('alerting', Date.now())
        return next !== undefined && next.holder !== killed!.name
      },
      30_000,
      'a survivor to take the alerting lease',
    )
    health.db = 503
    await until(() => mentions('db').length > 0, 30_000, 'the db service-down notification')
    await new Promise((r) => setTimeout(r, 2000))
    expect(mentions('db')).toHaveLength(1)
    // The new holder reloads the firing alerts from the shared log: api is not announced again.
    expect(mentions('api')).toHaveLength(1)

    const survivors = agents.filter((a) => a !== killed)
    for (const a of survivors) a.child.kill('SIGTERM')
    await Promise.all(survivors.map((a) => a.child.done))
  })
})
