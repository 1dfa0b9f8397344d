import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import { type AddressInfo, createServer as createNetServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import { stopRecorded } from '@noa/healing'
import pg from 'pg'
import { Agent } from '../src/agent.ts'
import { servicesRunDir } from '../src/cli/paths.ts'
import { formatConfigIssues, validateConfig } from '../src/config/load.ts'
import { createApp } from '../src/http/app.ts'

/** A real HTTP service whose health answer a test can flip. */
export interface FakeService {
  url: string
  port: number
  status: number
  close(): Promise<void>
}

export async function startService(): Promise<FakeService> {
  const state = { status: 200, scrapes: 0 }
  const server: Server = createServer((req, res) => {
    if (req.url === '/metrics') {
      // Between two scrapes the service answered 11 requests, one of them an error.
      state.scrapes++
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
      res.end(
        `# TYPE http_requests_total counter\nhttp_requests_total{status="200"} ${10 * state.scrapes}\nhttp_requests_total{status="500"} ${state.scrapes}\n`,
      )
      return
    }
    res.writeHead(state.status, { 'content-type': 'application/json' }).end('{"status":"ok"}')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get status() {
      return state.status
    },
    set status(v: number) {
      state.status = v
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}

/** An agent in this process with a memory store, its API on a free port. */
export interface TestAgent {
  agent: Agent
  url: string
  dir: string
  close(): Promise<void>
}

export async function startAgent(
  raw: Record<string, unknown>,
  options: { env?: Record<string, string>; apiToken?: string; staticDir?: string; start?: boolean } = {},
): Promise<TestAgent> {
  const dir = mkdtempSync(join(tmpdir(), 'noa-agent-'))
  const result = validateConfig(
    { store: { type: 'memory' }, dashboard: { port: 0 }, alerting: { channels: {} }, ...raw },
    options.env ?? {},
  )
  if (!result.ok) throw new Error(formatConfigIssues(result.issues).join('\n'))
  const agent = await Agent.create(result.config, { baseDir: dir, write: () => undefined })
  const app = createApp({
    api: agent.api,
    settings: agent.config,
    ...(options.apiToken ? { apiToken: options.apiToken } : {}),
    ...(options.staticDir ? { staticDir: options.staticDir } : {}),
  })
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s))
  })
  if (options.start !== false) await agent.start()
  const port = (server.address() as AddressInfo).port
  return {
    agent,
    url: `http://127.0.0.1:${port}`,
    dir,
    async close() {
      await agent.stop()
      // Supervised services outlive their agent; stop them as `noa stop` does.
      await stopRecorded(servicesRunDir(dir), { timeoutMs: 5000 })
      ;(server as unknown as Server).closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** A free TCP port on 127.0.0.1 (for a service the test configures before it starts). */
export function freePort(): Promise<number> {
  return new Promise((done) => {
    const s = createNetServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo
      s.close(() => done(port))
    })
  })
}

/** Waits until `check` returns a truthy value (polling a real system), or fails after `ms`. */
export async function until<T>(
  check: () => T | Promise<T>,
  ms = 20_000,
  what = 'condition',
): Promise<Exclude<T, false | null | undefined | 0 | ''>> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await check()
    if (value) return value as Exclude<T, false | null | undefined | 0 | ''>
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/**
 * A real HTTP server that answers `/health/<service>` with the status a test sets in `health`,
 * and records every body POSTed to `/hook` (a webhook alert channel) in `notifications`.
 */
export interface HookServer {
  base: string
  health: Record<string, number>
  notifications: string[]
  /** The service-down notifications about `service`. */
  mentions(service: string): string[]
  close(): Promise<void>
}

export async function startHookServer(health: Record<string, number>): Promise<HookServer> {
  const notifications: string[] = []
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/health/')) return void res.writeHead(health[req.url.slice(8)] ?? 404).end()
    if (req.url === '/hook') {
      let body = ''
      req.on('data', (c) => {
        body += c
      })
      req.on('end', () => {
        notifications.push(body)
        res.writeHead(200).end()
      })
      return
    }
    res.writeHead(404).end()
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    health,
    notifications,
    mentions: (service) =>
      notifications.filter((b) => b.includes('service-down') && b.includes(`"service":"${service}"`)),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}

/** Drops a test's PostgreSQL schema and everything in it. */
export async function dropSchema(connectionString: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString })
  await client.connect()
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  } finally {
    await client.end()
  }
}

/** Calls `onFrame` with each whole event-stream frame `res` sends (the text before a blank line). */
export function onFrames(res: IncomingMessage, onFrame: (frame: string) => void): void {
  let buffer = ''
  res.setEncoding('utf8')
  res.on('data', (chunk: string) => {
    buffer += chunk
    let end = buffer.indexOf('\n\n')
    while (end >= 0) {
      onFrame(buffer.slice(0, end))
      buffer = buffer.slice(end + 2)
      end = buffer.indexOf('\n\n')
    }
  })
}
