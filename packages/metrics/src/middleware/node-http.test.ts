import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { FakeClock } from '@noa/core'
import { afterEach, describe, expect, it } from 'vitest'
import { parseExposition } from '../exposition/parse.ts'
import { Registry } from '../registry.ts'
import { HttpMetrics, normalizeMethod, statusClass } from './http-metrics.ts'
import { instrumentNodeListener, routeMatcher } from './node-http.ts'

let server: Server | undefined
afterEach(async () => {
  if (server?.listening) {
    server.closeAllConnections()
    server.close()
    await once(server, 'close')
  }
  server = undefined
})

async function start(listener: Parameters<typeof createServer>[1]): Promise<string> {
  server = createServer(listener)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

describe('instrumentNodeListener (real node:http server)', () => {
  it('should record method, route template, status class, bytes and latency', async () => {
    const registry = new Registry()
    const metrics = new HttpMetrics({ registry })
    const base = await start(
      instrumentNodeListener(
        (req, res) => {
          if (req.url?.startsWith('/users/')) {
            res.setHeader('content-type', 'application/json')
            res.write('{"id":')
            res.end(Buffer.from('1}'))
          } else if (req.url === '/boom') {
            res.statusCode = 503
            res.end('down')
          } else {
            res.statusCode = 404
            res.end('nope', 'utf8')
          }
        },
        { metrics, routes: ['/users/:id', '/boom'] },
      ),
    )
    for (const path of ['/users/1?x=1', '/users/2', '/boom', '/secret/token-123']) {
      const res = await fetch(base + path)
      await res.text()
    }
    await fetch(`${base}/users/3`, { method: 'PROPFIND' }).then((r) => r.text())
    const text = await registry.metrics()
    expect(text).toContain('http_requests_total{method="GET",route="/users/:id",status_class="2xx"} 2\n')
    expect(text).toContain('http_requests_total{method="GET",route="/boom",status_class="5xx"} 1\n')
    expect(text).toContain('http_requests_total{method="GET",route="(unmatched)",status_class="4xx"} 1\n')
    expect(text).toContain('http_requests_total{method="OTHER",route="/users/:id",status_class="2xx"} 1\n')
    expect(text).toContain(
      'http_response_size_bytes_total{method="GET",route="/users/:id",status_class="2xx"} 16\n',
    )
    expect(text).not.toContain('token-123')
    const section = metrics.section()
    expect(section.requests).toEqual({ total: 5, successful: 4, failed: 1, errors: 1, errorRate: 0.2 })
    expect(section.latency?.max).toBeGreaterThan(0)
    expect(section.latency!.p50!).toBeLessThanOrEqual(section.latency!.max!)
    expect(section.throughput?.requestsPerSecond).toBeGreaterThan(0)
    expect(section.throughput?.bytesPerSecond).toBeGreaterThan(0)
    const parsed = parseExposition(await registry.metrics('openmetrics'), { format: 'openmetrics' })
    expect(parsed.ok ? 'ok' : parsed.error).toBe('ok')
  })

  it('should take the route from a user function and survive one that throws', async () => {
    const metrics = new HttpMetrics()
    let calls = 0
    const base = await start(
      instrumentNodeListener((_req, res) => res.end('ok'), {
        metrics,
        route: (req) => {
          calls++
          if (req.url === '/throw') throw new Error('bad router')
          return req.url === '/a' ? '/a' : undefined
        },
        unmatchedRoute: 'other',
      }),
    )
    for (const path of ['/a', '/b', '/throw']) await fetch(base + path).then((r) => r.text())
    expect(calls).toBe(3)
    expect(metrics.requests.get({ method: 'GET', route: '/a', status_class: '2xx' })).toBe(1)
    expect(metrics.requests.get({ method: 'GET', route: 'other', status_class: '2xx' })).toBe(2)
  })
})

describe('HttpMetrics', () => {
  it('should average throughput over the window with the clock', async () => {
    const clock = new FakeClock()
    const metrics = new HttpMetrics({ clock, throughputWindowSeconds: 10 })
    for (let i = 0; i < 20; i++)
      metrics.record({ method: 'get', route: '/x', status: 200, durationMs: 10, bytes: 100 })
    expect(metrics.throughput()).toEqual({ requestsPerSecond: 20, bytesPerSecond: 2000 })
    await clock.advance(4000)
    expect(metrics.throughput()).toEqual({ requestsPerSecond: 5, bytesPerSecond: 500 })
    await clock.advance(20_000)
    expect(metrics.throughput()).toEqual({ requestsPerSecond: 0, bytesPerSecond: 0 })
    metrics.recordBytes({ method: 'GET', route: '/x', status: 200 }, 50)
    metrics.recordBytes({ method: 'GET', route: '/x', status: 200 }, 0)
    expect(metrics.throughput().bytesPerSecond).toBe(5)
    expect(metrics.section().latency).toEqual({ average: 10, p50: 10, p95: 10, p99: 10, max: 10 })
  })

  it('should publish rate and ratio gauges', async () => {
    const registry = new Registry()
    const metrics = new HttpMetrics({ registry, prefix: 'api_' })
    metrics.record({ method: 'POST', route: '/y', status: 500, durationMs: 2 })
    metrics.record({ method: 'POST', route: '/y', status: 201, durationMs: 2 })
    const text = await registry.metrics()
    expect(text).toContain('api_error_ratio 0.5\n')
    expect(text).toContain('# TYPE api_requests_per_second gauge\n')
    expect(new HttpMetrics().section().requests?.errorRate).toBe(0)
  })

  it('should bound method and status labels', () => {
    expect(['get', 'PATCH', 'PROPFIND', undefined].map((m) => normalizeMethod(m))).toEqual([
      'GET',
      'PATCH',
      'OTHER',
      'OTHER',
    ])
    expect([101, 204, 302, 404, 599, 99, 600].map(statusClass)).toEqual([
      '1xx',
      '2xx',
      '3xx',
      '4xx',
      '5xx',
      'unknown',
      'unknown',
    ])
  })

  it('should match route templates segment by segment', () => {
    const match = routeMatcher(['/users/:id', '/users/:id/posts', '/static/*', '/'])
    expect(match('/users/7')).toBe('/users/:id')
    expect(match('/users/7/posts')).toBe('/users/:id/posts')
    expect(match('/users/7/likes')).toBeUndefined()
    expect(match('/static/css/a.css')).toBe('/static/*')
    expect(match('/')).toBe('/')
    expect(match('/users')).toBeUndefined()
  })
})
