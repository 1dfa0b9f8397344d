import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import type { Silence, SilenceOptions } from '@noa/alerts'
import type { Approval, HealingRecord } from '@noa/core'
import { describe, expect, it } from 'vitest'
import type { ApiToken } from '../config/api-tokens.ts'
import { validateConfig } from '../config/load.ts'
import type { DrillRun } from '../drill/types.ts'
import type { AgentApi } from './agent-api.ts'
import { createApp } from './app.ts'

const VIEWER = 'viewer-token-0123456789abcdef'
const OPERATOR = 'operator-token-0123456789abcdef'
const ADMIN = 'admin-token-0123456789abcdef'
const TOKENS: ApiToken[] = [
  { name: 'grafana', role: 'viewer', token: VIEWER },
  { name: 'oncall', role: 'operator', token: OPERATOR },
  { name: 'root', role: 'admin', token: ADMIN },
]

/** A double of the agent's narrow API that records who each write was made for. */
function recordingApi() {
  const made = {
    heals: [] as Array<{ service: string; requestedBy?: string | undefined }>,
    decisions: [] as Array<{ id: string; by?: string | undefined; comment?: string | undefined }>,
    silences: [] as SilenceOptions[],
    drills: [] as Array<Omit<DrillRun, 'id'>>,
  }
  const pending: Approval = {
    id: 'ap-1',
    service: 'api',
    action: 'rollback',
    reason: 'bad deploy',
    requestedAt: 1,
    expiresAt: 2,
    status: 'pending',
  }
  const api = {
    health: () => ({
      timestamp: 'now',
      overall: 'healthy',
      counts: { healthy: 1 },
      services: [{ name: 'api' }],
      store: { type: 'memory', ok: true, inMemoryFallback: false, failedWrites: 0, outboxFailing: false },
    }),
    statusJson: () => ({ bytes: new TextEncoder().encode('{"services":[]}'), release: () => undefined }),
    hasService: (name: string) => name === 'api',
    latestMetrics: () => ({ timestamp: 1 }),
    approval: async (id: string) => (id === 'ap-1' ? pending : undefined),
    async heal(service: string, trigger: string, _dryRun?: boolean, requestedBy?: string) {
      made.heals.push({ service, requestedBy })
      return { id: 'h1', service, trigger, requestedBy } as unknown as HealingRecord
    },
    async decide(id: string, approve: boolean, by?: string, comment?: string) {
      made.decisions.push({ id, by, comment })
      return { ...pending, status: approve ? 'approved' : 'rejected', decidedBy: by } as Approval
    },
    async addSilence(options: SilenceOptions) {
      made.silences.push(options)
      return { id: 's1', ...options } as Silence
    },
    expireSilence: async (id: string) =>
      ({ id, matchers: [], startsAt: 0, endsAt: 1, comment: 'x' }) as unknown as Silence,
    attachEvents(res: import('node:http').ServerResponse) {
      res.end()
      return true
    },
    renderMetrics: async () => Buffer.from('# EOF\n'),
    async saveDrill(run: Omit<DrillRun, 'id'>) {
      made.drills.push(run)
      return { id: 'drill-1', ...run }
    },
    beat: (token: string) => (token === 'push-token-0123456789' ? { service: 'backup' } : undefined),
  }
  return { api: api as unknown as AgentApi, made }
}

