import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { type IncomingHttpHeaders, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import { createLogger, type LogRecord } from '@noa/core'
import type { Beat } from '@noa/health'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { validateConfig } from '../config/load.ts'
import type { AgentConfig } from '../config/schema.ts'
import type { AgentApi } from './agent-api.ts'
import { createApp } from './app.ts'
import { hostMatcher, SECURITY_HEADERS } from './protect.ts'

const EXPECTED_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
}

/** The path an internal error of the double's store names: it must never reach a client. */
const SECRET_PATH = '/srv/noa/private-7f3a/data/noa.db'

/** A test double of the agent's narrow API: fixed answers, and a store that fails with a path. */
function fakeApi(): AgentApi {
  const summary = {
    timestamp: '2026-01-01T00:00:00.000Z',
    overall: 'healthy',
    counts: {},
    services: [],
    store: { type: 'memory', ok: true, inMemoryFallback: false, failedWrites: 0, outboxFailing: false },
  }
  const fail = async (): Promise<never> => {
    throw new Error(`SQLITE_CANTOPEN: unable to open database file ${SECRET_PATH}`)
  }
  return {
    health: () => summary as unknown as ReturnType<AgentApi['health']>,
    status: () => ({ health: 'healthy' }) as unknown as ReturnType<AgentApi['status']>,
    statusJson: () => ({
      bytes: new TextEncoder().encode(JSON.stringify({ health: 'healthy' })),
      release: () => undefined,
    }),
    hasService: () => false,
    services: () => ({ services: [], total: 0, next: null }),
    summary: () => ({ health: 'unknown', total: 0 }) as unknown as ReturnType<AgentApi['summary']>,
    latestMetrics: () => undefined,
    recentMetrics: fail,
    queryMetrics: async () => ({ series: [], omitted: 0 }),
    service: fail,
    alerts: fail,
    healings: fail,
    approvals: async () => ({ approvals: [] }),
    approval: async () => undefined,
    heal: fail,
    decide: async () => undefined,
    addSilence: fail,
    expireSilence: async () => undefined,
    silences: () => [],
    attachEvents(res) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' })
      res.write(': hello\n\n')
      return true
    },
    renderMetrics: async () => Buffer.from('# EOF\n'),
    saveDrill: fail,
    drills: fail,
    drill: fail,
    async beat(token, beat) {
      if (token === BOOM_TOKEN) throw new Error('beat store broke')
      if (token !== PUSH_TOKEN) return undefined
      beats.push(beat)
      return { service: 'backup' }
    },
    slos: () => ({ slos: [], total: 0, spent: 0 }),
    statusPage: fail,
    maintenanceWindows: fail,
    openMaintenance: fail,
    endMaintenance: fail,
    incidents: fail,
    incident: fail,
    acknowledgeIncident: fail,
    noteIncident: fail,
  }
}

const PUSH_TOKEN = 'backup-job-token-0123456789'
/** A token whose beat fails inside the agent: the error log must not show it. */
const BOOM_TOKEN = 'boom-job-token-0123456789'
const beats: Beat[] = []
/** The agent binds 0.0.0.0: its reads need a token (roles.test.ts tests that). */
const VIEWER = 'viewer-token-0123456789abcdef'
const READ = { authorization: `Bearer ${VIEWER}` }

function settings(raw: Record<string, unknown>): Pick<AgentConfig, 'api' | 'dashboard'> {
  const result = validateConfig(raw)
  if (!result.ok) throw new Error(JSON.stringify(result.issues))
  return result.config
}

const dir = mkdtempSync(join(tmpdir(), 'noa-app-'))
mkdirSync(join(dir, 'assets'))
writeFileSync(join(dir, 'index.html'), '<!doctype html><script type="module" src="./assets/app.js"></script>')
writeFileSync(join(dir, 'assets', 'app.js'), 'console.log(1)')
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const records: LogRecord[] = []
const app = createApp({
  api: fakeApi(),
  settings: settings({
    dashboard: { host: '0.0.0.0' },
    api: { allowedHosts: ['noa.example.com', 'dashboard.monitoring.svc:9300', '.internal.example'] },
  }),
  staticDir: dir,
  apiTokens: [{ name: 'grafana', role: 'viewer', token: VIEWER }],
  logger: createLogger({ level: 'debug', write: (r) => records.push(r) }),
  localAddresses: ['127.0.0.1', '::1', '10.1.2.3', 'fe80::1'],
})
const get = (path: string, host: string) => app.request(path, { headers: { host, ...READ } })

