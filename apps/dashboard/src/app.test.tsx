import { act, fireEvent, screen, waitFor, within } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { App, parseRoute } from './app.tsx'
import { createFakeAgent, ok } from './test-utils/fake-agent.ts'
import {
  alert,
  approval,
  drillRun,
  fleetService,
  healing,
  serviceStatus,
  servicesPage,
  summary,
  T0,
} from './test-utils/fixtures.ts'
import { renderLive } from './test-utils/render.tsx'

function fleet() {
  const services = [
    serviceStatus({ service: 'api', critical: true, dependsOn: ['db'] }),
    serviceStatus({ service: 'db' }),
  ]
  const listed = [fleetService({ name: 'api', critical: true }), fleetService({ name: 'db' })]
  const agent = createFakeAgent({
    'GET /api/summary': ok(summary(listed)),
    'GET /api/services': (call) => ok(servicesPage(listed, call.path)),
    'GET /api/alerts': ok({ alerts: [alert()], silences: [] }),
    'GET /api/healing': ok({ healings: [healing()], approvals: [approval()] }),
    'GET /api/metrics/query': (call) => {
      const name = new URL(call.path, 'http://x').searchParams.get('name')!
      return ok({
        name,
        from: T0 - 3_600_000,
        to: T0,
        step: 10_000,
        series: [
          {
            labels: {},
            points: [
              [T0 - 20_000, 1],
              [T0 - 10_000, 2],
            ],
          },
        ],
      })
    },
  })
  return { agent, services, listed }
}

describe('parseRoute', () => {
  it('should read a service page from the hash and fall back to the overview', () => {
    expect(parseRoute('#/services/my%20api')).toEqual({ page: 'service', name: 'my api' })
    expect(parseRoute('#/services/%E0%A4%A')).toEqual({ page: 'overview' })
    expect(parseRoute('#/drills')).toEqual({ page: 'drills' })
    expect(parseRoute('#/drillsx')).toEqual({ page: 'overview' })
    expect(parseRoute('#/nowhere')).toEqual({ page: 'overview' })
    expect(parseRoute('')).toEqual({ page: 'overview' })
  })
})

