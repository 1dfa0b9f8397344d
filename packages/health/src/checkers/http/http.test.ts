import { execFileSync } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import https from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { systemClock } from '@noa/core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createCertFactory } from '../../testing/certs.ts'
import type { TestServer } from '../../testing/servers.ts'
import { closedPort, startHttpServer, startTcpServer, trackServer } from '../../testing/servers.ts'
import { createHttpChecker } from './http.ts'
import { type HttpCheckInput, httpCheckSchema, httpsCheckSchema } from './schema.ts'

const checker = createHttpChecker()
const servers: TestServer[] = []
const serve = async (s: Promise<TestServer>) => {
  const server = await s
  servers.push(server)
  return server
}
const run = (input: Omit<HttpCheckInput, 'type'>, signal = new AbortController().signal) =>
  checker.run(httpCheckSchema.parse({ type: 'http', ...input }), { signal, clock: systemClock })

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
})
afterAll(() => checker.close?.())

describe('createHttpChecker', () => {
  it('should need only the URL and accept a 2xx or 3xx answer by default', async () => {
    let status = 200
    const server = await serve(startHttpServer((_req, res) => res.writeHead(status).end('ok')))
    expect(httpCheckSchema.parse({ type: 'http', url: `${server.url}/health` })).toMatchObject({
      method: 'GET',
      expectedStatus: ['200-399'],
      maxBodyBytes: 1_048_576,
    })
    const healthy = await run({ url: `${server.url}/health` })
    expect(healthy).toMatchObject({ state: 'healthy', message: 'status 200', details: { statusCode: 200 } })
    expect(typeof healthy.details?.responseTimeMs).toBe('number')
    status = 301
    expect((await run({ url: `${server.url}/health` })).state).toBe('healthy')
  })

  it('should call an unexpected status unhealthy, retryable only for 5xx and 429', async () => {
    let status = 503
    const server = await serve(startHttpServer((_req, res) => res.writeHead(status).end()))
    expect(await run({ url: server.url })).toEqual({
      state: 'unhealthy',
      message: 'expected status 200-399, got 503',
      details: { statusCode: 503, responseTimeMs: expect.any(Number) },
      retryable: true,
    })
    status = 404
    expect(await run({ url: server.url })).toMatchObject({
      message: 'expected status 200-399, got 404',
      retryable: false,
    })
    status = 429
    expect((await run({ url: server.url })).retryable).toBe(true)
  })

  it('should accept listed codes, classes and ranges', async () => {
    let status = 204
    const server = await serve(startHttpServer((_req, res) => res.writeHead(status).end()))
    const expectedStatus = [204, '4xx', '500-502']
    for (const [code, state] of [
      [204, 'healthy'],
      [200, 'unhealthy'],
      [418, 'healthy'],
      [501, 'healthy'],
      [503, 'unhealthy'],
    ] as const) {
      status = code
      expect((await run({ url: server.url, expectedStatus })).state, String(code)).toBe(state)
    }
    status = 200
    expect((await run({ url: server.url, expectedStatus })).message).toBe(
      'expected status 204, 4xx, 500-502, got 200',
    )
  })

  it('should send the method, headers and body, with URL credentials as basic auth kept out of results', async () => {
    let seen: { method?: string; auth?: string; token?: string; body?: string } = {}
    const server = await serve(
      startHttpServer(async (req, res) => {
        let body = ''
        for await (const chunk of req) body += chunk
        seen = {
          method: req.method,
          auth: req.headers.authorization,
          token: req.headers['x-token'] as string,
          body,
        }
        res.writeHead(500).end()
      }),
    )
    const outcome = await run({
      url: server.url.replace('http://', 'http://admin:hunter2@'),
      method: 'POST',
      headers: { 'x-token': 't1' },
      body: '{"ping":1}',
    })
    expect(seen).toEqual({
      method: 'POST',
      auth: `Basic ${Buffer.from('admin:hunter2').toString('base64')}`,
      token: 't1',
      body: '{"ping":1}',
    })
    expect(JSON.stringify(outcome)).not.toContain('hunter2')
  })

  it('should judge a redirect by its status and never follow it, so headers and credentials stay with the checked origin', async () => {
    // A third party that must receive nothing, and the checked service that points to it.
    const thirdParty = await serve(startHttpServer((_req, res) => res.writeHead(200).end('ok')))
    let seen: string | undefined
    const service = await serve(
      startHttpServer((req, res) => {
        seen = req.headers.authorization
        res.writeHead(307, { location: `${thirdParty.url}/collect` }).end()
      }),
    )
    const url = service.url.replace('http://', 'http://admin:hunter2@')
    const check = { url, method: 'POST' as const, headers: { 'x-api-key': 'k-123' }, body: '{}' }
    expect(await run(check)).toMatchObject({ state: 'healthy', message: 'status 307' })
    expect(await run({ ...check, expectedStatus: ['2xx'] })).toMatchObject({
      state: 'unhealthy',
      message: 'expected status 2xx, got 307',
    })
    expect(seen).toBe(`Basic ${Buffer.from('admin:hunter2').toString('base64')}`)
    expect(thirdParty.connections).toBe(0)
  })

  it('should check the body for keywords and JSON paths', async () => {
    let body = '{"status":"ok","checks":{"db":{"status":"up","latency":3}}}'
    const server = await serve(startHttpServer((_req, res) => res.writeHead(200).end(body)))
    const url = server.url
    expect((await run({ url, bodyContains: '"ok"', bodyNotContains: 'error' })).state).toBe('healthy')
    expect((await run({ url, bodyContains: 'nope' })).message).toBe('body does not contain "nope"')
    expect((await run({ url, bodyNotContains: 'status' })).message).toBe('body contains "status"')
    const json = [
      { path: '$.status', equals: 'ok' },
      { path: '$.checks.db.status', matches: '^(up|ok)$' },
      { path: '$.checks.db.latency', matches: '^\\d$' },
    ]
    expect((await run({ url, json })).state).toBe('healthy')
    expect((await run({ url, json: [{ path: '$.status', equals: 'healthy' }] })).message).toBe(
      '$.status is "ok", expected "healthy"',
    )
    expect((await run({ url, json: [{ path: '$.checks.db.latency', matches: '^1\\d$' }] })).message).toBe(
      '$.checks.db.latency is 3, expected to match /^1\\d$/',
    )
    expect((await run({ url, json: [{ path: '$.missing', equals: 1 }] })).message).toBe('$.missing not found')
    body = '<html>'
    expect(await run({ url, json: [{ path: '$.status', equals: 'ok' }] })).toMatchObject({
      state: 'unhealthy',
      message: 'body is not JSON',
      retryable: false,
    })
  })

  it('should refuse a JSON condition without equals/matches and a bad regular expression', () => {
    const parsed = httpCheckSchema.safeParse({
      type: 'http',
      url: 'http://x/',
      json: [{ path: '$.a' }, { path: '$.b', matches: '(' }],
    })
    expect(parsed.success).toBe(false)
    expect(parsed.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'json.0: expected `equals` or `matches`',
      'json.1.matches: expected a valid regular expression',
    ])
  })

  it('should call a slow answer unhealthy when it exceeds maxResponseTimeMs', async () => {
    const server = await serve(
      startHttpServer((_req, res) => setTimeout(() => res.writeHead(200).end(), 300)),
    )
    const outcome = await run({ url: server.url, maxResponseTimeMs: 50 })
    expect(outcome.state).toBe('unhealthy')
    expect(outcome.message).toMatch(/^response took \d+ ms, more than 50 ms$/)
  })

  it('should close the socket when aborted while the server never answers', async () => {
    let arrived!: (socket: import('node:net').Socket) => void
    const request = new Promise<import('node:net').Socket>((resolve) => {
      arrived = resolve
    })
    const server = await serve(startHttpServer((req) => arrived(req.socket)))
    const controller = new AbortController()
    const pending = run({ url: server.url }, controller.signal)
    const socket = await request
    const closed = once(socket, 'close')
    controller.abort(new Error('check of api timed out after 5000 ms'))
    expect(await pending).toEqual({
      state: 'error',
      message: 'check of api timed out after 5000 ms',
      retryable: true,
    })
    await closed
  })

  it('should give an error for a refused connection, garbage, or a connection dropped mid-answer', async () => {
    const refused = await run({ url: `http://127.0.0.1:${await closedPort()}/` })
    expect(refused).toMatchObject({ state: 'error', retryable: true, details: { code: 'ECONNREFUSED' } })
    expect(refused.message).toMatch(/ECONNREFUSED/)

    const garbage = await serve(startTcpServer((s) => s.end('HELLO THIS IS NOT HTTP\r\n\r\n')))
    const parse = await run({ url: `http://127.0.0.1:${garbage.port}/` })
    expect(parse.state).toBe('error')
    expect(parse.message).toMatch(/Parse Error/)

    const dropper = await serve(
      startHttpServer((_req, res) => {
        res.writeHead(200, { 'content-length': '1000' })
        res.write('0123456789', () => res.socket?.destroy())
      }),
    )
    expect(await run({ url: dropper.url })).toEqual({
      state: 'error',
      message: 'connection closed before the answer was complete',
      details: { statusCode: 200 },
      retryable: true,
    })
  })

  it('should stop reading an endless body at maxBodyBytes and close the connection', async () => {
    let written = 0
    let closed!: () => void
    const serverSawClose = new Promise<void>((resolve) => {
      closed = resolve
    })
    const chunk = Buffer.alloc(64 * 1024, 'x')
    const server = await serve(
      startHttpServer((_req, res) => {
        res.writeHead(200)
        res.on('close', closed)
        const pump = () => {
          while (!res.destroyed && res.write(chunk)) written += chunk.length
          if (!res.destroyed) res.once('drain', pump)
        }
        pump()
      }),
    )
    expect(await run({ url: server.url })).toEqual({
      state: 'unhealthy',
      message: 'body larger than 1048576 bytes',
      details: { statusCode: 200 },
      retryable: false,
    })
    await serverSawClose
    // The server could only push what fits in socket buffers before the check hung up.
    expect(written).toBeLessThan(64 * 1024 * 1024)
    expect((await run({ url: server.url, maxBodyBytes: 1000, bodyContains: 'x' })).message).toBe(
      'body larger than 1000 bytes',
    )
  })

  it('should reuse a keep-alive connection between checks', async () => {
    const server = await serve(startHttpServer((_req, res) => res.writeHead(200).end('ok')))
    const target = httpCheckSchema.parse({ type: 'http', url: server.url })
    for (let i = 0; i < 5; i++)
      expect(
        (await checker.run(target, { signal: new AbortController().signal, clock: systemClock })).state,
      ).toBe('healthy')
    expect(server.connections).toBe(1)
  })

  it('should send a request once more on a new connection when the server closed the kept-alive one it went out on', async () => {
    // Answers the first request of each connection (unless `resetFresh`); a later one finds the
    // connection reset, as when a server's keep-alive timeout closes a socket while a request
    // is on its way.
    let answers = 0
    let resetFresh = false
    const server = await serve(
      startTcpServer((socket) => {
        let requests = 0
        socket.on('data', (data) => {
          for (let at = data.indexOf('\r\n\r\n'); at !== -1; at = data.indexOf('\r\n\r\n', at + 4)) {
            requests++
            if (requests > 1 || resetFresh) socket.resetAndDestroy()
            else {
              answers++
              socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\nok')
            }
          }
        })
      }),
    )
    const url = `http://127.0.0.1:${server.port}/`
    expect((await run({ url })).state).toBe('healthy')
    expect(server.connections).toBe(1)
    // The idle socket is reused, reset by the server, and the check is sent again on a new one.
    expect(await run({ url })).toMatchObject({ state: 'healthy', message: 'status 200' })
    expect(server.connections).toBe(2)
    expect(answers).toBe(2)
    // Once only: when the new connection fails too, that is the answer.
    resetFresh = true
    const failed = await run({ url })
    expect(failed).toMatchObject({ state: 'error', retryable: true, details: { code: 'ECONNRESET' } })
    expect(server.connections).toBe(3)
    // A fresh connection that fails is not sent again: there was no stale socket to blame.
    const fresh = await run({ url })
    expect(fresh.state).toBe('error')
    expect(server.connections).toBe(4)
    // Nor a request that is not idempotent.
    resetFresh = false
    expect((await run({ url, method: 'POST', body: 'x' })).state).toBe('healthy')
    const connections = server.connections
    expect((await run({ url, method: 'POST', body: 'x' })).state).toBe('error')
    expect(server.connections).toBe(connections)
  })

  it('should answer at once with an error when the signal is already aborted', async () => {
    const controller = new AbortController()
    controller.abort(new Error('stopped'))
    expect(await run({ url: 'http://127.0.0.1:1/' }, controller.signal)).toEqual({
      state: 'error',
      message: 'stopped',
      retryable: true,
    })
  })
})

