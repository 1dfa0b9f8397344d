import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { HttpMetrics, MetricsCollector, parseExposition, Registry } from '@noa/metrics'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { applicationOf, summarise } from './figures.ts'
import { DEFAULT_SCRAPE_LIMITS, MAX_SCRAPE_BYTES, scrape } from './scrape.ts'

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
        const line = `pad{v="${'x'.repeat(1012)}"} 1\n` // 1024 bytes
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
    expect(result.dropped).toEqual({})
    // Within the limits, the streamed, bounded read gives what the whole text parsed at once gives.
    const whole = parseExposition(text)
    if (!whole.ok) throw new Error(whole.error.message)
    const summary = summarise(whole.families, 1000, { keys: 100, keyLength: 128 })
    expect(result).toEqual({
      ok: true,
      totals: summary.totals,
      business: summary.business,
      samples: summary.samples,
      dropped: {},
    })
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
      dropped: {},
    })
  })

  it('should give up on a service that does not answer within the timeout', async () => {
    expect(await scrape(`${base}/slow`, 100, 1)).toEqual({
      ok: false,
      error: 'timed out after 100 ms',
      business: {},
      samples: [],
      dropped: {},
    })
  })

  it('should refuse a body larger than the limit, counting the series read before it was cut', async () => {
    const result = await scrape(`${base}/huge`, 5000, 1)
    expect(result).toMatchObject({
      ok: false,
      error: `response larger than ${MAX_SCRAPE_BYTES} bytes`,
      business: {},
      samples: [],
    })
    // 1 KiB lines: all but those of the chunk that crosses the 8 MiB cap (64 KiB reads on
    // loopback; 256 KiB allowed) are read and counted.
    expect(Object.keys(result.dropped)).toEqual(['body_too_large'])
    expect(result.dropped.body_too_large).toBeGreaterThan(8192 - 256)
    expect(result.dropped.body_too_large).toBeLessThanOrEqual(8192)
  })
})