describe('App', () => {
  it('should show a tile per service with state, critical badge and latency, and the gauges', async () => {
    const { agent } = fleet()
    renderLive(<App />, agent)
    const api = await screen.findByTestId('tile-api')
    expect(within(api).getByText('Healthy')).toBeTruthy()
    expect(within(api).getByText('Critical')).toBeTruthy()
    expect(within(api).getByText('12 ms')).toBeTruthy()
    const cpu = screen.getByTestId('gauge-cpu-usage')
    expect(cpu.querySelector('meter')?.getAttribute('aria-valuetext')).toBe('42.5 %, normal')
    expect(within(screen.getByTestId('gauge-memory-usage')).getByText('61.3 %')).toBeTruthy()
    expect(screen.getByText('1.25 %')).toBeTruthy() // error rate 0.0125
    expect(screen.getByText('Fleet Healthy')).toBeTruthy()
  })

  it('should go live on the stream and apply status and change events', async () => {
    const { agent, listed } = fleet()
    renderLive(<App />, agent)
    await screen.findByTestId('tile-db')
    await waitFor(() => expect(agent.streams).toBe(1))
    expect(screen.getByTestId('connection').textContent).not.toContain('Live')
    act(() =>
      agent.emit('summary', summary(listed, { metrics: { cpu: 95, memory: 10, errorRate: 0, latency: 5 } })),
    )
    await waitFor(() => expect(screen.getByTestId('connection').textContent).toContain('Live'))
    await waitFor(() =>
      expect(
        screen.getByTestId('gauge-cpu-usage').querySelector('meter')?.getAttribute('aria-valuetext'),
      ).toBe('95.0 %, critical'),
    )
    act(() =>
      agent.emit(
        'service',
        fleetService({ name: 'db', state: 'error', latencyMs: 3000, message: 'connect ECONNREFUSED' }),
      ),
    )
    const db = await screen.findByTestId('tile-db')
    await waitFor(() => expect(within(db).getByText('Error')).toBeTruthy())
    expect(within(db).getByText('connect ECONNREFUSED')).toBeTruthy()
    expect(db.className).toContain('tone-border-bad')
  })

  it('should keep the last values on screen, marked stale, while the agent is unreachable, and resume', async () => {
    const { agent, listed } = fleet()
    renderLive(<App />, agent, { refreshMs: 200 })
    await screen.findByTestId('tile-api')
    await waitFor(() => expect(agent.streams).toBe(1))
    act(() => agent.emit('summary', summary(listed)))
    await waitFor(() => expect(screen.getByTestId('connection').textContent).toContain('Live'))
    act(() => agent.down(true))
    await waitFor(() =>
      expect(screen.getByTestId('connection').textContent).toMatch(
        /Agent unreachable — stale, showing values from/,
      ),
    )
    expect(screen.getByTestId('tile-api')).toBeTruthy()
    expect(within(screen.getByTestId('gauge-cpu-usage')).getByText('42.5 %')).toBeTruthy()
    expect(screen.getByRole('main').className).toBe('is-stale')
    act(() => agent.down(false))
    await waitFor(() => expect(agent.streams).toBe(1))
    act(() => agent.emit('summary', summary(listed)))
    await waitFor(() => expect(screen.getByTestId('connection').textContent).toContain('Live'))
    const resumed = agent.calls.filter((c) => c.path === '/api/sse').at(-1)
    expect(resumed?.headers['last-event-id']).toBe('1')
  })

  it('should show the counts, tiles only for the services down of a big fleet, and all of them in the list', async () => {
    const listed = Array.from({ length: 60 }, (_, i) =>
      fleetService({
        name: `s${String(i).padStart(2, '0')}`,
        state: i === 7 || i === 42 || i === 50 ? 'error' : 'healthy',
        // s50 is down inside a maintenance window: a tile, but not down for the fleet.
        ...(i === 50 ? { maintenance: { id: 'mw-1', reason: 'disk swap', endsAt: null } } : {}),
      }),
    )
    const agent = createFakeAgent({
      'GET /api/summary': ok(summary(listed)),
      'GET /api/services': (call) => ok(servicesPage(listed, call.path)),
      'GET /api/alerts': ok({ alerts: [], silences: [] }),
      'GET /api/healing': ok({ healings: [], approvals: [] }),
    })
    renderLive(<App />, agent, { live: false })
    await screen.findByTestId('tile-s42')
    expect(screen.getAllByTestId(/^tile-/).map((t) => t.dataset.testid)).toEqual([
      'tile-s07',
      'tile-s42',
      'tile-s50',
    ])
    expect(
      screen.getByText('The 3 services down (1 in maintenance); the list below has all 60.'),
    ).toBeTruthy()
    const counts = screen.getByTestId('fleet-summary')
    expect(within(counts).getByText('Services').nextSibling?.textContent).toBe('60')
    expect(within(counts).getByText('Error').nextSibling?.textContent).toBe('3')
    await waitFor(() => expect(screen.getByTestId('fleet-count').textContent).toBe('60 services'))
    expect(screen.getByText('Fleet Degraded')).toBeTruthy()
  })

  it('should say what to configure when the agent has no service', async () => {
    const agent = createFakeAgent({
      'GET /api/summary': ok(summary([])),
      'GET /api/services': ok({ services: [], total: 0, next: null }),
      'GET /api/alerts': ok({ alerts: [], silences: [] }),
      'GET /api/healing': ok({ healings: [], approvals: [] }),
    })
    renderLive(<App />, agent, { live: false })
    expect(await screen.findByText('No services to show yet')).toBeTruthy()
    expect(screen.getAllByText('config/monitoring-config.json').length).toBeGreaterThan(0)
  })

  it('should say why nothing shows when the agent cannot be reached at first', async () => {
    const agent = createFakeAgent()
    agent.down(true)
    renderLive(<App />, agent, { live: false })
    expect(await screen.findByText(/^The agent is unreachable/)).toBeTruthy()
  })

  it('should approve a pending rollback only once a token is entered, sending it as a bearer token', async () => {
    const { agent } = fleet()
    agent.route('POST /api/approvals/ap1/approve', (call) =>
      call.headers.authorization === 'Bearer tok-1'
        ? ok({ approval: approval({ status: 'approved', decidedBy: 'dashboard' }) })
        : { status: 401, body: { error: 'unauthorized' } },
    )
    renderLive(<App />, agent, { live: false })
    const item = await screen.findByTestId('approval-ap1')
    expect(within(item).queryByRole('button', { name: /Approve/ })).toBeNull()
    fireEvent.change(screen.getByLabelText('API token (NOA_API_TOKEN) for actions'), {
      target: { value: ' tok-1 ' },
    })
    fireEvent.click(screen.getByRole('button', { name: 'Use token' }))
    expect(sessionStorage.getItem('noa.apiToken')).toBe('tok-1')
    // The buttons show once the agent says the token may decide.
    fireEvent.click(await within(item).findByRole('button', { name: 'Approve rollback of api' }))
    await waitFor(() => expect(screen.queryByTestId('approval-ap1')).toBeNull())
    // Who decided is the token's holder, which the agent records: the body names nobody.
    expect(agent.calls.find((c) => c.method === 'POST')?.body).toEqual({})
    expect(screen.getByText('Nothing waits for a decision.')).toBeTruthy()
  })

  it('should open the service page from a tile and heal now with the token', async () => {
    const { agent, services } = fleet()
    agent.route(
      'GET /api/services/api',
      ok({
        service: services[0],
        checks: [
          { service: 'api', state: 'healthy', at: T0 - 5000, durationMs: 12, attempts: 1 },
          {
            service: 'api',
            state: 'error',
            at: T0 - 60_000,
            durationMs: 3000,
            attempts: 3,
            message: 'timeout',
          },
        ],
        changes: [
          {
            service: 'api',
            from: 'error',
            to: 'healthy',
            at: T0 - 30_000,
            result: { service: 'api', state: 'healthy', at: T0 - 30_000, durationMs: 10, attempts: 1 },
          },
        ],
        healings: [healing()],
        alerts: [alert({ state: 'resolved' })],
      }),
    )
    agent.route(
      'POST /api/heal/api',
      ok({ healing: healing({ id: 'h2', outcome: 'running', strategy: 'restart' }) }, 202),
    )
    sessionStorage.setItem('noa.apiToken', 'tok-2')
    renderLive(<App />, agent, { live: false })
    const tile = await screen.findByTestId('tile-api')
    act(() => {
      window.location.hash = within(tile).getByRole('link').getAttribute('href')!
      window.dispatchEvent(new HashChangeEvent('hashchange'))
    })
    expect(await screen.findByRole('heading', { name: 'api' })).toBeTruthy()
    expect(screen.getByText('Depends on db')).toBeTruthy()
    expect(screen.getByText('timeout')).toBeTruthy()
    expect(screen.getByRole('heading', { name: 'State history' })).toBeTruthy()
    fireEvent.click(screen.getByRole('button', { name: 'Heal api now' }))
    expect(await screen.findByText('Healing started (restart).')).toBeTruthy()
    const heal = agent.calls.find((c) => c.method === 'POST')!
    expect(heal.headers.authorization).toBe('Bearer tok-2')
    expect(heal.body).toEqual({ trigger: 'manual' })
  })
  it('should add alerts, healings and approvals as their events arrive, and silence an alert', async () => {
    const { agent } = fleet()
    agent.route('POST /api/silences', (call) => ok({ silence: { id: 's1', ...(call.body as object) } }, 201))
    sessionStorage.setItem('noa.apiToken', 'tok-3')
    renderLive(<App />, agent)
    await screen.findByTestId('tile-api')
    await waitFor(() => expect(agent.streams).toBe(1))
    act(() => {
      agent.emit(
        'alert',
        alert({ fingerprint: 'fp2', rule: 'HighErrorRate', severity: 'warning', updatedAt: T0 }),
      )
      agent.emit(
        'healing',
        healing({ id: 'h9', service: 'db', strategy: 'dependency-check', outcome: 'running', steps: [] }),
      )
      agent.emit('approval', approval({ id: 'ap2', service: 'db' }))
    })
    expect(await screen.findByTestId('alert-HighErrorRate')).toBeTruthy()
    expect(await screen.findByText('dependency-check on db')).toBeTruthy()
    expect(await screen.findByTestId('approval-ap2')).toBeTruthy()
    act(() =>
      agent.emit(
        'healing',
        healing({ id: 'h9', service: 'db', strategy: 'dependency-check', outcome: 'succeeded' }),
      ),
    )
    await waitFor(() => expect(within(screen.getByTestId('healing-h9')).getByText('Succeeded')).toBeTruthy())

    const item = screen.getByTestId('alert-ServiceDown')
    fireEvent.click(within(item).getByRole('button', { name: 'Silence…' }))
    fireEvent.click(within(item).getByRole('button', { name: 'Silence' }))
    await waitFor(() => expect(agent.calls.some((c) => c.method === 'POST')).toBe(true))
    const post = agent.calls.find((c) => c.method === 'POST')!
    expect(post.path).toBe('/api/silences')
    expect(post.headers.authorization).toBe('Bearer tok-3')
    const body = post.body as { matchers: unknown; endsAt: number; startsAt: number; comment: string }
    expect(body.matchers).toEqual([
      { name: 'alertname', value: 'ServiceDown' },
      { name: 'service', value: 'api' },
    ])
    expect(body.endsAt - body.startsAt).toBe(3_600_000)
    expect(body.comment).toBe('silenced from the dashboard')
  })

  it('should refresh the service page when its service changes or heals, and say when it is unknown', async () => {
    const { agent, services } = fleet()
    let served = 0
    agent.route('GET /api/services/db', () => {
      served++
      return ok({
        service: services[1],
        checkType: 'push',
        checks: [],
        changes: [],
        healings: [],
        alerts: [],
      })
    })
    agent.route('GET /api/services/ghost', { status: 404, body: { error: 'unknown service ghost' } })
    window.location.hash = '#/services/db'
    renderLive(<App />, agent)
    expect(await screen.findByRole('heading', { name: 'db' })).toBeTruthy()
    expect(screen.getByText('push (heartbeat)')).toBeTruthy()
    expect(screen.getByText('Enter an API token to heal now.')).toBeTruthy()
    expect(screen.getByText('No state change recorded.')).toBeTruthy()
    await waitFor(() => expect(agent.streams).toBe(1))
    const before = served
    act(() =>
      agent.emit('change', {
        service: 'api',
        from: 'healthy',
        to: 'error',
        at: T0,
        critical: true,
        blockedBy: [],
        result: { service: 'api', state: 'error', at: T0, durationMs: 1, attempts: 1 },
      }),
    )
    act(() => agent.emit('healing', healing({ service: 'db' })))
    await waitFor(() => expect(served).toBe(before + 1))
    act(() => {
      window.location.hash = '#/services/ghost'
      window.dispatchEvent(new HashChangeEvent('hashchange'))
    })
    expect(await screen.findByText('unknown service ghost')).toBeTruthy()
  })

  it('should show the Drills page from the navigation: how to run one, then each run as its event arrives', async () => {
    const { agent } = fleet()
    agent.route('GET /api/drills', ok({ drills: [] }))
    window.location.hash = '#/'
    renderLive(<App />, agent)
    const nav = screen.getByRole('navigation', { name: 'Pages' })
    expect(within(nav).getByRole('link', { name: 'Overview' }).getAttribute('aria-current')).toBe('page')
    act(() => {
      window.location.hash = within(nav).getByRole('link', { name: 'Drills' }).getAttribute('href')!
      window.dispatchEvent(new HashChangeEvent('hashchange'))
    })
    expect(await screen.findByRole('heading', { name: 'No drills yet' })).toBeTruthy()
    expect(within(nav).getByRole('link', { name: 'Drills' }).getAttribute('aria-current')).toBe('page')
    await waitFor(() => expect(agent.streams).toBe(1))
    act(() => agent.emit('drill', drillRun({ id: 'drill_live' })))
    const row = await screen.findByTestId('drill-drill_live')
    expect(within(row).getByText('crash, hang, dependency-down')).toBeTruthy()
    expect(screen.queryByRole('heading', { name: 'No drills yet' })).toBeNull()
    // A run too big for its event comes without results: the page is fetched again for them.
    const big = drillRun({ id: 'drill_big', startedAt: T0 })
    agent.route('GET /api/drills', ok({ drills: [big, drillRun({ id: 'drill_live' })] }))
    act(() => agent.emit('drill', { ...big, results: [], omittedResults: 3 }))
    const bigRow = await screen.findByTestId('drill-drill_big')
    expect(within(bigRow).getByRole('button', { name: 'Show 3 results' })).toBeTruthy()
  })

  it('should page to older drill runs with the cursor the agent gave', async () => {
    const { agent } = fleet()
    agent.route('GET /api/drills', (call) =>
      call.path.includes('cursor=c1')
        ? ok({ drills: [drillRun({ id: 'drill_old', startedAt: T0 - 86_400_000 })] })
        : ok({ drills: [drillRun({ id: 'drill_new' })], nextCursor: 'c1' }),
    )
    window.location.hash = '#/drills'
    renderLive(<App />, agent)
    await screen.findByTestId('drill-drill_new')
    fireEvent.click(screen.getByRole('button', { name: 'Show older runs' }))
    await screen.findByTestId('drill-drill_old')
    expect(screen.queryByRole('button', { name: 'Show older runs' })).toBeNull()
    expect(agent.calls.map((c) => c.path).filter((p) => p.startsWith('/api/drills'))).toEqual([
      '/api/drills?limit=50',
      '/api/drills?limit=50&cursor=c1',
    ])
  })
})
