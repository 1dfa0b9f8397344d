import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLogger, type LogRecord } from '@noa/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hookSchema } from '../config/schema.ts'
import { createHookRunner } from './hooks.ts'

const dir = mkdtempSync(join(tmpdir(), 'noa-hooks-'))
const records: LogRecord[] = []
const logger = createLogger({ level: 'debug', write: (r) => records.push(r) })
let server: Server
const received: Array<{ headers: Record<string, unknown>; body: string }> = []
let base = ''

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = ''
    req.on('data', (d: Buffer) => {
      body += d.toString()
    })
    req.on('end', () => {
      received.push({ headers: req.headers, body })
      res.writeHead(req.url === '/fail' ? 500 : 204).end()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
const receivers: Server[] = []
afterAll(async () => {
  await Promise.all(
    receivers.map(
      (s) =>
        new Promise<void>((r) => {
          s.close(() => r())
          s.closeAllConnections()
        }),
    ),
  )
  await new Promise<void>((r) => server.close(() => r()))
  rmSync(dir, { recursive: true, force: true })
})

const hook = (h: unknown) => hookSchema.parse(h)

describe('createHookRunner', () => {
  it('should run a command with the event as JSON on stdin and in environment variables', async () => {
    const out = join(dir, 'event.txt')
    const script =
      'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>require("fs").writeFileSync(process.argv[1], s + "\\n" + process.env.NOA_EVENT_NAME + " " + process.env.NOA_EVENT_SERVICE + " " + process.env.NOA_EVENT_TO))'
    const runner = createHookRunner(
      [hook({ on: ['change'], command: [process.execPath, '-e', script, out] })],
      logger,
      dir,
    )
    runner.emit('change', { service: 'api', from: 'healthy', to: 'error' })
    runner.emit('alert.firing', { rule: 'x' }) // no hook for it
    await runner.idle()
    const [json, vars] = readFileSync(out, 'utf8').split('\n')
    expect(JSON.parse(json!)).toMatchObject({
      event: 'change',
      data: { service: 'api', from: 'healthy', to: 'error' },
    })
    expect(vars).toBe('change api error')
  })

  it('should POST the event to a webhook and log an error answer', async () => {
    const runner = createHookRunner(
      [
        hook({ on: ['alert.firing'], webhook: `${base}/ok` }),
        hook({ on: ['alert.firing'], webhook: `${base}/fail` }),
      ],
      logger,
      dir,
    )
    runner.emit('alert.firing', { rule: 'service-down' })
    await runner.idle()
    expect(received).toHaveLength(2)
    expect(received[0]!.headers['content-type']).toBe('application/json')
    expect(JSON.parse(received[0]!.body)).toMatchObject({
      event: 'alert.firing',
      data: { rule: 'service-down' },
    })
    expect(records.find((r) => r.msg === 'hook webhook failed')).toMatchObject({
      event: 'alert.firing',
      error: `POST ${base} answered 500`,
    })
  })

  it('should log a command that fails, cannot run or a webhook that cannot be reached, and go on', async () => {
    const runner = createHookRunner(
      [
        hook({
          on: ['healing.finished'],
          command: [process.execPath, '-e', 'console.error("boom"); process.exit(3)'],
        }),
        hook({ on: ['healing.finished'], command: [join(dir, 'missing-command')] }),
        hook({ on: ['healing.finished'], webhook: 'http://127.0.0.1:1/x', timeout: 500 }),
      ],
      logger,
      dir,
    )
    runner.emit('healing.finished', { service: 'api' })
    await runner.idle()
    expect(records.find((r) => r.msg === 'hook command failed')).toMatchObject({ code: 3, stderr: 'boom' })
    expect(records.some((r) => r.msg === 'hook command could not run')).toBe(true)
    expect(records.some((r) => r.msg === 'hook webhook failed')).toBe(true)
  })

  it('should send its headers, and follow no redirect: the third party gets nothing, the log names no secret', async () => {
    const third = await receiver(() => ({ status: 200 }))
    const hooked = await receiver(() => ({ status: 307, location: `${third.url}/moved/T0-secret-token?x=1` }))
    records.length = 0
    const runner = createHookRunner(
      [
        hook({
          on: ['change'],
          webhook: `${hooked.url}/hooks/T0-secret-token`,
          headers: { authorization: 'Bearer hook-token' },
        }),
      ],
      logger,
      dir,
    )
    runner.emit('change', { service: 'api' })
    await runner.idle()
    expect(hooked.seen.map((r) => [r.method, r.url, r.auth, r.type])).toEqual([
      ['POST', '/hooks/T0-secret-token', 'Bearer hook-token', 'application/json'],
    ])
    expect(third.seen).toEqual([])
    const failure = records.find((r) => r.msg === 'hook webhook failed')
    expect(failure?.error).toBe(
      `POST ${hooked.url} answered 307, a redirect to ${third.url}/moved/[redacted] (not followed: set the url to it, or followRedirects: "same-origin")`,
    )
    expect(JSON.stringify(records)).not.toMatch(/secret-token|hook-token/)
  })

  it('should follow redirects within the receiver\'s origin with followRedirects: "same-origin", never to another', async () => {
    const third = await receiver(() => ({ status: 200 }))
    const hooked = await receiver((url) =>
      url === '/old'
        ? { status: 308, location: '/new' }
        : url === '/new'
          ? { status: 204 }
          : { status: 307, location: `${third.url}/collect` },
    )
    records.length = 0
    const runner = createHookRunner(
      [
        hook({ on: ['change'], webhook: `${hooked.url}/old`, followRedirects: 'same-origin' }),
        hook({ on: ['change'], webhook: `${hooked.url}/away`, followRedirects: 'same-origin' }),
      ],
      logger,
      dir,
    )
    runner.emit('change', { service: 'api' })
    await runner.idle()
    expect(hooked.seen.map((r) => `${r.method} ${r.url}`).sort()).toEqual([
      'POST /away',
      'POST /new',
      'POST /old',
    ])
    expect(JSON.parse(hooked.seen.find((r) => r.url === '/new')!.body)).toMatchObject({ event: 'change' })
    expect(third.seen).toEqual([])
    expect(records.filter((r) => r.msg === 'hook webhook failed').map((r) => r.error)).toEqual([
      `POST ${hooked.url} answered 307, a redirect to ${third.url}/collect (another origin: not followed)`,
    ])
  })

  it('should refuse a hook with both or neither of command and webhook', () => {
    expect(hookSchema.safeParse({ on: ['change'] }).success).toBe(false)
    expect(hookSchema.safeParse({ on: ['change'], command: ['x'], webhook: 'http://x' }).success).toBe(false)
    expect(hookSchema.safeParse({ on: ['change'], command: ['x'], headers: { a: 'b' } }).success).toBe(false)
  })
})

interface Received {
  method?: string
  url?: string
  auth?: string
  type?: string
  body: string
}

/** A real receiver on 127.0.0.1 that records each request and answers what `answer` says. */
async function receiver(answer: (url: string) => { status: number; location?: string }) {
  const seen: Received[] = []
  const s = createServer(async (req, res) => {
    let body = ''
    for await (const chunk of req) body += chunk
    seen.push({
      method: req.method,
      url: req.url,
      auth: req.headers.authorization,
      type: req.headers['content-type'],
      body,
    })
    const a = answer(req.url ?? '')
    res.writeHead(a.status, a.location ? { location: a.location } : {}).end()
  })
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  receivers.push(s)
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, seen }
}
