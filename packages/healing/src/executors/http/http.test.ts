import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { httpRequest } from '../../http-request.ts'
import { createHttpExecutor, httpCallSchema, httpExecutorSchema } from './http.ts'

let server: Server | undefined
const seen: Array<{ method?: string; url?: string; auth?: string }> = []

async function listen(handler: (url: string) => number): Promise<string> {
  server = createServer((req, res) => {
    seen.push({ method: req.method, url: req.url, auth: req.headers.authorization })
    res.statusCode = handler(req.url ?? '')
    res.end(res.statusCode === 200 ? 'done' : 'nope')
  })
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

afterEach(async () => {
  seen.length = 0
  await new Promise((r) => (server ? server.close(r) : r(undefined)))
  server = undefined
})

describe('http executor', () => {
  it('should call the admin endpoint and keep the token out of the result', async () => {
    const base = await listen((url) => (url.startsWith('/restart') ? 200 : 503))
    const ex = createHttpExecutor(
      httpExecutorSchema.parse({
        type: 'http',
        restart: { url: `${base}/restart?key=s3cret`, headers: { authorization: 'Bearer s3cret' } },
        stop: { url: `${base}/stop`, method: 'PUT' },
        status: { url: `${base}/status`, method: 'GET' },
      }),
    )
    const ok = await ex.restart?.()
    expect(ok).toEqual({ ok: true, output: `POST ${base}/restart: 200 done` })
    expect(seen[0]).toEqual({ method: 'POST', url: '/restart?key=s3cret', auth: 'Bearer s3cret' })
    const bad = await ex.stop?.()
    expect(bad).toEqual({
      ok: false,
      error: `PUT ${base}/stop answered 503`,
      retryable: true,
      output: 'nope',
    })
    expect(await ex.status?.()).toMatchObject({ ok: true, running: false })
    expect(JSON.stringify([ok, bad])).not.toContain('s3cret')
  })

  it('should fail with the reason when nothing answers', async () => {
    const ex = createHttpExecutor(
      httpExecutorSchema.parse({ type: 'http', restart: { url: 'http://127.0.0.1:1/x', timeoutMs: 500 } }),
    )
    expect(await ex.restart?.()).toMatchObject({
      ok: false,
      retryable: true,
      error: expect.stringMatching(/^POST http:\/\/127.0.0.1:1\/x failed/),
    })
  })
})

interface Seen {
  method?: string
  url?: string
  auth?: string
  key?: string
  body: string
}

/** A real server on 127.0.0.1 that records what it receives and answers what `answer` says. */
async function receiver(answer: (url: string) => { status: number; location?: string }) {
  const seen: Seen[] = []
  const s = createServer(async (req, res) => {
    let body = ''
    for await (const chunk of req) body += chunk
    seen.push({
      method: req.method,
      url: req.url,
      auth: req.headers.authorization,
      key: req.headers['x-api-key'] as string | undefined,
      body,
    })
    const a = answer(req.url ?? '')
    res.writeHead(a.status, a.location ? { location: a.location } : {}).end(a.status < 300 ? 'done' : '')
  })
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  opened.push(s)
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, seen }
}
const opened: Server[] = []
afterEach(async () => {
  await Promise.all(
    opened.splice(0).map(
      (s) =>
        new Promise((r) => {
          s.close(r)
          s.closeAllConnections()
        }),
    ),
  )
})

const call = (input: Record<string, unknown>) =>
  httpCallSchema.parse({
    headers: { authorization: 'Bearer s3cret', 'x-api-key': 'k-42' },
    body: '{"reason":"service-down"}',
    ...input,
  })