describe('createHttpChecker over https', () => {
  let dir: string
  let key: string
  let cert: string
  let server: TestServer

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'noa-health-tls-'))
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '30', '-subj', '/CN=127.0.0.1']
        .concat(['-addext', 'subjectAltName=IP:127.0.0.1'])
        .concat(['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]),
      { stdio: 'ignore' },
    )
    key = readFileSync(join(dir, 'key.pem'), 'utf8')
    cert = readFileSync(join(dir, 'cert.pem'), 'utf8')
    server = await trackServer(
      https.createServer({ key, cert }, (_req, res) => res.writeHead(200).end('ok')),
      'https',
    )
  })
  afterAll(async () => {
    await server?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const runs = (input: Record<string, unknown>) =>
    checker.run(httpsCheckSchema.parse({ type: 'https', url: server.url, ...input }), {
      signal: new AbortController().signal,
      clock: systemClock,
    })

  it('should check the certificate days left', async () => {
    const ok = await runs({ tls: { ca: cert }, minCertDays: 7 })
    expect(ok).toMatchObject({ state: 'healthy', details: { statusCode: 200, certDaysLeft: 29 } })
    expect(await runs({ tls: { ca: cert }, minCertDays: 60 })).toMatchObject({
      state: 'unhealthy',
      message: 'certificate expires in 29 days, fewer than 60',
    })
  })

  it('should refuse an untrusted certificate unless told not to verify', async () => {
    const untrusted = await runs({})
    expect(untrusted.state).toBe('error')
    expect(untrusted.message).toMatch(/self[- ]signed/)
    expect((await runs({ tls: { rejectUnauthorized: false } })).state).toBe('healthy')
  })

  it('should call a certificate refused at the handshake unhealthy under minCertDays, an error without', async () => {
    const certs = createCertFactory()
    const started: TestServer[] = []
    try {
      const serve = async (pair: { key: string; cert: string }) => {
        const s = await trackServer(
          https.createServer(pair, (_req, res) => res.end('ok')),
          'https',
        )
        started.push(s)
        return s.url
      }
      const check = (url: string, input: Record<string, unknown>) =>
        checker.run(httpsCheckSchema.parse({ type: 'https', url, tls: { ca: certs.ca.cert }, ...input }), {
          signal: new AbortController().signal,
          clock: systemClock,
        })
      const soon = await serve(certs.leaf(['127.0.0.1'], 5))
      expect(await check(soon, { minCertDays: 7 })).toMatchObject({
        state: 'unhealthy',
        message: 'certificate expires in 4 days, fewer than 7',
        details: { certDaysLeft: 4 },
      })
      const expired = await serve(certs.leaf(['127.0.0.1'], -1))
      expect(await check(expired, { minCertDays: 7 })).toEqual({
        state: 'unhealthy',
        message: 'certificate expired',
        details: { code: 'CERT_HAS_EXPIRED' },
        retryable: false,
      })
      expect(await check(expired, {})).toMatchObject({
        state: 'error',
        details: { code: 'CERT_HAS_EXPIRED' },
      })
      const otherHost = await serve(certs.leaf(['other.example'], 30))
      expect(await check(otherHost, { minCertDays: 7 })).toMatchObject({
        state: 'unhealthy',
        message: 'certificate refused: ERR_TLS_CERT_ALTNAME_INVALID',
      })
      const selfSigned = await serve(certs.selfSigned(['127.0.0.1'], 30))
      expect(await check(selfSigned, { minCertDays: 7 })).toMatchObject({
        state: 'unhealthy',
        message: 'certificate refused: DEPTH_ZERO_SELF_SIGNED_CERT',
      })
    } finally {
      await Promise.all(started.map((s) => s.close()))
      certs.remove()
    }
  })

  it('should refuse minCertDays on an http URL and a plain URL for type https', () => {
    expect(
      httpCheckSchema
        .safeParse({ type: 'http', url: 'http://x/', minCertDays: 3 })
        .error?.issues.map((i) => i.message),
    ).toEqual(['minCertDays needs an https:// URL'])
    expect(
      httpsCheckSchema.safeParse({ type: 'https', url: 'http://x/' }).error?.issues.map((i) => i.message),
    ).toEqual(['expected an https:// URL'])
  })
})
