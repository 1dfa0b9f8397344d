import { mkdtempSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { LocalSupervisor } from '@noa/healing'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import type {
  FleetServicesBody,
  MaintenanceWindow,
  ServiceDetail,
  StatusBody,
  SummaryBody,
} from '../src/http/api-types.ts'
import type { StatusPageBody } from '../src/status-page/types.ts'
import { freePort, type HookServer, onFrames, startAgent, startHookServer, until } from './helpers.ts'

const fixture = resolve(import.meta.dirname, 'fixtures', 'service.mjs')
const TOKEN = 'maintenance-token'
const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }

/** What the webhook receiver got, as `status:alertname/service` per alert. */
const received = (hooks: HookServer) =>
  hooks.notifications.flatMap((body) =>
    (JSON.parse(body) as { alerts: Array<{ status: string; labels: Record<string, string> }> }).alerts.map(
      (a) => `${a.status}:${a.labels.alertname}/${a.labels.service}`,
    ),
  )

const open: Array<{ close(): Promise<void> }> = []
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close()
})

/** A real agent supervising `api` (a real child process) and checking `web`, alerting to a real webhook receiver. */
async function fleet(store: Record<string, unknown> = { type: 'memory' }) {
  const hooks = await startHookServer({ web: 200 })
  open.push(hooks)
  const port = await freePort()
  const t = await startAgent(
    {
      store,
      healthChecks: { interval: 300, timeout: 300, retries: 0 },
      metrics: { enabled: false },
      dashboard: { refreshInterval: 200 },
      selfHealing: {
        restartCooldown: 0,
        strategies: { serviceRestart: { cooldown: 0, stopWait: 100, startWait: 1000 } },
      },
      alerting: {
        groupWait: 0,
        channels: { hook: { type: 'webhook', url: '$' + '{HOOK}' } },
        // The seed's rule without its 1-minute cooldown.
        rules: [
          {
            name: 'service-down',
            condition: 'health_check_failed && critical',
            severity: 'critical',
            actions: ['notify', { type: 'heal', trigger: 'service-down' }],
          },
        ],
      },
      services: [
        {
          name: 'api',
          critical: true,
          tags: ['edge'],
          check: { type: 'http', url: `http://127.0.0.1:${port}/health` },
          executor: {
            type: 'local',
            command: [process.execPath, fixture, String(port)],
            shutdownTimeoutMs: 1000,
          },
        },
        {
          name: 'web',
          critical: true,
          tags: ['edge'],
          public: true,
          check: { type: 'http', url: `${hooks.base}/health/web` },
        },
      ],
    },
    { env: { HOOK: `${hooks.base}/hook` }, apiToken: TOKEN },
  )
  open.push(t)
  const api = async <T>(path: string, init?: RequestInit) => {
    const res = await fetch(`${t.url}${path}`, init)
    return { status: res.status, body: (await res.json()) as T }
  }
  const status = async (name: string) =>
    (await api<StatusBody>('/api/status')).body.services.find((s) => s.name === name)
  const pid = () => (t.agent.healing.executor('api') as LocalSupervisor).pid
  await until(async () => (await status('api'))?.state === 'healthy', 20_000, 'api to be healthy')
  await until(async () => (await status('web'))?.state === 'healthy', 20_000, 'web to be healthy')
  return { t, hooks, api, status, pid }
}

const openWindow = (
  api: Awaited<ReturnType<typeof fleet>>['api'],
  body: Record<string, unknown>,
  headers: Record<string, string> = auth,
) =>
  api<{ maintenance: MaintenanceWindow; error?: string }>('/api/maintenance', {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
  })

