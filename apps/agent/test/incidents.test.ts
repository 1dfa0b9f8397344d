import { mkdtempSync, rmSync } from 'node:fs'
import { type ClientRequest, request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ackIncident, listIncidents } from '../src/cli/incidents.ts'
import type { IncidentBody, IncidentSseEvent, IncidentsBody } from '../src/http/api-types.ts'
import { type HookServer, onFrames, startAgent, startHookServer, type TestAgent, until } from './helpers.ts'

const TOKEN = 'incident-api-token'

/** What the webhook receiver got, as `status:alertname/service` per alert. */
const received = (hooks: HookServer) =>
  hooks.notifications.flatMap((body) =>
    (JSON.parse(body) as { alerts: Array<{ status: string; labels: Record<string, string> }> }).alerts.map(
      (a) => `${a.status}:${a.labels.alertname}/${a.labels.service}`,
    ),
  )

const running: Array<{ close(): Promise<void> }> = []
const dirs: string[] = []
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.close()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

/**
 * A real agent watching `ext` (its health answered by a real server the test sets), alerting to
 * that server's webhook, re-sending firing alerts every `repeatInterval` ms.
 */
async function setup(
  options: { repeatInterval?: number; store?: Record<string, unknown>; hooks?: HookServer } = {},
) {
  const hooks = options.hooks ?? (await startHookServer({ ext: 200 }))
  if (!options.hooks) running.push(hooks)
  const t = await startAgent(
    {
      ...(options.store ? { store: options.store } : {}),
      healthChecks: { interval: 200, timeout: 500, retries: 0 },
      // Rule evaluations come with each round: they are what sends reminders.
      metrics: { collectInterval: 200 },
      dashboard: { refreshInterval: 200 },
      alerting: {
        groupWait: 0,
        repeatInterval: options.repeatInterval ?? 0,
        channels: { hook: { type: 'webhook', url: '$' + '{HOOK}' } },
        rules: [
          {
            name: 'service-down',
            condition: 'health_check_failed && critical',
            severity: 'critical',
            annotations: { summary: '{{ $service }} is down' },
            actions: ['notify'],
          },
        ],
      },
      services: [{ name: 'ext', critical: true, check: { type: 'http', url: `${hooks.base}/health/ext` } }],
    },
    { env: { HOOK: `${hooks.base}/hook` }, apiToken: TOKEN },
  )
  running.push(t)
  const api = async <T>(path: string, init: RequestInit & { token?: string; json?: unknown } = {}) => {
    const { token, json, ...rest } = init
    const res = await fetch(`${t.url}${path}`, {
      ...rest,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(json !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(json !== undefined ? { body: JSON.stringify(json), method: rest.method ?? 'POST' } : {}),
    })
    return { status: res.status, body: (await res.json()) as T }
  }
  const open = () =>
    until(
      async () => (await api<IncidentsBody>('/api/incidents?service=ext&state=open')).body.incidents[0],
      15_000,
      'an open incident of ext',
    )
  return { t, hooks, api, open }
}

/** The `incident` events of the agent's event stream. */
async function incidentEvents(t: TestAgent): Promise<{ events: IncidentSseEvent[]; req: ClientRequest }> {
  const events: IncidentSseEvent[] = []
  let connected: () => void = () => undefined
  const answered = new Promise<void>((r) => {
    connected = r
  })
  const req = request(`${t.url}/api/sse`, { headers: { accept: 'text/event-stream' } }, (res) => {
    connected()
    onFrames(res, (frame) => {
      if (!frame.includes('event: incident')) return
      const data = /^data: (.*)$/m.exec(frame)?.[1]
      if (data) events.push(JSON.parse(data) as IncidentSseEvent)
    })
  })
  req.on('error', () => undefined)
  req.end()
  running.push({ close: async () => void req.destroy() })
  // Attached before the test breaks anything, so the stream has every incident event.
  await answered
  return { events, req }
}

describe('incidents, with a real agent, a real service health answer and a real webhook receiver', () => {
  it('should open an incident with its timeline, list and show it, take an acknowledgement and notes with their author, and answer bad input with 4xx JSON', async () => {
    const { t, hooks, api, open } = await setup()
    const stream = await incidentEvents(t)
    await until(async () => t.agent.health.status('ext').state === 'healthy', 15_000, 'ext healthy')
    hooks.health.ext = 503
    const listed = await open()
    expect(listed).toMatchObject({
      service: 'ext',
      state: 'open',
      severity: 'critical',
      title: expect.stringContaining('ext is unhealthy'),
    })
    await until(() => received(hooks).includes('firing:service-down/ext'), 15_000, 'the firing notification')
    const { body } = await until(
      async () => {
        const r = await api<IncidentBody>(`/api/incidents/${listed.id}`)
        return r.body.incident.events.some((e) => e.kind === 'notification') && r
      },
      10_000,
      'the notification in the timeline',
    )
    expect(body.incident.events.map((e) => e.kind).slice(0, 3)).toEqual(['state', 'alert', 'notification'])
    expect(body.incident.events[1]!.text).toBe('service-down firing (critical): ext is down')

    // Writes need the token; who acknowledged is the token's holder.
    expect((await api(`/api/incidents/${listed.id}/ack`, { json: {} })).status).toBe(401)
    const acked = await api<IncidentBody>(`/api/incidents/${listed.id}/ack`, {
      token: TOKEN,
      json: { note: 'looking at it' },
    })
    expect(acked.status).toBe(200)
    expect(acked.body.incident).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'admin' })
    expect(acked.body.incident.events.at(-1)).toMatchObject({
      kind: 'acknowledged',
      by: 'admin',
      text: 'looking at it',
    })
    expect(await api(`/api/incidents/${listed.id}/ack`, { token: TOKEN, json: {} })).toMatchObject({
      status: 409,
      body: { error: `incident ${listed.id} is already acknowledged` },
    })
    const noted = await api<IncidentBody>(`/api/incidents/${listed.id}/notes`, {
      token: TOKEN,
      json: { text: 'disk full on ext' },
    })
    expect(noted.body.incident.events.at(-1)).toMatchObject({
      kind: 'note',
      by: 'admin',
      text: 'disk full on ext',
    })
    expect(
      (await api<IncidentsBody>('/api/incidents?state=acknowledged')).body.incidents.map((i) => i.id),
    ).toEqual([listed.id])

    // Bad input: 4xx with a JSON error, nothing changed.
    const bad: Array<[string, RequestInit & { token?: string; json?: unknown }, number, string]> = [
      [
        '/api/incidents?state=closed',
        {},
        400,
        'state: expected one of open, acknowledged, resolved; found "closed"',
      ],
      ['/api/incidents?limit=0', {}, 400, 'limit: expected a whole number from 1 to 200; found "0"'],
      ['/api/incidents?cursor=nope', {}, 400, 'cursor: not a cursor of this API'],
      ['/api/incidents?sort=up', {}, 400, '"sort": unknown parameter'],
      ['/api/incidents/inc_nope', {}, 404, 'unknown incident "inc_nope"'],
      ['/api/incidents/inc_nope/ack', { token: TOKEN, json: {} }, 404, 'unknown incident "inc_nope"'],
      [
        `/api/incidents/${listed.id}/notes`,
        { token: TOKEN, json: { text: '  ' } },
        400,
        'text: a note needs some text',
      ],
      [
        `/api/incidents/${listed.id}/notes`,
        { token: TOKEN, json: { text: 'x', by: 'me' } },
        400,
        'body: Unrecognized key: "by"',
      ],
      [`/api/incidents/${listed.id}/ack`, { token: TOKEN, json: { note: 'n'.repeat(1001) } }, 400, 'note: '],
    ]
    for (const [path, init, status, error] of bad) {
      const r = await api<{ error: string }>(path, init)
      expect([path, r.status, r.body.error]).toEqual([path, status, expect.stringContaining(error)])
    }

    hooks.health.ext = 200
    await until(
      async () => (await api<IncidentBody>(`/api/incidents/${listed.id}`)).body.incident.state === 'resolved',
      15_000,
      'the incident resolved',
    )
    const resolved = (await api<IncidentBody>(`/api/incidents/${listed.id}`)).body.incident
    expect(resolved.events.at(-1)).toMatchObject({ kind: 'resolved' })
    expect(resolved.events.map((e) => e.kind)).toContain('acknowledged')
    expect(await api(`/api/incidents/${listed.id}/ack`, { token: TOKEN, json: {} })).toMatchObject({
      status: 409,
    })
    await until(() => stream.events.some((e) => e.change === 'resolved'), 5_000, 'the resolved event')
    expect(stream.events[0]).toMatchObject({
      change: 'opened',
      incident: { id: listed.id, service: 'ext' },
      event: { kind: 'state' },
    })
    expect(stream.events.filter((e) => e.change === 'opened')).toHaveLength(1)
    expect(stream.events.find((e) => e.event.kind === 'acknowledged')?.incident).toMatchObject({
      state: 'acknowledged',
    })
  })

  it('should stop the reminders of an acknowledged incident until it resolves, and still send the resolved notification', async () => {
    const { t, hooks, api, open } = await setup({ repeatInterval: 400 })
    await until(async () => t.agent.health.status('ext').state === 'healthy', 15_000, 'ext healthy')
    hooks.health.ext = 503
    const incident = await open()
    const firing = () => received(hooks).filter((a) => a === 'firing:service-down/ext').length
    // Reminders go out while nobody has acknowledged it.
    await until(() => firing() >= 3, 15_000, 'two reminders')
    expect(
      (await api(`/api/incidents/${incident.id}/ack`, { token: TOKEN, json: { note: 'mine' } })).status,
    ).toBe(200)
    // A reminder handed to the channel just before the acknowledgement may still arrive: count from the first one held.
    await until(() => t.agent.alerts.stats().repeatsHeld >= 1, 10_000, 'a reminder held')
    const sentBefore = firing()
    await until(() => t.agent.alerts.stats().repeatsHeld >= 4, 15_000, 'three more reminders held')
    expect(firing()).toBe(sentBefore)
    const metrics = await (await fetch(`${t.url}/metrics`)).text()
    expect(Number(/^noa_notifications_held_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(4)
    expect(metrics).toMatch(/^noa_incidents_open 1$/m)
    hooks.health.ext = 200
    await until(
      () => received(hooks).includes('resolved:service-down/ext'),
      15_000,
      'the resolved notification',
    )
    expect(firing()).toBe(sentBefore)
    await until(
      async () =>
        (await api<IncidentBody>(`/api/incidents/${incident.id}`)).body.incident.state === 'resolved',
      15_000,
      'the incident resolved',
    )
  })

  it('should keep an open, acknowledged incident across an agent restart (SQLite): the same incident continues and resolves once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'noa-incidents-'))
    dirs.push(dir)
    const store = { type: 'sqlite', path: join(dir, 'noa.db') }
    const first = await setup({ store })
    await until(async () => first.t.agent.health.status('ext').state === 'healthy', 15_000, 'ext healthy')
    first.hooks.health.ext = 503
    const incident = await first.open()
    await first.api(`/api/incidents/${incident.id}/ack`, {
      token: TOKEN,
      json: { note: 'before the restart' },
    })
    await first.t.close()
    running.splice(running.indexOf(first.t), 1)

    const second = await setup({ store, hooks: first.hooks })
    // Still down after the restart: the same incident goes on, none is opened beside it.
    await until(
      async () => second.t.agent.health.status('ext').state === 'unhealthy',
      15_000,
      'ext checked again',
    )
    const all = (await second.api<IncidentsBody>('/api/incidents')).body.incidents
    expect(all.map((i) => [i.id, i.state])).toEqual([[incident.id, 'acknowledged']])
    first.hooks.health.ext = 200
    await until(
      async () =>
        (await second.api<IncidentBody>(`/api/incidents/${incident.id}`)).body.incident.state === 'resolved',
      15_000,
      'the incident resolved after the restart',
    )
    const after = (await second.api<IncidentsBody>('/api/incidents')).body.incidents
    expect(after.map((i) => [i.id, i.state])).toEqual([[incident.id, 'resolved']])
    const timeline = (await second.api<IncidentBody>(`/api/incidents/${incident.id}`)).body.incident.events
    expect(timeline.filter((e) => e.kind === 'acknowledged').map((e) => e.text)).toEqual([
      'before the restart',
    ])
  })

  it('should list incidents and acknowledge one from the command line (noa incidents, noa ack)', async () => {
    const { t, hooks, open } = await setup()
    await until(async () => t.agent.health.status('ext').state === 'healthy', 15_000, 'ext healthy')
    hooks.health.ext = 503
    const incident = await open()
    const lines: string[] = []
    const errors: string[] = []
    const to = { url: t.url, out: (l: string) => lines.push(l), err: (l: string) => errors.push(l) }
    expect(await listIncidents(to, { state: 'open' })).toBe(0)
    expect(lines).toEqual([
      expect.stringMatching(new RegExp(`^${incident.id}  open +critical .* ext: ext is unhealthy`)),
    ])
    expect(await listIncidents(to, { state: 'gone' })).toBe(2)
    expect(await ackIncident(to, incident.id, 'from the shell')).toBe(1)
    expect(errors.at(-1)).toBe('noa: set NOA_API_TOKEN to acknowledge an incident')
    expect(await ackIncident({ ...to, token: TOKEN }, incident.id, 'from the shell')).toBe(0)
    expect(lines.at(-1)).toBe(`${incident.id}: acknowledged by admin; reminders stop until it resolves`)
    expect(await ackIncident({ ...to, token: TOKEN }, incident.id, undefined)).toBe(1)
    expect(errors.at(-1)).toBe(`noa: the agent answered 409: incident ${incident.id} is already acknowledged`)
    lines.length = 0
    expect(await listIncidents(to, { json: true })).toBe(0)
    expect(JSON.parse(lines.join('\n'))).toMatchObject([
      { id: incident.id, state: 'acknowledged', acknowledgedBy: 'admin' },
    ])
  })
})
