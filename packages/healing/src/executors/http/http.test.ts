import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createHttpExecutor, httpExecutorSchema } from './http.ts'

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