describe('maintenance windows in a running agent', () => {
  it('should neither notify nor restart an exited process inside a window, and do both once it ends', async () => {
    const { t, hooks, api, status, pid } = await fleet()
    const first = pid()!
    // What the incident timeline subscribes to, and what the event stream sends.
    const phases: string[] = []
    t.agent.maintenance.on('maintenance', (e) => phases.push(`${e.phase}:${e.window.id}`))
    const frames: string[] = []
    const stream = request(`${t.url}/api/sse`, (res) => onFrames(res, (f) => frames.push(f)))
    stream.on('error', () => undefined)
    stream.end()
    open.push({ close: async () => void stream.destroy() })
    await until(() => frames.length > 0, 10_000, 'the event stream')
    // A start-up race (a check before the process listened) may have alerted already: only what comes after counts.
    const since = received(hooks).length
    const sinceWindow = () => received(hooks).slice(since)
    const opened = await openWindow(api, {
      services: ['api'],
      endsAt: Date.now() + 10 * 60_000,
      reason: 'swapping the disk',
    })
    expect(opened.status).toBe(201)
    expect(opened.body.maintenance).toMatchObject({
      services: ['api'],
      reason: 'swapping the disk',
      createdBy: 'admin',
      state: 'active',
    })
    const id = opened.body.maintenance.id
    expect(phases).toEqual([`opened:${id}`])
    expect((await status('api'))?.maintenance).toBe(true)
    const tiles = (await api<FleetServicesBody>('/api/services')).body.services
    expect(tiles.find((s) => s.name === 'api')?.maintenance).toEqual({
      id,
      reason: 'swapping the disk',
      endsAt: opened.body.maintenance.endsAt,
    })
    expect(tiles.find((s) => s.name === 'web')?.maintenance).toBeUndefined()
    expect((await status('web'))?.maintenance).toBeUndefined()
    const detail = (await api<ServiceDetail>('/api/services/api')).body
    expect(detail.service.maintenance).toBe(true)
    expect(detail.maintenance?.id).toBe(id)

    process.kill(first, 'SIGKILL')
    // The checks go on and are recorded, marked with the window: three of them after the exit.
    await until(
      async () =>
        (await t.agent.store.checks.results({ service: 'api', limit: 20 })).filter(
          (r) => r.state !== 'healthy' && r.details?.maintenance === id,
        ).length >= 3,
      20_000,
      'checks of api recorded in maintenance',
    )
    expect((await status('api'))?.state).toBe('error')
    expect(pid()).toBeUndefined()
    expect(t.agent.alerts.alerts()).toMatchObject([
      { rule: 'service-down', state: 'firing', labels: { service: 'api' }, muted: 'maintenance' },
    ])
    expect(sinceWindow()).toEqual([])
    const metrics = await (await fetch(`${t.url}/metrics`)).text()
    expect(metrics).toMatch(/noa_incident_decisions_total\{event="process-exit",decision="maintenance"\} 1/)
    expect(metrics).toContain('noa_maintenance_windows_open 1')

    const ended = await api<{ maintenance: MaintenanceWindow }>(`/api/maintenance/${id}`, {
      method: 'DELETE',
      headers: auth,
    })
    expect(ended.status).toBe(200)
    expect(ended.body.maintenance).toMatchObject({ id, state: 'ended', endedBy: 'admin' })
    expect(phases).toEqual([`opened:${id}`, `ended:${id}`])
    await until(
      () => frames.filter((f) => f.includes('event: maintenance') && f.includes(id)).length === 2,
      10_000,
      'the maintenance events on the stream',
    )
    await until(() => pid() !== undefined && pid() !== first, 20_000, 'api to be restarted after the window')
    await until(() => sinceWindow().includes('firing:service-down/api'), 20_000, 'the notification of api')
    await until(async () => (await status('api'))?.state === 'healthy', 20_000, 'api healthy again')
    expect((await status('api'))?.maintenance).toBeUndefined()
  }, 60_000)

  it('should keep the fleet healthy and the public page in maintenance while a window covers a down service, and count it down after', async () => {
    const { t, hooks, api, status } = await fleet()
    const summary = async () => (await api<SummaryBody>('/api/summary')).body
    const overall = async () => (await api<StatusBody>('/api/status')).body.health
    const probe = async () => (await api<{ overall: string }>('/api/health')).body.overall
    const page = async () => (await api<StatusPageBody>('/api/status-page')).body
    const web = (p: StatusPageBody) => p.groups.flatMap((g) => g.services).find((s) => s.name === 'web')
    expect(await overall()).toBe('healthy')
    hooks.health.web = 503
    await until(async () => (await status('web'))?.state === 'unhealthy', 20_000, 'web to be down')
    expect(await summary()).toMatchObject({ health: 'unhealthy', down: 1, criticalDown: 1, maintenance: 0 })
    expect(await overall()).toBe('unhealthy')

    const opened = await openWindow(api, {
      services: ['web'],
      endsAt: Date.now() + 10 * 60_000,
      reason: 'swapping the disk',
    })
    expect(opened.status).toBe(201)
    const { id } = opened.body.maintenance
    // Its state stays as checked, marked; it no longer makes the fleet unhealthy.
    expect(await status('web')).toMatchObject({ state: 'unhealthy', maintenance: true })
    expect(await summary()).toMatchObject({
      health: 'healthy',
      counts: { healthy: 1, unhealthy: 1, error: 0, unknown: 0 },
      down: 0,
      criticalDown: 0,
      maintenance: 1,
      tags: [{ name: 'edge', total: 2, down: 0, unknown: 0, maintenance: 1 }],
    })
    expect(await overall()).toBe('healthy')
    expect(await probe()).toBe('healthy')
    const during = await page()
    expect(web(during)?.state).toBe('maintenance')
    expect([during.status, during.banner]).toEqual(['maintenance', 'Scheduled maintenance in progress'])
    const html = await (await fetch(`${t.url}/status`)).text()
    expect(html).toContain('<span class="state maintenance">Under maintenance</span>')
    // The page says maintenance in its own words: not why, not who.
    expect(JSON.stringify(during) + html).not.toMatch(/swapping|admin/)

    const ended = await api(`/api/maintenance/${id}`, { method: 'DELETE', headers: auth })
    expect(ended.status).toBe(200)
    expect(await status('web')).toMatchObject({ state: 'unhealthy' })
    expect((await status('web'))?.maintenance).toBeUndefined()
    expect(await summary()).toMatchObject({ health: 'unhealthy', down: 1, criticalDown: 1, maintenance: 0 })
    expect(await overall()).toBe('unhealthy')
    expect(await probe()).toBe('unhealthy')
    // Not the page cached 30 s: the window's end shows at once.
    const after = await page()
    expect(web(after)?.state).toBe('outage')
    expect([after.status, after.banner]).toEqual(['major_outage', 'Major outage'])
  }, 60_000)

  it('should answer 201, 400, 401, 404 and 409 as API.md says, and list windows by state', async () => {
    const { api } = await fleet()
    const now = Date.now()
    const bad = async (body: Record<string, unknown>, status: number, error: RegExp) => {
      const r = await openWindow(api, body)
      expect(r.status).toBe(status)
      expect(r.body.error).toMatch(error)
    }
    await bad({ services: ['api'], endsAt: now + 60_000 }, 400, /reason/)
    await bad({ services: ['api'], endsAt: 'soon', reason: 'x' }, 400, /endsAt/)
    await bad({ services: ['api'], endsAt: now + 60_000, reason: 'x', extra: 1 }, 400, /extra/)
    await bad({ services: ['nope'], endsAt: now + 60_000, reason: 'x' }, 404, /unknown service "nope"/)
    await bad({ services: ['api'], endsAt: now - 1000, reason: 'x' }, 400, /after startsAt|in the future/)
    await bad(
      { services: ['api'], startsAt: now + 60_000, endsAt: now + 30_000, reason: 'x' },
      400,
      /after startsAt/,
    )
    await bad({ services: ['api'], endsAt: now + 8 * 86_400_000, reason: 'x' }, 400, /at most 168 h/)
    const unauthorized = await openWindow(api, { services: ['api'], endsAt: now + 60_000, reason: 'x' }, {})
    expect(unauthorized.status).toBe(401)

    const active = await openWindow(api, {
      services: [],
      tags: ['edge'],
      endsAt: now + 60_000,
      reason: 'edge work',
    })
    const upcoming = await openWindow(api, {
      services: ['web'],
      startsAt: now + 3_600_000,
      endsAt: now + 7_200_000,
      reason: 'later',
    })
    expect([active.status, upcoming.status]).toEqual([201, 201])
    expect(upcoming.body.maintenance.state).toBe('upcoming')
    const list = async (query = '') =>
      (await api<{ maintenance: MaintenanceWindow[] }>(`/api/maintenance${query}`)).body.maintenance.map(
        (w) => [w.id, w.state],
      )
    expect(await list()).toEqual([
      [active.body.maintenance.id, 'active'],
      [upcoming.body.maintenance.id, 'upcoming'],
    ])
    expect(await list('?state=upcoming')).toEqual([[upcoming.body.maintenance.id, 'upcoming']])
    expect((await api('/api/maintenance?state=bogus')).status).toBe(400)
    expect((await api('/api/maintenance?limit=0')).status).toBe(400)

    const del = (id: string, headers: Record<string, string> = auth) =>
      api<{ error?: string }>(`/api/maintenance/${id}`, { method: 'DELETE', headers })
    expect((await del(upcoming.body.maintenance.id, {})).status).toBe(401)
    expect((await del('mnt_unknown')).status).toBe(404)
    expect((await del(upcoming.body.maintenance.id)).status).toBe(200)
    const again = await del(upcoming.body.maintenance.id)
    expect(again.status).toBe(409)
    expect(again.body.error).toMatch(/already over/)
    expect(await list('?state=ended')).toEqual([[upcoming.body.maintenance.id, 'ended']])
  }, 60_000)
})

describe('maintenance windows across an agent restart (SQLite)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'noa-maintenance-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('should reload the windows opened through the API, with who opened them and why', async () => {
    const store = { type: 'sqlite', path: join(dir, 'noa.db') }
    const first = await fleet(store)
    const opened = await openWindow(first.api, {
      services: ['web'],
      endsAt: Date.now() + 600_000,
      reason: 'upgrade',
    })
    expect(opened.status).toBe(201)
    for (const o of open.splice(0).reverse()) await o.close()

    const second = await fleet(store)
    const listed = (await second.api<{ maintenance: MaintenanceWindow[] }>('/api/maintenance')).body
      .maintenance
    expect(listed).toEqual([opened.body.maintenance])
    expect((await second.status('web'))?.maintenance).toBe(true)
    expect((await second.status('api'))?.maintenance).toBeUndefined()
  }, 60_000)
})