describe('createApp: Host header', () => {
  it('should answer the loopback names, the machine addresses of a wildcard bind and api.allowedHosts, on any port', async () => {
    for (const host of [
      'localhost',
      'localhost:9300',
      'LOCALHOST:8080',
      '127.0.0.1',
      '127.0.0.1:9300',
      '[::1]',
      '[::1]:9300',
      '10.1.2.3:9300',
      '[fe80::1]:9300',
      'noa.example.com',
      'noa.example.com:443',
      'dashboard.monitoring.svc:9300',
      'internal.example',
      'a.b.internal.example:9300',
    ])
      expect((await get('/api/health', host)).status, host).toBe(200)
  })

  it('should answer 421 with a JSON error to any other host, before any route runs', async () => {
    for (const host of [
      'attacker.example',
      'attacker.example:9300',
      'localhost.attacker.example',
      '127.0.0.1.nip.io:9300',
      'dashboard.monitoring.svc',
      'dashboard.monitoring.svc:9301',
      'xinternal.example',
      '10.1.2.4:9300',
      'noa.example.com.evil:80',
      '[::2]:9300',
    ]) {
      const res = await get('/api/status', host)
      expect(res.status, host).toBe(421)
      expect(res.headers.get('content-type'), host).toMatch(/^application\/json/)
      expect(await res.json()).toEqual({
        error: `this agent does not answer for host ${JSON.stringify(host)}; add the name to api.allowedHosts if it is one of the agent's`,
      })
    }
    // Write routes and the dashboard are behind the same door.
    expect(
      (await app.request('/api/heal/x', { method: 'POST', headers: { host: 'evil.example' } })).status,
    ).toBe(421)
    expect((await get('/', 'evil.example')).status).toBe(421)
  })

  it('should name the bind address when it is not a wildcard, and nothing else of the machine', () => {
    const named = hostMatcher({ bindHost: '192.168.1.5', allowedHosts: [], localAddresses: ['10.0.0.1'] })
    expect(['192.168.1.5:9300', 'localhost', '[::1]:1'].map(named)).toEqual([true, true, true])
    expect(['10.0.0.1', 'example.com', '', ':9300', 'a b'].map(named)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ])
    const v6 = hostMatcher({ bindHost: '::', allowedHosts: [], localAddresses: ['fd00::5'] })
    expect(['[fd00::5]:9300', '[FD00::5]', '[::]:9300', 'fd00::5'].map(v6)).toEqual([true, true, true, false])
    // `noa status` and `noa heal` on the machine connect to the bind address itself.
    const any = hostMatcher({ bindHost: '0.0.0.0', allowedHosts: [], localAddresses: [] })
    expect(['0.0.0.0:9300', '10.0.0.1:9300'].map(any)).toEqual([true, false])
  })
})

describe('createApp: security headers', () => {
  it('should send the CSP, frame, nosniff and referrer headers on API answers, errors and the dashboard', async () => {
    for (const [path, host, status] of [
      ['/api/health', 'localhost', 200],
      ['/metrics', 'localhost', 200],
      ['/api/nope', 'localhost', 404],
      ['/api/alerts', 'localhost', 500],
      ['/', 'localhost', 200],
      ['/assets/app.js', 'localhost', 200],
      ['/api/health', 'evil.example', 421],
    ] as const) {
      const res = await get(path, host)
      expect(res.status, path).toBe(status)
      for (const [name, value] of Object.entries(EXPECTED_HEADERS))
        expect(res.headers.get(name), `${path} ${name}`).toBe(value)
    }
    expect(SECURITY_HEADERS).toEqual(EXPECTED_HEADERS)
  })
})

describe('createApp: internal errors', () => {
  it('should answer 500 with an id only, and log the message with that id', async () => {
    records.length = 0
    const res = await get('/api/alerts', 'localhost')
    expect(res.status).toBe(500)
    const body = (await res.json()) as { error: string; id: string }
    expect(body.id).toMatch(/^err_[0-9a-f]{12}_[0-9a-f]{16}$/)
    expect(body).toEqual({ error: `internal error ${body.id}: the agent's log has the details`, id: body.id })
    expect(JSON.stringify(body)).not.toMatch(/SQLITE|private-7f3a|noa\.db/)
    expect(records).toEqual([
      expect.objectContaining({
        level: 'error',
        msg: 'request failed',
        id: body.id,
        method: 'GET',
        path: '/api/alerts',
        error: `SQLITE_CANTOPEN: unable to open database file ${SECRET_PATH}`,
      }),
    ])
  })
})

// ---- the same over a real socket, where the Host header is whatever the client wrote

let server: Server
let port = 0
beforeAll(async () => {
  server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s as Server))
  })
  port = (server.address() as AddressInfo).port
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((r) => server.close(() => r()))
})
const open = new Set<import('node:http').ClientRequest>()
afterEach(() => {
  for (const req of open) req.destroy()
  open.clear()
})