function appOn(host: string, tokens: readonly ApiToken[] = TOKENS) {
  const result = validateConfig({ dashboard: { host } })
  if (!result.ok) throw new Error(JSON.stringify(result.issues))
  const { api, made } = recordingApi()
  const app = createApp({
    api,
    settings: result.config,
    apiTokens: tokens,
    reload: async () => ({
      ok: true,
      result: { services: { added: [], removed: [], changed: [], kept: [] }, notApplied: [] },
    }),
  })
  const call = async (method: string, path: string, token?: string, body?: unknown) => {
    const res = await app.request(path, {
      method,
      headers: {
        host: 'localhost',
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    const text = await res.text()
    return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : text, text }
  }
  return { app, made, call }
}

const SILENCE = {
  matchers: [{ name: 'alertname', value: 'HighCpu' }],
  endsAt: Date.now() + 60_000,
  comment: 'deploying',
  createdBy: 'someone-else',
}

describe('API roles', () => {
  it('should let a viewer read but not heal: 403 naming the role needed, without the token', async () => {
    const { call, made } = appOn('127.0.0.1')
    expect((await call('GET', '/api/status', VIEWER)).status).toBe(200)
    const refused = await call('POST', '/api/heal/api', VIEWER, {})
    expect(refused).toMatchObject({
      status: 403,
      body: {
        error: 'this needs the operator role or above; the token of "grafana" has the viewer role',
        required: 'operator',
        role: 'viewer',
      },
    })
    expect(refused.text).not.toContain(VIEWER)
    expect(made.heals).toEqual([])
  })

  it('should answer 401 to a write without a token or with a wrong one', async () => {
    const { call } = appOn('127.0.0.1')
    for (const token of [undefined, 'not-a-token-0123456789', `${OPERATOR}x`]) {
      const res = await call('POST', '/api/heal/api', token, {})
      expect(res, String(token)).toMatchObject({
        status: 401,
        body: { error: 'a valid bearer token is required' },
      })
    }
  })

  it("should record the operator's name as who healed, silenced and decided, whatever the body says", async () => {
    const { call, made } = appOn('127.0.0.1')
    const heal = await call('POST', '/api/heal/api', OPERATOR, { trigger: 'manual' })
    expect(heal.status).toBe(202)
    expect(heal.body.healing.requestedBy).toBe('oncall')
    expect(made.heals).toEqual([{ service: 'api', requestedBy: 'oncall' }])

    const silence = await call('POST', '/api/silences', OPERATOR, SILENCE)
    expect(silence.status).toBe(201)
    expect(silence.body.silence.createdBy).toBe('oncall')
    expect(made.silences[0]?.createdBy).toBe('oncall')
    expect((await call('DELETE', '/api/silences/s1', OPERATOR)).status).toBe(200)

    const decided = await call('POST', '/api/approvals/ap-1/approve', OPERATOR, {
      by: 'alice',
      comment: 'ok',
    })
    expect(decided.status).toBe(200)
    expect(made.decisions).toEqual([{ id: 'ap-1', by: 'oncall', comment: '(by alice) ok' }])
    await call('POST', '/api/approvals/ap-1/reject', OPERATOR, { by: 'oncall' })
    expect(made.decisions[1]).toEqual({ id: 'ap-1', by: 'oncall', comment: undefined })
  })

  it('should keep reload and drills to admins, recording who recorded a drill', async () => {
    const { call, made } = appOn('127.0.0.1')
    const drill = { startedAt: 1, finishedAt: 2, results: [] }
    for (const [method, path, body] of [
      ['POST', '/api/reload', {}],
      ['POST', '/api/drills', drill],
    ] as const) {
      const res = await call(method, path, OPERATOR, body)
      expect(res, path).toMatchObject({ status: 403, body: { required: 'admin', role: 'operator' } })
    }
    expect((await call('POST', '/api/reload', ADMIN, {})).status).toBe(200)
    const saved = await call('POST', '/api/drills', ADMIN, drill)
    expect(saved.status).toBe(201)
    expect(saved.body.drill.recordedBy).toBe('root')
    expect(made.drills).toEqual([{ ...drill, recordedBy: 'root' }])
    // An admin does what an operator does.
    expect((await call('POST', '/api/heal/api', ADMIN, {})).body.healing.requestedBy).toBe('root')
  })

  it('should say who a token is and what it may do at GET /api/whoami', async () => {
    const { call } = appOn('127.0.0.1')
    const none = {
      heal: false,
      silence: false,
      approve: false,
      maintenance: false,
      acknowledge: false,
      reload: false,
      drill: false,
    }
    const onCall = {
      heal: true,
      silence: true,
      approve: true,
      maintenance: true,
      acknowledge: true,
      reload: false,
      drill: false,
    }
    expect((await call('GET', '/api/whoami')).body).toEqual({ name: null, role: 'anonymous', can: none })
    expect((await call('GET', '/api/whoami', VIEWER)).body).toEqual({
      name: 'grafana',
      role: 'viewer',
      can: none,
    })
    expect((await call('GET', '/api/whoami', OPERATOR)).body).toEqual({
      name: 'oncall',
      role: 'operator',
      can: onCall,
    })
    expect((await call('GET', '/api/whoami', ADMIN)).body).toEqual({
      name: 'root',
      role: 'admin',
      can: { ...onCall, reload: true, drill: true },
    })
    expect((await call('GET', '/api/whoami', 'wrong-token-0123456789')).status).toBe(401)
  })
})

describe('API reads by where the agent listens', () => {
  it('should keep reads open on loopback, yet refuse a wrong token so a typo is noticed', async () => {
    const { call } = appOn('127.0.0.1')
    for (const path of ['/api/status', '/api/metrics', '/metrics'])
      expect((await call('GET', path)).status, path).toBe(200)
    expect((await call('GET', '/api/status', 'wrong-token-0123456789')).status).toBe(401)
  })

  it('should need a viewer token for every read beyond loopback: API, /metrics and the event stream', async () => {
    const { call } = appOn('0.0.0.0')
    for (const path of [
      '/api/status',
      '/api/metrics',
      '/metrics',
      '/api/sse',
      '/api/whoami',
      '/api/services',
    ]) {
      const res = await call('GET', path)
      expect(res.status, path).toBe(401)
      expect((await call('GET', path, 'wrong-token-0123456789')).status, path).toBe(401)
    }
    for (const token of [VIEWER, OPERATOR, ADMIN]) {
      expect((await call('GET', '/api/status', token)).status).toBe(200)
      expect((await call('GET', '/metrics', token)).text).toBe('# EOF\n')
    }
  })

  it('should take the token of the event stream from ?token= (EventSource sets no header), and only there', async () => {
    const { app, call } = appOn('::')
    // The stream is written on the node server's socket: a real one on 127.0.0.1.
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 })
    await new Promise((resolve) => server.once('listening', resolve))
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      expect((await fetch(`${base}/api/sse?token=${VIEWER}`)).status).toBe(200)
      expect((await fetch(`${base}/api/sse?token=wrong-token-0123456789`)).status).toBe(401)
      expect((await fetch(`${base}/api/sse`)).status).toBe(401)
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
    expect((await call('GET', `/api/status?token=${VIEWER}`)).status).toBe(401)
  })

  it('should answer the health probe and push beats without a token, the probe without the fleet', async () => {
    const { call } = appOn('0.0.0.0')
    expect((await call('GET', '/api/health')).body).toEqual({
      timestamp: 'now',
      overall: 'healthy',
      store: { ok: true },
    })
    expect((await call('GET', '/api/health', VIEWER)).body.services).toEqual([{ name: 'api' }])
    expect((await call('GET', '/api/push/push-token-0123456789')).body).toEqual({
      ok: true,
      service: 'backup',
    })
  })

  it('should close reads beyond loopback when no token is configured, saying how to open them', async () => {
    const { call } = appOn('10.0.0.5', [])
    expect(await call('GET', '/api/status')).toMatchObject({
      status: 403,
      body: {
        error:
          'reads from beyond this machine are disabled: no API token is configured (set NOA_API_TOKEN or NOA_API_TOKENS)',
      },
    })
    expect((await call('GET', '/api/health')).status).toBe(200)
  })
})
