import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { type IncomingHttpHeaders, request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FakeService, startAgent, startService, type TestAgent, until } from './helpers.ts'

/** A `${NAME}` reference as written in a config file. */
const ref = (name: string) => ['$', '{', name, '}'].join('')

/** The status, headers and first body chunk of one request on its own socket, with the Host header given. */
function rawGet(base: string, path: string, host: string) {
  const { hostname, port } = new URL(base)
  return new Promise<{ status: number; headers: IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const req = request({ host: hostname, port, path, headers: { host }, agent: false }, (res) => {
      res.setEncoding('utf8')
      const done = (body: string) => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body })
        req.destroy()
      }
      res.once('data', done)
      res.once('end', () => done(''))
    })
    req.once('error', reject)
    req.end()
  })
}

const TOKEN = 'test-token-0123456789'
const SECRET = 'hooks.example.com/T000/SECRET-abc123'

describe('HTTP API', () => {
  let svc: FakeService
  let t: TestAgent
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${t.url}${path}`, { headers })
    const text = await res.text()
    return {
      status: res.status,
      type: res.headers.get('content-type') ?? '',
      text,
      json: () => JSON.parse(text),
    }
  }
  const post = async (
    path: string,
    body: unknown,
    token?: string,
    method = 'POST',
    type = 'application/json',
  ) => {
    const res = await fetch(`${t.url}${path}`, {
      method,
      headers: { 'content-type': type, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    })
    return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers }
  }

  beforeAll(async () => {
    svc = await startService()
    t = await startAgent(
      {
        healthChecks: { interval: 200, timeout: 200, retries: 0 },
        metrics: { collectInterval: 60_000, storage: { enabled: false } },
        alerting: {
          channels: { ops: { type: 'webhook', url: ref('HOOK_URL') } },
          rules: [
            { name: 'service-down', condition: 'health_check_failed && critical', severity: 'critical' },
          ],
        },
        api: { writeRateLimit: { limit: 20, windowMs: 60_000 } },
        services: [
          { name: 'api', check: { type: 'http', url: `${svc.url}/health` }, metrics: `${svc.url}/metrics` },
          {
            name: 'worker',
            check: { type: 'http', url: `${svc.url}/health` },
            dependsOn: ['api'],
            critical: false,
          },
        ],
      },
      { env: { HOOK_URL: `https://${SECRET}` }, apiToken: TOKEN },
    )
    await until(async () => (await get('/api/health')).json().overall === 'healthy', 10_000, 'healthy fleet')
  })
  afterAll(async () => {
    await t?.close()
    await svc?.close()
  })

  it('should answer /api/health with the summary of every service', async () => {
    const body = (await get('/api/health')).json()
    expect(body).toMatchObject({ overall: 'healthy', counts: { healthy: 2 } })
    expect(body.services.map((s: { service: string }) => s.service)).toEqual(['api', 'worker'])
    expect(body.services[1]).toMatchObject({
      state: 'healthy',
      critical: false,
      dependsOn: ['api'],
      blockedBy: [],
    })
  })

  it('should say how often each value is collected, so the dashboard can mark an old one stale', async () => {
    const summary = (await get('/api/summary')).json()
    expect(summary.metrics.intervalMs).toBe(60_000)
    // the first round ran at start: its time is said
    await until(async () => (await get('/api/summary')).json().metrics.at !== undefined, 10_000, 'a round')
    expect((await get('/api/summary')).json().metrics.at).toBeLessThanOrEqual(Date.now())
    const page = (await get('/api/services')).json()
    expect(page.services.map((s: { intervalMs: number }) => s.intervalMs)).toEqual([200, 200])
    expect((await get('/api/services/api')).json().intervalMs).toBe(200)
  })

  it('should answer /api/status in the shape the dashboard reads', async () => {
    // A 200 ms check can time out on a loaded machine (and fire service-down for a moment):
    // the shape is read once the fleet is quiet again.
    const quiet = async () => {
      const status = (await get('/api/status')).json()
      return status.alerts.firing === 0 && status.services[0]?.state === 'healthy' ? status : undefined
    }
    let body = await quiet()
    await until(
      async () => {
        body ??= await quiet()
        return body !== undefined
      },
      10_000,
      'a quiet fleet',
    )
    expect(Object.keys(body)).toEqual(['timestamp', 'health', 'services', 'metrics', 'alerts', 'healing'])
    expect(body.services[0]).toEqual({
      name: 'api',
      state: 'healthy',
      critical: true,
      flapping: false,
      blockedBy: [],
      latencyMs: expect.any(Number),
      circuit: 'closed',
      degraded: false,
    })
    expect(body.alerts).toEqual({ firing: 0, pending: 0 })
    expect(body.healing).toEqual({ running: 0, pendingApprovals: 0 })
  })

  it('should serve the latest snapshot after a metrics round, and the history and series', async () => {
    // The first round primes the rates; the second has one window to take them from.
    await t.agent.metricsRound()
    await t.agent.metricsRound()
    const snap = (await get('/api/metrics')).json()
    expect(Object.keys(snap)).toEqual([
      'timestamp',
      'system',
      'application',
      'business',
      'custom',
      'services',
    ])
    // The service is scraped by the agent's own loop too: totals grow, the window's rate does not.
    const { total, errors, errorRate } = snap.services.api.requests
    expect(total).toBe(11 * errors)
    expect(errorRate).toBe(0.0909)
    expect(snap.system.cpu.count).toBeGreaterThan(0)
    const recent = (await get('/api/metrics/recent?limit=5')).json()
    expect(recent.at(-1).timestamp).toBe(snap.timestamp)
    const from = Date.now() - 60_000
    const q = (
      await get(`/api/metrics/query?name=noa_error_rate&match[service]=api&from=${from}&step=1000&agg=max`)
    ).json()
    expect(q).toMatchObject({ name: 'noa_error_rate', from, step: 1000 })
    expect(q.series.map((s: { labels: unknown }) => s.labels)).toEqual([{ service: 'api' }])
    expect(q.series[0].points[0][1]).toBeCloseTo(1 / 11, 3)
    const up = (await get(`/api/metrics/query?name=noa_service_up&from=${from}&agg=max`)).json()
    expect(up.series.map((s: { labels: unknown }) => s.labels)).toEqual([
      { service: 'api' },
      { service: 'worker' },
    ])
  })

  it('should refuse bad query parameters with a JSON 400 naming the parameter', async () => {
    for (const [path, message] of [
      ['/api/metrics/recent?limit=abc', /^limit: expected a number from 1 to 1000; found "abc"$/],
      ['/api/metrics/recent?limit=5000', /^limit: /],
      ['/api/metrics/query', /^name: expected a metric name; found null$/],
      [
        '/api/metrics/query?name=x&agg=median',
        /^agg: expected one of avg, min, max, last, rate; found "median"$/,
      ],
      ['/api/metrics/query?name=x&from=10&to=5', /^from must be before to/],
      ['/api/metrics/query?name=x&from=0&to=86400000000&step=1000', /^too many points/],
      ['/api/alerts?state=bogus', /^state: expected pending, firing or resolved/],
      ['/api/approvals?status=x', /^status: /],
    ] as const) {
      const res = await get(path)
      expect(res.status, path).toBe(400)
      expect(res.json().error).toMatch(message)
    }
  })

  it('should answer a service page and 404 for an unknown one', async () => {
    const body = (await get('/api/services/api')).json()
    expect(body.service).toMatchObject({ service: 'api', state: 'healthy' })
    expect(body.checks.length).toBeGreaterThan(0)
    expect(body.checks[0]).toMatchObject({ service: 'api', state: 'healthy' })
    expect(Array.isArray(body.changes) && Array.isArray(body.healings) && Array.isArray(body.alerts)).toBe(
      true,
    )
    const missing = await get('/api/services/nope')
    expect([missing.status, missing.json()]).toEqual([404, { error: 'unknown service "nope"' }])
    expect((await get('/api/nothing')).status).toBe(404)
    expect((await get('/api/services/%E0%A4%A')).status).toBeLessThan(500)
  })

  it('should expose Prometheus text and OpenMetrics by Accept', async () => {
    const prom = await get('/metrics')
    expect(prom.type).toBe('text/plain; version=0.0.4; charset=utf-8')
    expect(prom.text).toContain('noa_service_up{service="api"} 1')
    expect(prom.text).toMatch(/noa_checks_total\{service="api",state="healthy"\} \d+/)
    expect(prom.text).toMatch(/\nnoa_check_results_total\{state="healthy"\} [1-9]\d*\n/)
    expect(prom.text).toMatch(/\nnoa_store_pending_writes \d+\n/)
    expect(prom.text).toContain('\nnoa_store_dropped_writes 0\n')
    expect(prom.text).toContain('# TYPE noa_check_duration_seconds histogram')
    expect(prom.text).toContain('noa_sse_clients')
    const om = await get('/metrics', { accept: 'application/openmetrics-text' })
    expect(om.type).toMatch(/^application\/openmetrics-text; version=1\.0\.0/)
    expect(om.text.endsWith('# EOF\n')).toBe(true)
  })

  it('should answer writes 401 without or with a wrong token, and act with the right one', async () => {
    expect((await post('/api/heal/api', { dryRun: true })).status).toBe(401)
    const wrong = await post('/api/heal/api', { dryRun: true }, 'wrong-token')
    expect([wrong.status, wrong.headers.get('www-authenticate')]).toEqual([401, 'Bearer realm="noa"'])
    const ok = await post('/api/heal/api', { trigger: 'manual', dryRun: true }, TOKEN)
    expect(ok.status).toBe(202)
    expect(ok.body.healing).toMatchObject({ service: 'api', trigger: 'manual', dryRun: true })
    const healings = (await get('/api/healing?service=api')).json()
    expect(healings.healings[0]).toMatchObject({ service: 'api', trigger: 'manual' })
  })

  it('should answer bad write bodies with a JSON 4xx', async () => {
    expect(await post('/api/heal/ghost', {}, TOKEN)).toMatchObject({
      status: 404,
      body: { error: 'unknown service "ghost"' },
    })
    expect(await post('/api/heal/api', '{"trigger":', TOKEN)).toMatchObject({
      status: 400,
      body: { error: 'the body is not valid JSON' },
    })
    expect((await post('/api/heal/api', { trigger: 'Rm -rf' }, TOKEN)).status).toBe(400)
    expect((await post('/api/heal/api', { extra: 1 }, TOKEN)).status).toBe(400)
    expect((await post('/api/heal/api', 'a=1', TOKEN, 'POST', 'text/plain')).status).toBe(415)
    const big = await post('/api/silences', { comment: 'x'.repeat(70_000) }, TOKEN)
    expect(big.status).toBe(413)
    expect(await post('/api/approvals/none/approve', {}, TOKEN)).toMatchObject({ status: 404 })
  })

  it('should add, list and expire silences', async () => {
    const created = await post(
      '/api/silences',
      {
        matchers: [{ name: 'service', value: 'api' }],
        endsAt: Date.now() + 60_000,
        comment: 'maintenance',
        createdBy: 'ops',
      },
      TOKEN,
    )
    expect([created.status, created.body.error]).toEqual([201, undefined])
    const silence = created.body.silence as { id: string; matchers: unknown }
    expect(silence.matchers).toEqual([{ name: 'service', value: 'api', isRegex: false, isEqual: true }])
    const id = silence.id
    expect((await get('/api/alerts')).json().silences.map((s: { id: string }) => s.id)).toContain(id)
    expect((await post(`/api/silences/${id}`, undefined, TOKEN, 'DELETE')).status).toBe(200)
    expect((await post('/api/silences/none', undefined, TOKEN, 'DELETE')).status).toBe(404)
    const invalid = await post('/api/silences', { matchers: [], endsAt: 1, comment: '' }, TOKEN)
    expect(invalid.status).toBe(400)
  })

  it('should approve a pending approval once: 200, then 409', async () => {
    await t.agent.store.approvals.createApproval({
      id: 'ap-1',
      service: 'api',
      action: 'rollback',
      reason: 'deployment failure',
      requestedAt: Date.now(),
      expiresAt: Date.now() + 60_000,
      status: 'pending',
    })
    expect(
      (await get('/api/approvals?status=pending')).json().approvals.map((a: { id: string }) => a.id),
    ).toEqual(['ap-1'])
    expect((await get('/api/healing')).json().approvals[0]).toMatchObject({ id: 'ap-1', status: 'pending' })
    const ok = await post('/api/approvals/ap-1/approve', { by: 'ops', comment: 'fine' }, TOKEN)
    expect([ok.status, ok.body.approval]).toEqual([
      200,
      // The token (NOA_API_TOKEN, named admin) says who decided; the body's name stays in the comment.
      expect.objectContaining({ status: 'approved', decidedBy: 'admin', comment: '(by ops) fine' }),
    ])
    const again = await post('/api/approvals/ap-1/reject', {}, TOKEN)
    expect([again.status, again.body.error]).toEqual([409, 'approval ap-1 is approved, not pending'])
    expect((await post('/api/approvals/ap-1/reject', { by: 3 }, TOKEN)).status).toBe(400)
  })

  it('should never put a secret in an answer', async () => {
    const answers = await Promise.all(
      [
        '/api/status',
        '/api/health',
        '/api/alerts',
        '/api/healing',
        '/api/metrics',
        '/metrics',
        '/api/services/api',
      ].map(async (p) => (await get(p)).text),
    )
    for (const text of answers) expect(text).not.toContain('SECRET-abc123')
    const err = await post('/api/heal/api', { trigger: SECRET }, TOKEN)
    expect(JSON.stringify(err.body)).not.toContain('SECRET-abc123')
  })

  it('should answer only the hosts it is reached by: a forged Host gets 421, on the event stream too', async () => {
    const { port } = new URL(t.url)
    for (const path of ['/api/health', '/api/sse', '/metrics', '/api/heal/api']) {
      const res = await rawGet(t.url, path, `rebound.attacker.example:${port}`)
      expect(res.status, path).toBe(421)
      expect(JSON.parse(res.body).error, path).toMatch(
        /^this agent does not answer for host "rebound\.attacker\.example:\d+"/,
      )
    }
    const stream = await rawGet(t.url, '/api/sse', `localhost:${port}`)
    expect(stream.status).toBe(200)
    expect(stream.headers['content-type']).toMatch(/^text\/event-stream/)
    expect(stream.headers['content-security-policy']).toContain("frame-ancestors 'none'")
    expect([stream.headers['x-frame-options'], stream.headers['x-content-type-options']]).toEqual([
      'DENY',
      'nosniff',
    ])
    expect(stream.headers['referrer-policy']).toBe('no-referrer')
  })

  it('should answer a store failure with 500 and an id, never the error message with its path', async () => {
    const snapshots = t.agent.store.snapshots
    const recent = snapshots.recent
    snapshots.recent = async () => {
      throw new Error('SQLITE_IOERR: disk I/O error at /var/lib/noa-private/data/noa.db')
    }
    try {
      const res = await get('/api/metrics/recent')
      expect(res.status).toBe(500)
      expect(res.json()).toEqual({
        error: expect.stringMatching(/^internal error err_\w+: the agent's log has the details$/),
        id: expect.stringMatching(/^err_/),
      })
      expect(res.text).not.toMatch(/SQLITE|noa-private|noa\.db/)
    } finally {
      snapshots.recent = recent
    }
  })

  it('should rate-limit writes per client with 429 and retry-after', async () => {
    let last = 0
    let retry: string | null = null
    for (let i = 0; i < 30 && last !== 429; i++) {
      const res = await post('/api/approvals/none/reject', {}, TOKEN)
      last = res.status
      retry = res.headers.get('retry-after')
    }
    expect(last).toBe(429)
    expect(Number(retry)).toBeGreaterThan(0)
  })
})

