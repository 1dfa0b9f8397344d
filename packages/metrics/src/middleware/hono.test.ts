import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { type ServerType, serve } from '@hono/node-server'
import { Hono } from 'hono'
import { stream } from 'hono/streaming'
import { afterEach, describe, expect, it } from 'vitest'
import { Registry } from '../registry.ts'
import { honoMetrics } from './hono.ts'
import { HttpMetrics } from './http-metrics.ts'

let server: ServerType | undefined
afterEach(async () => {
  if (server?.listening) {
    server.close()
    await once(server, 'close')
  }
  server = undefined
})

async function serveApp(app: Hono): Promise<string> {
  const ready = new Promise<AddressInfo>((resolve) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, resolve)
  })
  const info = await ready
  return `http://127.0.0.1:${info.port}`
}

describe('honoMetrics (real Hono app on @hono/node-server)', () => {
  it('should label requests by the route template that answered', async () => {
    const registry = new Registry()
    const metrics = new HttpMetrics({ registry })
    const app = new Hono()
    app.use('*', honoMetrics(metrics))
    app.get('/users/:id', (c) => c.json({ id: c.req.param('id') }))
    app.get('/fail', () => {
      throw new Error('boom')
    })
    app.get('/sized', (c) => c.body('12345', 200, { 'content-length': '5' }))
    app.get('/stream', (c) =>
      stream(c, async (s) => {
        await s.write('abc')
        await s.write('defg')
      }),
    )
    const base = await serveApp(app)
    for (const path of ['/users/1', '/users/2', '/fail', '/nowhere/secret-abc', '/sized', '/stream']) {
      await fetch(base + path).then((r) => r.text())
    }
    await fetch(`${base}/users/9`, { method: 'DELETE' }).then((r) => r.text())
    const text = await registry.metrics()
    expect(text).toContain('http_requests_total{method="GET",route="/users/:id",status_class="2xx"} 2\n')
    expect(text).toContain('http_requests_total{method="GET",route="/fail",status_class="5xx"} 1\n')
    expect(text).toContain('http_requests_total{method="GET",route="(unmatched)",status_class="4xx"} 1\n')
    expect(text).toContain('http_requests_total{method="DELETE",route="(unmatched)",status_class="4xx"} 1\n')
    expect(text).not.toContain('secret-abc')
    expect(metrics.bytes.get({ method: 'GET', route: '/sized', status_class: '2xx' })).toBe(5)
    expect(metrics.bytes.get({ method: 'GET', route: '/stream', status_class: '2xx' })).toBe(7)
    expect(metrics.bytes.get({ method: 'GET', route: '/users/:id', status_class: '2xx' })).toBe(20)
    const section = metrics.section()
    expect(section.requests).toMatchObject({ total: 7, failed: 1, successful: 6 })
  })

  it('should label unmatched requests under a mounted sub-app with its own middleware as unmatched', async () => {
    const metrics = new HttpMetrics()
    const app = new Hono()
    app.use('*', honoMetrics(metrics))
    const api = new Hono()
    api.use('*', async (_c, next) => {
      await next()
    })
    api.get('/users/:id', (c) => c.text('user'))
    app.route('/api', api)
    await app.request('/api/users/5')
    await app.request('/api/nothing/here')
    expect(metrics.requests.get({ method: 'GET', route: '/api/users/:id', status_class: '2xx' })).toBe(1)
    expect(metrics.requests.get({ method: 'GET', route: '(unmatched)', status_class: '4xx' })).toBe(1)
    expect(metrics.requests.seriesCount).toBe(2)
  })

  it('should record a request whose handler error escapes the app', async () => {
    const metrics = new HttpMetrics()
    const app = new Hono()
    app.use('*', honoMetrics(metrics, { unmatchedRoute: 'none' }))
    app.get('/x', () => {
      throw new Error('boom')
    })
    app.onError((error) => {
      throw error
    })
    await expect(app.request('/x')).rejects.toThrow('boom')
    expect(metrics.section().requests?.failed).toBe(1)
  })
})
