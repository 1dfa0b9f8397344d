// @vitest-environment node
import type { Server } from 'node:http'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiClient } from './api.ts'

describe('createApiClient', () => {
  let server: Server
  let base: string
  const seen: Array<{ method: string; url: string; auth?: string; body: string }> = []

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = ''
      req.on('data', (c) => (body += c))
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, body })
        const json = (status: number, value: unknown) =>
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value))
        if (req.url === '/api/status') return json(200, { health: 'healthy' })
        if (req.url === '/api/heal/api')
          return req.headers.authorization === 'Bearer s3cret'
            ? json(202, { healing: { id: 'h' } })
            : json(401, { error: 'unauthorized' })
        if (req.url === '/api/closed') return json(403, { error: 'no API token is configured' })
        if (req.url === '/api/plain') return res.writeHead(500).end('<html>oops</html>')
        if (req.url === '/api/busy') return json(429, { error: 'slow down' })
        if (req.url === '/api/empty') return res.writeHead(200).end()
        if (req.url === '/api/hang') return
        json(404, { error: `unknown ${req.url}` })
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((r) => server.close(r))
  })

  it('should answer ok with the parsed body', async () => {
    const api = createApiClient({ baseUrl: base })
    expect(await api.get('/api/status')).toEqual({ ok: true, status: 200, data: { health: 'healthy' } })
  })

  it("should carry the agent's error message and mark 4xx as not retryable", async () => {
    const api = createApiClient({ baseUrl: base })
    expect(await api.get('/api/nope')).toEqual({
      ok: false,
      status: 404,
      error: 'unknown /api/nope',
      retryable: false,
    })
    expect(await api.get('/api/closed')).toMatchObject({ status: 403, error: 'no API token is configured' })
    expect(await api.get('/api/busy')).toMatchObject({
      status: 429,
      retryable: true,
      error: 'Too many requests; try again in a moment.',
    })
  })

  it('should send the bearer token and JSON body on writes, and explain a refused token', async () => {
    const api = createApiClient({ baseUrl: base })
    expect(await api.post('/api/heal/api', { trigger: 'manual' }, 's3cret')).toMatchObject({
      ok: true,
      status: 202,
    })
    expect(seen.at(-1)).toMatchObject({ method: 'POST', auth: 'Bearer s3cret', body: '{"trigger":"manual"}' })
    expect(await api.post('/api/heal/api', undefined, 'wrong')).toEqual({
      ok: false,
      status: 401,
      error: 'The API token was refused. Check the token you entered.',
      retryable: false,
    })
    expect(seen.at(-1)?.body).toBe('{}')
    await api.delete('/api/silences/x', 't')
    expect(seen.at(-1)).toMatchObject({ method: 'DELETE', auth: 'Bearer t' })
  })

  it('should turn a non-JSON body, an empty body and a 5xx into results', async () => {
    const api = createApiClient({ baseUrl: base })
    expect(await api.get('/api/plain')).toEqual({
      ok: false,
      status: 500,
      error: 'The agent answered HTTP 500 with a body that is not JSON.',
      retryable: true,
    })
    expect(await api.get('/api/empty')).toEqual({ ok: true, status: 200, data: undefined })
  })

  it('should report an unreachable agent and a timeout as retryable', async () => {
    const closed = createServer()
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r))
    const port = (closed.address() as AddressInfo).port
    await new Promise((r) => closed.close(r))
    const down = await createApiClient({ baseUrl: `http://127.0.0.1:${port}` }).get('/api/status')
    expect(down).toMatchObject({ ok: false, status: 0, retryable: true })
    expect(down.ok ? '' : down.error).toMatch(/^The agent is unreachable \(/)
    const slow = await createApiClient({ baseUrl: base, timeoutMs: 50 }).get('/api/hang')
    expect(slow).toEqual({
      ok: false,
      status: 0,
      error: 'The agent did not answer within 0.05 s.',
      retryable: true,
    })
  })

  it('should report a call aborted by its caller as unreachable, not as a timeout', async () => {
    const controller = new AbortController()
    const pending = createApiClient({ baseUrl: base }).get('/api/hang', controller.signal)
    controller.abort()
    const res = await pending
    expect(res.ok ? '' : res.error).toMatch(/^The agent is unreachable/)
  })
})
