import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, Agent as HttpAgent, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { killAll, noa, readRunInfo, run, writeConfig } from './cli.ts'
import { until } from './helpers.ts'

const SERVICES = 50
const LOAD_MS = 8000
const CONCURRENCY = 32

/** The share of observations at or under `le` seconds in a Prometheus histogram of the exposition. */
function shareUnder(text: string, name: string, le: string): { share: number; count: number } {
  const bucket = new RegExp(`^${name}_bucket\\{le="${le.replace('.', '\\.')}"\\} (\\d+)$`, 'm').exec(text)
  const count = new RegExp(`^${name}_count (\\d+)$`, 'm').exec(text)
  const total = Number(count?.[1] ?? 0)
  return { share: total === 0 ? 0 : Number(bucket?.[1] ?? 0) / total, count: total }
}

describe('checks while the API is hammered (a real agent process)', () => {
  let dir = ''
  let services: Server

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'noa-api-load-'))
    // A hostile service: 200,000 series in one /metrics (about 7 MB), made once.
    const hostile = Array.from({ length: 200_000 }, (_, i) => `hostile_series{id="${i}"} ${i}`).join('\n')
    services = createServer((req, res) => {
      if (req.url === '/metrics/hostile') return void res.writeHead(200).end(`${hostile}\n`)
      if (req.url?.startsWith('/metrics/'))
        return void res
          .writeHead(200)
          .end('http_requests_total{status="200"} 10\nbusiness_metric{name="orders"} 3\n')
      res.writeHead(200).end('ok')
    })
    await new Promise<void>((r) => services.listen(0, '127.0.0.1', r))
  })
  afterAll(async () => {
    killAll([dir])
    await run(['stop', '--timeout', '2000'], dir)
    services.closeAllConnections()
    await new Promise<void>((r) => services.close(() => r()))
    rmSync(dir, { recursive: true, force: true })
  })

  it('should start every scheduled check within 500 ms of its time at p99, answer every request, and alert once about a hostile /metrics', async () => {
    const base = `http://127.0.0.1:${(services.address() as AddressInfo).port}`
    writeConfig(dir, {
      healthChecks: { interval: 500, timeout: 500, retries: 0 },
      metrics: { collectInterval: 1000, storage: { enabled: false } },
      dashboard: { port: 0 },
      alerting: { channels: {} },
      services: [
        ...Array.from({ length: SERVICES }, (_, i) => ({
          name: `svc-${i}`,
          check: { type: 'http', url: `${base}/health/${i}` },
          metrics: `${base}/metrics/${i}`,
        })),
        {
          name: 'hostile',
          check: { type: 'http', url: `${base}/health/hostile` },
          metrics: `${base}/metrics/hostile`,
        },
      ],
    })
    const agent = noa(['start'], dir)
    const info = await until(() => readRunInfo(dir), 30_000, 'the agent to start')
    const api = `http://127.0.0.1:${info.port}`
    const status = async () => (await (await fetch(`${api}/api/status`)).json()) as { health: string }
    await until(async () => (await status()).health === 'healthy', 20_000, 'every service checked')
    const before = await (await fetch(`${api}/metrics`)).text()
    const paths = [
      '/api/status',
      '/api/health',
      '/api/metrics/recent?limit=1000',
      '/api/healing?limit=1000',
      '/api/alerts',
      '/api/services/svc-1',
      `/api/metrics/query?name=noa_service_up&from=${Date.now() - 3_600_000}`,
      '/metrics',
    ]
    const keepAlive = new HttpAgent({ keepAlive: true, maxSockets: CONCURRENCY })
    const get = (path: string) =>
      new Promise<number>((resolveGet, reject) => {
        const req = request(`${api}${path}`, { agent: keepAlive }, (res) => {
          res.resume()
          res.on('end', () => resolveGet(res.statusCode ?? 0))
        })
        req.on('error', reject)
        req.end()
      })
    const end = Date.now() + LOAD_MS
    const statuses: number[] = []
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, worker) => {
        for (let i = worker; Date.now() < end; i++) statuses.push(await get(paths[i % paths.length]!))
      }),
    )
    keepAlive.destroy()
    const after = await (await fetch(`${api}/metrics`)).text()
    const { alerts } = (await (await fetch(`${api}/api/alerts`)).json()) as {
      alerts: Array<{ rule: string; state: string; labels: Record<string, string> }>
    }
    agent.kill('SIGTERM')
    await agent.done

    expect(statuses.length).toBeGreaterThan(100)
    expect(statuses.every((s) => s === 200)).toBe(true)
    // Only the checks that started while the API was hammered.
    const under = shareUnder(after, 'noa_check_lateness_seconds', '0.5')
    const earlier = shareUnder(before, 'noa_check_lateness_seconds', '0.5')
    const count = under.count - earlier.count
    const onTime = under.share * under.count - earlier.share * earlier.count
    expect(count).toBeGreaterThan(SERVICES * 4)
    expect(onTime / count).toBeGreaterThanOrEqual(0.99)
    // What was over the limits was dropped and counted, and the one alert is about it.
    expect(after).toMatch(/noa_scrape_dropped_series_total\{service="hostile",reason="series_limit"\} [1-9]/)
    expect(alerts.filter((a) => a.state === 'firing').map((a) => `${a.rule}/${a.labels.service}`)).toEqual([
      'scrape-limited/hostile',
    ])
  })
})