interface RawAnswer {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

/** One request on a raw socket with the Host header (and request target) given; resolves at the first body chunk. */
function raw(path: string, host: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, headers: { host, ...READ }, agent: false },
      (res) => {
        res.setEncoding('utf8')
        res.once('data', (body: string) =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body }),
        )
        res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' }))
      },
    )
    open.add(req)
    req.once('error', reject)
    req.end()
  })
}

describe('createApp over a real socket', () => {
  it('should refuse a forged Host header with 421 on the API, the event stream and the dashboard', async () => {
    for (const path of ['/api/health', '/api/sse', '/']) {
      const res = await raw(path, `rebind.attacker.example:${port}`)
      expect(res.status, path).toBe(421)
      expect(JSON.parse(res.body), path).toEqual({
        error: `this agent does not answer for host "rebind.attacker.example:${port}"; add the name to api.allowedHosts if it is one of the agent's`,
      })
      expect(res.headers['x-frame-options'], path).toBe('DENY')
    }
  })

  it('should refuse an absolute request target naming another host, whatever the Host header says', async () => {
    const res = await raw(`http://rebind.attacker.example:${port}/api/health`, `127.0.0.1:${port}`)
    expect(res.status).toBe(421)
  })

  it('should open the event stream for an expected host, with the security headers written on the raw socket', async () => {
    const res = await raw('/api/sse', `localhost:${port}`)
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toBe('text/event-stream')
    expect(res.body).toBe(': hello\n\n')
    for (const [name, value] of Object.entries(EXPECTED_HEADERS)) expect(res.headers[name], name).toBe(value)
  })

  it('should answer an allowed name and never put an internal error message on the wire', async () => {
    expect((await raw('/api/health', `noa.example.com:${port}`)).status).toBe(200)
    const res = await raw('/api/metrics/recent', `127.0.0.1:${port}`)
    expect(res.status).toBe(500)
    expect(res.body).toMatch(
      /^\{"error":"internal error err_[0-9a-f_]+: the agent's log has the details","id":"err_/,
    )
    expect(res.body).not.toContain('private-7f3a')
  })
})

describe('createApp: push checks', () => {
  const push = (path: string, init: RequestInit = {}) =>
    app.request(path, { ...init, headers: { host: 'localhost', ...(init.headers as object) } })

  it('should take a beat by GET with its status and message in the query, with no API token', async () => {
    beats.length = 0
    const res = await push(`/api/push/${PUSH_TOKEN}?status=down&msg=disk%20full`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ ok: true, service: 'backup' })
    expect(beats).toEqual([{ status: 'down', message: 'disk full' }])
  })

  it('should take a beat by POST, empty or with a JSON body', async () => {
    beats.length = 0
    expect((await push(`/api/push/${PUSH_TOKEN}`, { method: 'POST' })).status).toBe(200)
    const res = await push(`/api/push/${PUSH_TOKEN}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'up', msg: 'backup done' }),
    })
    expect(res.status).toBe(200)
    expect(beats).toEqual([
      { status: 'up', message: undefined },
      { status: 'up', message: 'backup done' },
    ])
  })

  it('should answer an unknown token and a bad status with a JSON error that does not repeat the token', async () => {
    const unknown = await push('/api/push/not-a-known-token-0000')
    expect(unknown.status).toBe(404)
    expect(await unknown.json()).toEqual({ error: 'no push check has this token' })
    const bad = await push(`/api/push/${PUSH_TOKEN}?status=sideways`)
    expect(bad.status).toBe(400)
    expect(JSON.stringify(await bad.json())).not.toContain(PUSH_TOKEN)
    const notFound = await push(`/api/push/${PUSH_TOKEN}/extra`)
    expect(notFound.status).toBe(404)
    expect(JSON.stringify(await notFound.json())).not.toContain(PUSH_TOKEN)
  })

  it('should keep the token out of the log when a beat fails', async () => {
    records.length = 0
    const res = await push(`/api/push/${BOOM_TOKEN}`)
    expect(res.status).toBe(500)
    expect(records).toMatchObject([{ msg: 'request failed', path: '/api/push/<token>' }])
    expect(JSON.stringify(records)).not.toContain(BOOM_TOKEN)
  })

  it('should limit the beats of one client (api.pushRateLimit)', async () => {
    const limited = createApp({
      api: fakeApi(),
      settings: settings({ api: { pushRateLimit: { limit: 3, windowMs: 60_000 } } }),
      staticDir: dir,
    })
    const statuses: number[] = []
    for (let i = 0; i < 5; i++)
      statuses.push(
        (await limited.request(`/api/push/${PUSH_TOKEN}`, { headers: { host: 'localhost' } })).status,
      )
    expect(statuses).toEqual([200, 200, 200, 429, 429])
  })
})
