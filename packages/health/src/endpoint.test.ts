import http from 'node:http'
import { FakeClock, isConfigError, systemClock } from '@noa/core'
import { Hono } from 'hono'
import { afterEach, describe, expect, it } from 'vitest'
import { createHttpChecker } from './checkers/http/http.ts'
import { httpCheckSchema } from './checkers/http/schema.ts'
import type { ComponentCheck } from './endpoint.ts'
import { createHealthEndpoint } from './endpoint.ts'
import type { TestServer } from './testing/servers.ts'
import { trackServer } from './testing/servers.ts'

const servers: TestServer[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
})

const get = async (url: string) => {
  const res = await fetch(url)
  return { status: res.status, type: res.headers.get('content-type'), body: await res.json() }
}

describe('createHealthEndpoint', () => {
  it('should answer /health, /readyz and /livez on plain node:http with the component states', async () => {
    let dbUp = true
    const components: ComponentCheck[] = [
      { name: 'database', check: async () => dbUp },
      { name: 'cache', critical: false, check: () => ({ state: 'unhealthy', message: 'PING failed' }) },
    ]
    const health = createHealthEndpoint({ service: 'mcp-server', components })
    const server = await trackServer(
      http.createServer((req, res) => health.nodeHandler(req, res, () => res.writeHead(418).end())),
      'http',
    )
    servers.push(server)
    const degraded = await get(`${server.url}/health`)
    expect(degraded).toMatchObject({ status: 200, type: 'application/json; charset=utf-8' })
    expect(degraded.body).toEqual({
      status: 'degraded',
      ready: true,
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      service: 'mcp-server',
      checks: {
        database: { status: 'healthy', critical: true, durationMs: expect.any(Number) },
        cache: {
          status: 'unhealthy',
          critical: false,
          durationMs: expect.any(Number),
          message: 'PING failed',
        },
      },
    })
    dbUp = false
    const down = await get(`${server.url}/readyz?verbose=1`)
    expect(down.status).toBe(503)
    expect(down.body).toMatchObject({
      status: 'unhealthy',
      ready: false,
      checks: { database: { message: 'check failed' } },
    })
    expect(await get(`${server.url}/livez`)).toMatchObject({
      status: 200,
      body: { status: 'healthy', service: 'mcp-server' },
    })
    expect((await fetch(`${server.url}/other`)).status).toBe(418)
    expect((await fetch(`${server.url}/health`, { method: 'HEAD' })).status).toBe(503)
  })

  it('should answer 404 for other paths without a next handler', async () => {
    const health = createHealthEndpoint()
    const server = await trackServer(
      http.createServer((req, res) => health.nodeHandler(req, res)),
      'http',
    )
    servers.push(server)
    const res = await fetch(`${server.url}/nope`)
    expect([res.status, await res.text()]).toEqual([404, '{"error":"not found"}'])
    expect(await get(`${server.url}/health`)).toMatchObject({
      status: 200,
      body: { status: 'healthy', checks: {} },
    })
  })

  it('should mount on a Hono app and flip readiness first on drain', async () => {
    const health = createHealthEndpoint({ components: [{ name: 'database', check: () => undefined }] })
    const app = new Hono()
    health.mount(app, '/ops')
    const ready = await app.request('/ops/readyz')
    expect([ready.status, ready.headers.get('cache-control')]).toEqual([200, 'no-store'])
    expect(await ready.json()).toMatchObject({ status: 'healthy', ready: true })
    health.drain()
    expect(health.ready).toBe(false)
    const draining = await app.request('/ops/readyz')
    expect(draining.status).toBe(503)
    expect(await draining.json()).toMatchObject({
      status: 'unhealthy',
      ready: false,
      checks: { database: { status: 'healthy' } },
    })
    expect((await app.request('/ops/livez')).status).toBe(200)
  })

  it('should answer 503 on readiness during the drain delay, then close', async () => {
    const clock = new FakeClock()
    const health = createHealthEndpoint({ clock })
    let closed = false
    const done = health.shutdown(
      () => {
        closed = true
      },
      { drainMs: 5_000 },
    )
    expect((await health.answer('readyz')).statusCode).toBe(503)
    expect((await health.answer('livez')).statusCode).toBe(200)
    await clock.advance(4_999)
    expect(closed).toBe(false)
    await clock.advance(1)
    await done
    expect(closed).toBe(true)
  })

  it('should time out a hanging component and report a throwing one as an error', async () => {
    const clock = new FakeClock()
    const health = createHealthEndpoint({
      clock,
      timeoutMs: 1_000,
      components: [
        { name: 'queue', check: () => new Promise(() => {}) },
        {
          name: 'search',
          critical: false,
          check: () => {
            throw new Error('index missing')
          },
        },
      ],
    })
    const pending = health.answer('health')
    const shared = health.answer('readyz')
    await clock.advance(1_000)
    const answer = await pending
    expect((await shared).body).toBe(answer.body)
    expect(answer).toMatchObject({
      statusCode: 503,
      body: {
        checks: {
          queue: { status: 'error', message: 'component queue timed out after 1000 ms' },
          search: { status: 'error', message: 'index missing' },
        },
      },
    })
  })

  it('should be read correctly by the http checker', async () => {
    let up = true
    const health = createHealthEndpoint({ components: [{ name: 'db', check: () => up }] })
    const server = await trackServer(
      http.createServer((req, res) => health.nodeHandler(req, res)),
      'http',
    )
    servers.push(server)
    const checker = createHttpChecker()
    const target = httpCheckSchema.parse({
      type: 'http',
      url: `${server.url}/health`,
      json: [{ path: '$.status', matches: '^(healthy|degraded)$' }],
    })
    const ctx = { signal: new AbortController().signal, clock: systemClock }
    expect((await checker.run(target, ctx)).state).toBe('healthy')
    up = false
    expect(await checker.run(target, ctx)).toMatchObject({
      state: 'unhealthy',
      message: 'expected status 200-399, got 503',
    })
    checker.close?.()
  })

  it('should refuse bad options at construction', () => {
    let error: unknown
    try {
      createHealthEndpoint({
        timeoutMs: -1,
        components: [
          { name: 'a', check: () => true },
          { name: 'a', check: () => true },
          { name: '', check: () => true },
        ],
      })
    } catch (e) {
      error = e
    }
    expect(isConfigError(error)).toBe(true)
    expect((error as Error).message).toBe(
      'timeoutMs: expected a positive integer; found -1\ncomponents.1.name: duplicate component "a"\ncomponents.2: expected { name: string, check: function }',
    )
  })
})
