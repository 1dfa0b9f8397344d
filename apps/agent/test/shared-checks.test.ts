import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ownerOf } from '../src/cluster/ownership.ts'
import { killAll, noa, readRunInfo, writeConfig } from './cli.ts'
import { dropSchema, until } from './helpers.ts'

const url = process.env.NOA_TEST_POSTGRES_URL
if (!url) console.warn('NOA_TEST_POSTGRES_URL is not set: the shared checks test is skipped')

const SERVICES = Array.from({ length: 30 }, (_, i) => `svc-${String(i).padStart(2, '0')}`)
const AGENTS = ['agent-a', 'agent-b', 'agent-c']
const INTERVAL = 500

interface HealthBody {
  cluster?: { members: number; checkedHere: number }
}
interface StatusBody {
  services: Array<{ name: string; state: string }>
}

/** A real HTTP server: `/health/<service>` answers the status set in `status`; every hit and notification is kept. */
async function startFleet() {
  const status: Record<string, number> = {}
  const hits = new Map<string, number>()
  const notifications: Array<{ key: string; body: string }> = []
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/health/')) {
      const service = req.url.slice(8)
      hits.set(service, (hits.get(service) ?? 0) + 1)
      return void res.writeHead(status[service] ?? 200).end()
    }
    let body = ''
    req.on('data', (c) => {
      body += c
    })
    req.on('end', () => {
      notifications.push({ key: String(req.headers['idempotency-key']), body })
      res.writeHead(200).end()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    status,
    hits,
    notifications,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}

describe.skipIf(!url)(
  'agents sharing the checks of one fleet (three real agent processes, PostgreSQL)',
  () => {
    const schema = `noa_shared_checks_${process.pid}_${Date.now().toString(36)}`
    const dirs: string[] = []
    let fleet: Awaited<ReturnType<typeof startFleet>>

    beforeAll(async () => {
      fleet = await startFleet()
    })
    afterAll(async () => {
      killAll(dirs)
      await fleet?.close()
      await dropSchema(url!, schema)
      for (const d of dirs) rmSync(d, { recursive: true, force: true })
    })

    async function start(agentId: string) {
      const dir = mkdtempSync(join(tmpdir(), 'noa-shared-'))
      dirs.push(dir)
      writeConfig(dir, {
        healthChecks: { interval: INTERVAL, timeout: 2000, retries: 0 },
        metrics: { enabled: false },
        dashboard: { port: 0, refreshInterval: 500 },
        selfHealing: { enabled: false, leaseTtl: 3000 },
        cluster: { shareChecks: true, memberTtl: 3000 },
        alerting: {
          groupWait: 0,
          channels: { hook: { type: 'webhook', url: '$' + '{HOOK}' } },
        },
        store: { type: 'postgres', connectionString: '$' + '{PG}', schema },
        services: SERVICES.map((name) => ({
          name,
          critical: true,
          check: { type: 'http', url: `${fleet.base}/health/${name}` },
        })),
      })
      const agent = noa(['start'], dir, { HOOK: `${fleet.base}/hook`, PG: url!, NOA_AGENT_ID: agentId })
      const info = await until(
        () => {
          const i = readRunInfo(dir)
          return i?.pid === agent.pid && i
        },
        30_000,
        `${agentId} to start`,
      )
      const api = async <T>(path: string): Promise<T> =>
        (await (await fetch(`http://127.0.0.1:${info.port}${path}`)).json()) as T
      return { agentId, agent, api }
    }

    /** The deliveries of a firing service-down alert about `service` (one sent again keeps its key). */
    const downs = (service: string) => [
      ...new Set(
        fleet.notifications
          .filter(({ body }) =>
            (
              JSON.parse(body) as { alerts: Array<{ status: string; labels: Record<string, string> }> }
            ).alerts.some(
              (a) =>
                a.status === 'firing' &&
                a.labels.alertname === 'service-down' &&
                a.labels.service === service,
            ),
          )
          .map(({ key }) => key),
      ),
    ]

    /** Health hits per service over `ms`. */
    async function hitsOver(ms: number): Promise<number[]> {
      fleet.hits.clear()
      await new Promise((r) => setTimeout(r, ms))
      return SERVICES.map((s) => fleet.hits.get(s) ?? 0)
    }

    it('should check each service from one agent, show the whole fleet on every agent, and move a dead agent’s services', async () => {
      const agents = await Promise.all(AGENTS.map(start))
      const clusters = () => Promise.all(agents.map((a) => a.api<HealthBody>('/api/health')))
      await until(
        async () => (await clusters()).every((h) => h.cluster?.members === 3),
        20_000,
        'every agent to see three members',
      )
      const shares = await until(async () => {
        const checkedHere = (await clusters()).map((h) => h.cluster!.checkedHere)
        return checkedHere.reduce((a, b) => a + b, 0) === SERVICES.length && checkedHere
      }, 10_000)
      for (const share of shares) expect(share).toBeGreaterThan(0)

      // Every service is checked about once per interval, not once per agent: 2 s is 5 intervals.
      const hits = await hitsOver(2000)
      for (const count of hits) expect(count).toBeGreaterThanOrEqual(2)
      for (const count of hits) expect(count).toBeLessThanOrEqual(8)

      // Every agent shows every service, those the others check included.
      for (const a of agents)
        await until(
          async () => {
            const body = await a.api<StatusBody>('/api/status')
            return (
              body.services.length === SERVICES.length && body.services.every((s) => s.state === 'healthy')
            )
          },
          10_000,
          `${a.agentId} to show the whole fleet healthy`,
        )

      // The agent that checks svc-07 dies without a word; svc-07 goes down meanwhile.
      const victim = agents.find((a) => a.agentId === ownerOf('svc-07', AGENTS))!
      const survivors = agents.filter((a) => a !== victim)
      victim.agent.kill('SIGKILL')
      await victim.agent.done
      fleet.status['svc-07'] = 503

      // The survivors take its services when its membership runs out, and the outage is notified once.
      await until(() => downs('svc-07').length > 0, 20_000, 'the svc-07 service-down notification')
      await until(
        async () => {
          const after = await Promise.all(survivors.map((a) => a.api<HealthBody>('/api/health')))
          return (
            after.every((h) => h.cluster?.members === 2) &&
            after.reduce((sum, h) => sum + h.cluster!.checkedHere, 0) === SERVICES.length
          )
        },
        10_000,
        'the two survivors to share every service',
      )
      for (const count of await hitsOver(2000)) expect(count).toBeGreaterThanOrEqual(2)
      for (const a of survivors)
        await until(
          async () =>
            (await a.api<StatusBody>('/api/status')).services.find((s) => s.name === 'svc-07')?.state ===
            'unhealthy',
          10_000,
          `${a.agentId} to show svc-07 down`,
        )
      await new Promise((r) => setTimeout(r, 1500))
      expect(downs('svc-07'), 'one firing notification of svc-07, however many deliveries').toHaveLength(1)
      for (const a of survivors) {
        a.agent.kill('SIGTERM')
        expect((await a.agent.done).code).toBe(0)
      }
    }, 90_000)
  },
)