describe('httpRequest and redirects', () => {
  it('should not follow a redirect by default, and name only the origin and path it points to', async () => {
    const thirdParty = await receiver(() => ({ status: 200 }))
    const target = await receiver(() => ({ status: 307, location: `${thirdParty.url}/collect?token=abc#x` }))
    const result = await httpRequest(call({ url: `${target.url}/admin/restart?key=q` }))
    expect(result).toEqual({
      ok: false,
      retryable: false,
      error: `POST ${target.url}/admin/restart answered 307, a redirect to ${thirdParty.url}/collect (not followed: set the url to it, or followRedirects: "same-origin")`,
    })
    expect(target.seen).toHaveLength(1)
    expect(thirdParty.seen).toEqual([])
  })

  it('should follow redirects within the origin with followRedirects: "same-origin", keeping method, headers and body', async () => {
    const target = await receiver((url) =>
      url === '/old' ? { status: 308, location: '/v2/restart' } : { status: 200 },
    )
    const result = await httpRequest(call({ url: `${target.url}/old`, followRedirects: 'same-origin' }))
    expect(result).toEqual({ ok: true, output: `POST ${target.url}/old: 200 done` })
    expect(target.seen.map((s) => [s.method, s.url, s.auth, s.key, s.body])).toEqual([
      ['POST', '/old', 'Bearer s3cret', 'k-42', '{"reason":"service-down"}'],
      ['POST', '/v2/restart', 'Bearer s3cret', 'k-42', '{"reason":"service-down"}'],
    ])
  })

  it('should never take headers or the body to another origin, even with followRedirects: "same-origin"', async () => {
    const thirdParty = await receiver(() => ({ status: 200 }))
    const target = await receiver((url) =>
      url === '/a' ? { status: 302, location: '/b' } : { status: 301, location: `${thirdParty.url}/steal` },
    )
    const result = await httpRequest(call({ url: `${target.url}/a`, followRedirects: 'same-origin' }))
    expect(result).toEqual({
      ok: false,
      retryable: false,
      error: `POST ${target.url}/a answered 301, a redirect to ${thirdParty.url}/steal (another origin: not followed)`,
    })
    // The 302 after a POST became a GET without the body, as browsers do.
    expect(target.seen.map((s) => [s.method, s.url, s.body])).toEqual([
      ['POST', '/a', '{"reason":"service-down"}'],
      ['GET', '/b', ''],
    ])
    expect(thirdParty.seen).toEqual([])
  })

  it('should name only the origin of a secret URL, and hide what a redirect shares with it', async () => {
    const thirdParty = await receiver(() => ({ status: 200 }))
    const target = await receiver(() => ({ status: 301, location: `${thirdParty.url}/v2/T0-token-1/x` }))
    const result = await httpRequest({ url: `${target.url}/hooks/T0-token-1`, secretUrl: true })
    expect(result).toEqual({
      ok: false,
      retryable: false,
      error: `POST ${target.url} answered 301, a redirect to ${thirdParty.url}/v2/[redacted]/x (not followed: set the url to it, or followRedirects: "same-origin")`,
    })
    const down = await httpRequest({
      url: 'http://127.0.0.1:1/hooks/T0-token-1',
      secretUrl: true,
      timeoutMs: 500,
    })
    expect(down.error).toMatch(/^POST http:\/\/127\.0\.0\.1:1 failed: /)
    expect(JSON.stringify([result, down])).not.toContain('token')
    expect(thirdParty.seen).toEqual([])
  })

  it('should give up after maxRedirects', async () => {
    const target = await receiver((url) => ({ status: 307, location: `${url}x` }))
    const result = await httpRequest(
      call({ url: `${target.url}/l`, followRedirects: 'same-origin', maxRedirects: 2 }),
    )
    expect(result).toEqual({
      ok: false,
      retryable: false,
      error: `POST ${target.url}/l failed: more than 2 redirects`,
    })
    expect(target.seen.map((s) => s.url)).toEqual(['/l', '/lx', '/lxx'])
  })

  it('should refuse options it does not know', () => {
    expect(httpCallSchema.safeParse({ url: 'http://x/', followRedirect: 'same-origin' }).success).toBe(false)
    expect(httpCallSchema.safeParse({ url: 'ftp://x/' }).success).toBe(false)
  })
})
