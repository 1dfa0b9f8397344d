import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SlosBody } from '../src/http/api-types.ts'
import { startAgent, type TestAgent, until } from './helpers.ts'

/**
 * A service whose /metrics has a latency histogram (bounds 0.1, 0.25 and 0.5 s): between two
 * scrapes it answered 100 requests, 90 of them within 250 ms.
 */
async function histogramService() {
  let scrapes = 0
  const server: Server = createServer((req, res) => {
    if (req.url !== '/metrics') return void res.writeHead(200).end('ok')
    scrapes++
    const n = (k: number) => k * scrapes
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
    res.end(
      [
        '# TYPE http_request_duration_seconds histogram',
        `http_request_duration_seconds_bucket{route="/a",le="0.1"} ${n(40)}`,
        `http_request_duration_seconds_bucket{route="/a",le="0.25"} ${n(45)}`,
        `http_request_duration_seconds_bucket{route="/a",le="0.5"} ${n(48)}`,
        `http_request_duration_seconds_bucket{route="/a",le="+Inf"} ${n(50)}`,
        `http_request_duration_seconds_count{route="/a"} ${n(50)}`,
        `http_request_duration_seconds_sum{route="/a"} ${n(5)}`,
        `http_request_duration_seconds_bucket{route="/b",le="0.1"} ${n(40)}`,
        `http_request_duration_seconds_bucket{route="/b",le="0.25"} ${n(45)}`,
        `http_request_duration_seconds_bucket{route="/b",le="0.5"} ${n(50)}`,
        `http_request_duration_seconds_bucket{route="/b",le="+Inf"} ${n(50)}`,
        `http_request_duration_seconds_count{route="/b"} ${n(50)}`,
        `http_request_duration_seconds_sum{route="/b"} ${n(5)}`,
        '',
      ].join('\n'),
    )
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}

describe('SLOs through the API', () => {
  let svc: Awaited<ReturnType<typeof histogramService>>
  let t: TestAgent
  const get = async (path: string) => {
    const res = await fetch(`${t.url}${path}`)
    const text = await res.text()
    return { status: res.status, text, json: () => JSON.parse(text) }
  }

  beforeAll(async () => {
    svc = await histogramService()
    t = await startAgent(
      {
        healthChecks: { interval: 200, timeout: 500, retries: 0 },
        metrics: { collectInterval: 200, storage: { enabled: false } },
        slo: { interval: 1000 },
        services: [
          {
            name: 'api',
            check: { type: 'http', url: `${svc.url}/health` },
            metrics: `${svc.url}/metrics`,
            slo: {
              availability: { objective: 99.9 },
              latency: { objective: 99, thresholdMs: 250, metric: 'http_request_duration_seconds' },
              holdRiskyHealing: true,
            },
          },
          {
            name: 'web',
            check: { type: 'http', url: `${svc.url}/health` },
            metrics: `${svc.url}/metrics`,
            slo: { latency: { objective: 99, thresholdMs: 300, metric: 'http_request_duration_seconds' } },
          },
          { name: 'docs', check: { type: 'http', url: `${svc.url}/health` } },
        ],
      },
      { start: false },
    )
    // The last hour as an earlier agent stored it: api down for its last 3 minutes (5 %).
    const now = Date.now()
    const samples = []
    for (let at = now - 3_600_000; at < now; at += 10_000)
      samples.push({
        name: 'noa_service_up',
        labels: { service: 'api' },
        value: at >= now - 180_000 ? 0 : 1,
        at,
      })
    await t.agent.store.samples.append(samples)
    await t.agent.start()
  })
  afterAll(async () => {
    await t?.close()
    await svc?.close()
  })

  it('should list every service with an SLO, its budget left and burn rates, in pages', async () => {
    const body = await until(
      async () => {
        const b = (await get('/api/slos')).json() as SlosBody
        const latency = b.slos.find((s) => s.service === 'api')?.slos.find((s) => s.slo === 'latency')
        return latency?.burnRates['5m'] !== undefined ? b : undefined
      },
      20_000,
      'the latency SLO of api',
    )
    expect(body.total).toBe(2)
    expect(body.spent).toBe(1)
    const api = body.slos.find((s) => s.service === 'api')!
    expect(api.spent).toBe(true)
    expect(api.holdRiskyHealing).toBe(true)
    const availability = api.slos.find((s) => s.slo === 'availability')!
    expect(availability.objective).toBe(99.9)
    expect(availability.windowDays).toBe(30)
    expect(availability.budgetRemaining).toBeLessThan(0)
    expect(availability.burnRates['1h']).toBeGreaterThan(40)
    // 10 % of requests slower than 250 ms against a 1 % allowance.
    const latency = api.slos.find((s) => s.slo === 'latency')!
    expect(latency.burnRates['5m']).toBeCloseTo(10, 1)
    expect(latency.problem).toBeUndefined()
    const web = body.slos.find((s) => s.service === 'web')!
    expect(web.slos[0]?.problem).toBe(
      'thresholdMs 300 is not a bucket bound of http_request_duration_seconds (le="0.3"); its bounds are 0.1, 0.25, 0.5 (s)',
    )

    const first = (await get('/api/slos?limit=1')).json() as SlosBody
    expect(first.slos.map((s) => s.service)).toEqual(['api'])
    expect(first.next).toBe('api')
    const second = (await get(`/api/slos?limit=1&after=${first.next}`)).json() as SlosBody
    expect(second.slos.map((s) => s.service)).toEqual(['web'])
    expect(second.next).toBeUndefined()
    const spent = (await get('/api/slos?spent=true')).json() as SlosBody
    expect(spent.slos.map((s) => s.service)).toEqual(['api'])
  })

  it('should refuse a bad page with a 400 naming the parameter', async () => {
    expect((await get('/api/slos?limit=0')).json()).toEqual({
      error: 'limit: expected a whole number from 1 to 1000; found "0"',
    })
    expect((await get('/api/slos?spent=yes')).status).toBe(400)
    expect((await get('/api/slos?sort=name')).json().error).toBe(
      '"sort": unknown parameter; allowed: limit, after, spent',
    )
  })

  it('should show the SLO on the service and none on a service without one', async () => {
    const api = (await get('/api/services/api')).json()
    expect(api.slo.service).toBe('api')
    expect(api.slo.slos.map((s: { slo: string }) => s.slo)).toEqual(['availability', 'latency'])
    expect((await get('/api/services/docs')).json().slo).toBeUndefined()
  })

  it('should expose the budgets and burn rates as gauges on /metrics', async () => {
    const text = (await get('/metrics')).text
    expect(text).toMatch(/^noa_slo_error_budget_remaining_ratio\{service="api",slo="availability"\} -\d/m)
    expect(text).toMatch(/^noa_slo_burn_rate\{service="api",slo="availability",window="1h"\} \d/m)
    expect(text).toMatch(/^noa_slo_burn_rate\{service="api",slo="latency",window="5m"\} \d/m)
    expect(text).not.toContain('service="docs",slo=')
  })
})
