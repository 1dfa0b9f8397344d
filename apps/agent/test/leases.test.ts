import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { alive, killAll, noa, readRunInfo, writeConfig } from './cli.ts'
import { until } from './helpers.ts'

const url = process.env.NOA_TEST_POSTGRES_URL
if (!url) console.warn('NOA_TEST_POSTGRES_URL is not set: the several-agents lease test is skipped')

describe.skipIf(!url)('several agents on one PostgreSQL', () => {
  const schema = `noa_agent_test_${process.pid}_${Date.now().toString(36)}`
  const dirs = ['a1', 'a2', 'a3'].map(() => mkdtempSync(join(tmpdir(), 'noa-lease-')))
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
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  })
  afterAll(async () => {
    killAll(dirs)
    for (const res of hung) res.destroy()
    server.closeAllConnections()
    await new Promise<void>((r) => server.close(() => r()))
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    await client.end()
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
