import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { HttpMetrics, MetricsCollector, Registry } from '@noa/metrics'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applicationOf, delta, MAX_SCRAPE_BYTES, mergeTotals, quantileMs, scrape } from './scrape.ts'

describe('scrape', () => {
  let server: Server
  let base = ''
  let text = ''
  let contentType = 'text/plain; version=0.0.4'
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/500') return void res.writeHead(500).end()
      if (req.url === '/moved') return void res.writeHead(302, { location: '/metrics' }).end()
      if (req.url === '/loop') return void res.writeHead(307, { location: '/loop' }).end()
      if (req.url === '/slow') return // never answers
      if (req.url === '/huge') {
        res.writeHead(200, { 'content-type': contentType })
        const line = `${'x'.repeat(1023)}\n`
        for (let i = 0; i < MAX_SCRAPE_BYTES / 1024 + 1; i++) res.write(line)
        return void res.end()
      }
      res.writeHead(200, { 'content-type': contentType }).end(text)
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((r) => server.close(() => r())))

  it('should read requests, errors, latency and business figures of a service instrumented with @noa/metrics', async () => {
    const registry = new Registry()
    const http = new HttpMetrics({ registry, buckets: [0.01, 0.1, 1] })
    const collector = new MetricsCollector({ registry, http })
    for (let i = 0; i < 90; i++) http.record({ method: 'GET', route: '/x', status: 200, durationMs: 5 })
    for (let i = 0; i < 10; i++) http.record({ method: 'GET', route: '/x', status: 503, durationMs: 500 })
    collector.setBusiness('activeUsers', 42)
    text = registry.render('prometheus')
    const result = await scrape(`${base}/metrics`, 2000, 1000)
    expect(result.ok).toBe(true)
    expect(result.business).toEqual({ activeUsers: 42 })
    expect(result.totals).toMatchObject({ requests: 100, errors: 10, latencyCount: 100 })
    const app = applicationOf(result.totals!, 0, result.totals!)
    expect(app.requests).toEqual({ total: 100, successful: 90, failed: 10, errors: 10, errorRate: 0.1 })
    expect(app.latency?.average).toBeCloseTo(54.5, 1)
    expect(app.latency?.p50).toBeLessThanOrEqual(10)
    expect(app.latency?.p99).toBeGreaterThan(100)
  })

  it('should parse OpenMetrics when the service answers with it', async () => {
    contentType = 'application/openmetrics-text; version=1.0.0'
    text = '# TYPE http_requests counter\nhttp_requests_total{status="200"} 5\n# EOF\n'
    const result = await scrape(`${base}/metrics`, 2000, 1)
    expect(result.totals?.requests).toBe(5)
    contentType = 'text/plain; version=0.0.4'
  })

  it('should report a failed scrape instead of throwing', async () => {
    expect(await scrape(`${base}/500`, 2000, 1)).toMatchObject({ ok: false, error: 'status 500' })
    text = 'not { valid'
    expect((await scrape(`${base}/metrics`, 2000, 1)).ok).toBe(false)
    expect(await scrape('http://127.0.0.1:1/metrics', 500, 1)).toMatchObject({ ok: false })
  })

  it('should follow a redirect to the metrics and give up on a redirect loop', async () => {
    text = 'http_requests_total{status="200"} 7\n'
    expect((await scrape(`${base}/moved`, 2000, 1)).totals?.requests).toBe(7)
    expect(await scrape(`${base}/loop`, 2000, 1)).toEqual({
      ok: false,
      error: 'more than 5 redirects',
      business: {},
      samples: [],
    })
  })

  it('should give up on a service that does not answer within the timeout', async () => {
    expect(await scrape(`${base}/slow`, 100, 1)).toEqual({
      ok: false,
      error: 'timed out after 100 ms',
      business: {},
      samples: [],
    })
  })

  it('should refuse a body larger than the limit instead of holding it in memory', async () => {
    expect(await scrape(`${base}/huge`, 5000, 1)).toEqual({
      ok: false,
      error: `response larger than ${MAX_SCRAPE_BYTES} bytes`,
      business: {},
      samples: [],
    })
  })
})

describe('delta and applicationOf', () => {
  const totals = (at: number, requests: number, errors: number, buckets: Array<[number, number]>) => ({
    at,
    requests,
    errors,
    latencySum: requests * 0.02,
    latencyCount: requests,
    buckets: new Map(buckets),
  })

  it('should rate the window between two scrapes and start over after a counter reset', () => {
    const a = totals(0, 100, 0, [
      [0.1, 100],
      [Number.POSITIVE_INFINITY, 100],
    ])
    const b = totals(10_000, 150, 5, [
      [0.1, 150],
      [Number.POSITIVE_INFINITY, 150],
    ])
    const d = delta(b, a)
    expect(d).toMatchObject({ requests: 50, errors: 5 })
    const app = applicationOf(d, 10, b)
    expect(app.throughput?.requestsPerSecond).toBe(5)
    expect(app.requests?.errorRate).toBe(0.1)
    expect(delta(a, b)).toBe(a)
  })

  it('should interpolate quantiles inside buckets and merge the fleet', () => {
    const buckets = new Map([
      [0.01, 50],
      [0.1, 100],
      [Number.POSITIVE_INFINITY, 100],
    ])
    expect(quantileMs(buckets, 0.5)).toBeCloseTo(10)
    expect(quantileMs(buckets, 0.75)).toBeCloseTo(55)
    expect(quantileMs(new Map(), 0.5)).toBeUndefined()
    const fleet = mergeTotals([totals(0, 10, 1, [[0.1, 10]]), totals(0, 30, 0, [[0.1, 30]])], 5)
    expect(fleet).toMatchObject({ at: 5, requests: 40, errors: 1 })
    expect(fleet.buckets.get(0.1)).toBe(40)
  })
})