describe('HTTP API without a token', () => {
  let t: TestAgent
  let dist: string
  beforeAll(async () => {
    dist = mkdtempSync(join(tmpdir(), 'noa-dist-'))
    mkdirSync(join(dist, 'assets'))
    writeFileSync(join(dist, 'index.html'), '<!doctype html><title>noa</title>')
    writeFileSync(join(dist, 'assets', 'app.js'), 'console.log(1)')
    t = await startAgent(
      {
        services: [],
        dashboard: { port: 0, corsOrigins: ['http://localhost:5173'] },
        api: { sseMaxClients: 1 },
      },
      { staticDir: dist, start: false },
    )
  })
  afterAll(async () => {
    await t?.close()
    rmSync(dist, { recursive: true, force: true })
  })

  it('should refuse every write with 403, never open', async () => {
    for (const [method, path] of [
      ['POST', '/api/heal/x'],
      ['POST', '/api/approvals/x/approve'],
      ['POST', '/api/approvals/x/reject'],
      ['POST', '/api/silences'],
      ['DELETE', '/api/silences/x'],
    ] as const) {
      const res = await fetch(`${t.url}${path}`, { method, headers: { authorization: 'Bearer anything' } })
      expect(res.status, path).toBe(403)
      expect(await res.json()).toEqual({
        error:
          'write endpoints are disabled: no API token is configured (set NOA_API_TOKEN or NOA_API_TOKENS)',
      })
    }
  })

  it('should answer 503 for /api/metrics before the first round', async () => {
    const res = await fetch(`${t.url}/api/metrics`)
    expect([res.status, await res.json()]).toEqual([503, { error: 'no metrics collected yet' }])
  })

  it('should serve the dashboard build, fall back to index.html and stay inside its folder', async () => {
    const index = await fetch(`${t.url}/`)
    expect([index.status, index.headers.get('content-type'), await index.text()]).toEqual([
      200,
      'text/html; charset=utf-8',
      '<!doctype html><title>noa</title>',
    ])
    const asset = await fetch(`${t.url}/assets/app.js`)
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(asset.headers.get('cache-control')).toContain('immutable')
    expect(await (await fetch(`${t.url}/services/api`)).text()).toContain('<title>noa</title>')
    expect((await fetch(`${t.url}/missing.png`)).status).toBe(404)
    const outside = await fetch(`${t.url}/..%2f..%2fetc%2fpasswd`)
    expect(await outside.text()).not.toContain('root:')
  })

  it('should answer CORS only for the configured origins', async () => {
    const allowed = await fetch(`${t.url}/api/status`, { headers: { origin: 'http://localhost:5173' } })
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:5173')
    const other = await fetch(`${t.url}/api/status`, { headers: { origin: 'http://evil.example' } })
    expect(other.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('should refuse an event stream beyond the most clients with 503', async () => {
    const controller = new AbortController()
    const first = await fetch(`${t.url}/api/sse`, {
      signal: controller.signal,
      headers: { origin: 'http://localhost:5173' },
    })
    expect([first.status, first.headers.get('access-control-allow-origin')]).toEqual([
      200,
      'http://localhost:5173',
    ])
    const second = await fetch(`${t.url}/api/sse`)
    expect([second.status, await second.json()]).toEqual([503, { error: 'too many event streams' }])
    controller.abort()
  })

  it('should serve index.html for the folder itself', async () => {
    const res = await fetch(`${t.url}/assets/`)
    expect(res.status).toBe(404)
    expect((await fetch(`${t.url}/index.html`)).status).toBe(200)
  })
})

describe('HTTP API answers of bounded size', () => {
  // An agent of its own: filling its store keeps the event loop busy, which no check should see.
  let big: TestAgent
  beforeAll(async () => {
    big = await startAgent({ healthChecks: { enabled: false }, metrics: { enabled: false } })
  })
  afterAll(async () => {
    await big?.close()
  })
  const getFrom = async (agent: TestAgent, path: string) => {
    const res = await fetch(`${agent.url}${path}`)
    const text = await res.text()
    return { status: res.status, text, json: () => JSON.parse(text) }
  }

  it('should page healing records newest first and cut every list answer at 4 MiB', async () => {
    // 300 records of 30 kB each: 9 MB in the store, more than one answer may hold.
    const output = 'x'.repeat(30_000)
    for (let i = 0; i < 300; i++)
      await big.agent.store.healing.saveHealing({
        id: `paged-${String(i).padStart(3, '0')}`,
        service: 'paged',
        trigger: 'manual',
        strategy: 'service-restart',
        startedAt: 1_000_000 + i,
        endedAt: 1_000_000 + i,
        outcome: 'succeeded',
        steps: [{ name: 'restart', startedAt: 0, endedAt: 0, ok: true, output }],
        dryRun: false,
      })
    const first = await getFrom(big, '/api/healing?service=paged&limit=1000')
    expect(first.status).toBe(200)
    expect(first.text.length).toBeLessThanOrEqual(4 * 1024 * 1024)
    const page = first.json() as {
      healings: Array<{ id: string; startedAt: number }>
      next?: { before: number }
    }
    expect(page.healings.length).toBeGreaterThan(100)
    expect(page.healings.length).toBeLessThan(300)
    expect(page.healings[0]?.id).toBe('paged-299')
    expect(page.next).toEqual({ before: page.healings.at(-1)?.startedAt })
    const rest = (
      await getFrom(big, `/api/healing?service=paged&limit=1000&before=${page.next?.before}`)
    ).json() as {
      healings: Array<{ id: string }>
    }
    const seen = [...page.healings, ...rest.healings].map((h) => h.id)
    expect(new Set(seen).size).toBe(seen.length)
    expect(rest.healings[0]?.id).toBe(`paged-${String(299 - page.healings.length).padStart(3, '0')}`)
    expect((await getFrom(big, '/api/healing?before=-1')).status).toBe(400)
  })

  it('should answer the newest snapshots that fit in 4 MiB and say how many were left out', async () => {
    const business = Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`key_${i}`, i]))
    for (let i = 0; i < 400; i++)
      await big.agent.store.snapshots.append({
        timestamp: new Date(2_000_000_000_000 + i * 1000).toISOString(),
        system: {},
        application: {},
        business,
        custom: {},
      })
    const res = await fetch(`${big.url}/api/metrics/recent?limit=1000`)
    const text = await res.text()
    expect(text.length).toBeLessThanOrEqual(4 * 1024 * 1024)
    const snapshots = JSON.parse(text) as Array<{ timestamp: string }>
    expect(Number(res.headers.get('x-noa-omitted'))).toBeGreaterThan(0)
    expect(snapshots.at(-1)?.timestamp).toBe(new Date(2_000_000_000_000 + 399_000).toISOString())
  })
})
