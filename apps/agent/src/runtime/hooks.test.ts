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
afterAll(async () => {
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
    expect(records.some((r) => r.msg === 'hook webhook answered an error' && r.status === 500)).toBe(true)
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

  it('should refuse a hook with both or neither of command and webhook', () => {
    expect(hookSchema.safeParse({ on: ['change'] }).success).toBe(false)
    expect(hookSchema.safeParse({ on: ['change'], command: ['x'], webhook: 'http://x' }).success).toBe(false)
  })
})