describe('scrape (hostile services)', () => {
  const servers: Server[] = []
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
    }
  })

  /** A service on 127.0.0.1; `closed` tells whether its response had ended when its connection closed. */
  async function serve(handler: (res: ServerResponse, req: IncomingMessage) => void) {
    let closed: (finished: boolean) => void = () => undefined
    const responseClosed = new Promise<boolean>((r) => {
      closed = r
    })
    const server = createServer((req, res) => {
      res.on('close', () => closed(res.writableFinished))
      handler(res, req)
    })
    servers.push(server)
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`, responseClosed }
  }

  /** Writes `line(i)` for i below `count` (forever without one), made on the fly and paced by the socket. */
  function stream(res: ServerResponse, line: (i: number) => string, count = Number.POSITIVE_INFINITY) {
    let i = 0
    const pump = () => {
      while (i < count) {
        let batch = ''
        for (const end = Math.min(count, i + 1000); i < end; i++) batch += line(i)
        if (!res.write(batch)) return void res.once('drain', pump)
      }
      res.end()
    }
    pump()
  }

  /** V8's gc(), made callable at run time, so retained memory can be measured after a full collection. */
  function gc(): void {
    setFlagsFromString('--expose-gc')
    ;(runInNewContext('gc') as () => void)()
  }

  it('should keep 10,000 of 200,000 series, count the rest, and hold only what it keeps', async () => {
    const { url, responseClosed } = await serve((res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
      res.write('http_requests_total{status="200"} 90\nhttp_requests_total{status="500"} 10\n')
      stream(res, (i) => `cache_entries{key="k${i}"} ${i}\n`, 200_000)
    })
    gc()
    const before = process.memoryUsage().heapUsed
    const result = await scrape(url, 20_000, 1)
    gc()
    const retained = process.memoryUsage().heapUsed - before
    expect(result.ok).toBe(true)
    expect(result.samples).toHaveLength(10_000)
    expect(result.samples.at(-1)).toEqual({
      name: 'cache_entries',
      labels: { key: 'k9997' },
      value: 9997,
      family: { name: 'cache_entries', type: 'unknown', help: '', unit: '' },
    })
    expect(result.totals).toMatchObject({ requests: 100, errors: 10 })
    expect(result.dropped).toEqual({ series_limit: 190_002 })
    expect(await responseClosed).toBe(true) // read to its end: the rest is counted
    // 10,000 samples are a few MB; the 200,000 a full parse built were about 60 MB.
    expect(retained).toBeLessThan(16 * 1024 * 1024)
  })

  it('should drop series with over-long label values, names or too many labels, counting each reason', async () => {
    const { url } = await serve((res) => {
      let body = ''
      for (let i = 0; i < 100; i++) body += `ok{i="${i}"} 1\n`
      for (let i = 0; i < 50; i++) body += `long{i="${i}",path="/${'p'.repeat(2000)}"} 1\n`
      for (let i = 0; i < 10; i++) body += `wide{${'n'.repeat(200)}${i}="x"} 1\n`
      for (let i = 0; i < 5; i++)
        body += `many{${Array.from({ length: 70 }, (_, j) => `l${j}="${i}"`).join(',')}} 1\n`
      res.writeHead(200).end(body)
    })
    const result = await scrape(url, 5000, 1)
    expect(result.ok).toBe(true)
    expect(result.samples.map((s) => s.name)).toEqual(Array.from({ length: 100 }, () => 'ok'))
    expect(result.dropped).toEqual({ label_value_length: 50, label_name_length: 10, label_count: 5 })
  })

  it('should cut a body that goes on past the byte limit and close the connection', async () => {
    const { url, responseClosed } = await serve((res) => {
      res.writeHead(200)
      stream(res, (i) => `flood{i="${i}"} 1\n`)
    })
    const result = await scrape(url, 30_000, 1)
    expect(result).toMatchObject({
      ok: false,
      error: `response larger than ${MAX_SCRAPE_BYTES} bytes`,
      samples: [],
    })
    // Every series line read before the cut, past the series limit too (about 20 bytes each).
    expect(result.dropped.body_too_large).toBeGreaterThan(300_000)
    expect(await responseClosed).toBe(false)
  })

  it('should time out a body that never ends and close the connection', async () => {
    const { url, responseClosed } = await serve((res) => {
      res.writeHead(200)
      let i = 0
      const timer = setInterval(() => res.write(`drip{i="${i++}"} 1\n`), 5)
      res.on('close', () => clearInterval(timer))
    })
    expect(await scrape(url, 300, 1)).toEqual({
      ok: false,
      error: 'timed out after 300 ms',
      business: {},
      samples: [],
      dropped: {},
    })
    expect(await responseClosed).toBe(false)
  })

  it('should stop reading at the first malformed line', async () => {
    const { url, responseClosed } = await serve((res) => {
      res.writeHead(200)
      res.write('fine 1\nnot{ valid\n')
      stream(res, (i) => `more{i="${i}"} 1\n`)
    })
    expect(await scrape(url, 30_000, 1)).toMatchObject({
      ok: false,
      error: 'line 2: expected "=" after label "valid"',
    })
    expect(await responseClosed).toBe(false)
  })

  it('should apply the limits it is given', async () => {
    const { url } = await serve((res) => {
      res.writeHead(200)
      stream(res, (i) => `business_metric{name="k${i}"} ${i}\n`, 50)
    })
    const result = await scrape(url, 5000, 1, { ...DEFAULT_SCRAPE_LIMITS, series: 20, businessKeys: 5 })
    expect(result.samples).toHaveLength(20)
    expect(result.business).toEqual({ k0: 0, k1: 1, k2: 2, k3: 3, k4: 4 })
    expect(result.dropped).toEqual({ series_limit: 30, business_keys: 15 })
  })
})
