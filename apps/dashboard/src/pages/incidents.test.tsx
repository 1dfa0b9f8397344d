import { act, fireEvent, screen, waitFor, within } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { App, parseRoute } from '../app.tsx'
import type { Incident, IncidentSummary } from '../data/types.ts'
import { createFakeAgent, ok, whoamiOf } from '../test-utils/fake-agent.ts'
import { fleetService, serviceStatus, servicesPage, summary, T0 } from '../test-utils/fixtures.ts'
import { renderLive } from '../test-utils/render.tsx'

function incident(over: Partial<Incident> = {}): Incident {
  return {
    id: 'inc_1',
    service: 'api',
    title: 'api is error: connect ECONNREFUSED',
    severity: 'critical',
    state: 'open',
    openedAt: T0 - 120_000,
    events: [
      { at: T0 - 120_000, kind: 'state', text: 'healthy -> error: connect ECONNREFUSED' },
      { at: T0 - 110_000, kind: 'alert', text: 'service-down firing (critical): api is down', ref: 'fp1' },
      {
        at: T0 - 109_000,
        kind: 'notification',
        text: 'firing notification to ops: service-down',
        ref: 'ops',
      },
      { at: T0 - 100_000, kind: 'note', text: '40 events elided', ref: 'elided' },
      { at: T0 - 90_000, kind: 'healing', text: 'service-restart started (service-down)', ref: 'heal_1' },
      { at: T0 - 60_000, kind: 'note', text: 'disk full', by: 'alice' },
    ],
    ...over,
  }
}

const brief = (i: Incident): IncidentSummary => {
  const { events, ...rest } = i
  return { ...rest, eventCount: events.length, ...(events.at(-1) ? { lastEvent: events.at(-1)! } : {}) }
}

function fleet() {
  const listed = [fleetService({ name: 'api', critical: true })]
  const agent = createFakeAgent({
    'GET /api/summary': ok(summary(listed)),
    'GET /api/services': (call) => ok(servicesPage(listed, call.path)),
    'GET /api/incidents': ok({ incidents: [brief(incident())] }),
    'GET /api/incidents/inc_1': ok({ incident: incident() }),
  })
  return agent
}

const go = (hash: string) =>
  act(() => {
    window.location.hash = hash
    window.dispatchEvent(new HashChangeEvent('hashchange'))
  })

describe('the incident view', () => {
  it('should read the incident routes from the hash', () => {
    expect(parseRoute('#/incidents')).toEqual({ page: 'incidents' })
    expect(parseRoute('#/incidents/inc_%31')).toEqual({ page: 'incident', id: 'inc_1' })
  })

  it('should list incidents from the navigation, filter by state, and put one first as its event arrives', async () => {
    const agent = fleet()
    renderLive(<App />, agent)
    const nav = screen.getByRole('navigation', { name: 'Pages' })
    go(within(nav).getByRole('link', { name: 'Incidents' }).getAttribute('href')!)
    const row = await screen.findByTestId('incident-inc_1')
    expect(within(row).getByText('Open')).toBeTruthy()
    expect(
      within(row).getByRole('link', { name: 'api is error: connect ECONNREFUSED' }).getAttribute('href'),
    ).toBe('#/incidents/inc_1')
    expect(within(nav).getByRole('link', { name: 'Incidents' }).getAttribute('aria-current')).toBe('page')
    await waitFor(() => expect(agent.streams).toBe(1))
    act(() =>
      agent.emit('incident', {
        change: 'opened',
        incident: brief(incident({ id: 'inc_2', service: 'db', title: 'db is unhealthy', openedAt: T0 })),
        event: { at: T0, kind: 'state', text: 'healthy -> unhealthy' },
      }),
    )
    const rows = await waitFor(() => {
      const r = screen.getAllByTestId(/^incident-inc_/)
      expect(r).toHaveLength(2)
      return r
    })
    expect(rows.map((r) => r.dataset.testid)).toEqual(['incident-inc_2', 'incident-inc_1'])
    agent.route('GET /api/incidents', ok({ incidents: [] }))
    fireEvent.change(screen.getByLabelText('State'), { target: { value: 'resolved' } })
    expect(await screen.findByRole('heading', { name: 'No incidents resolved' })).toBeTruthy()
    expect(agent.calls.map((c) => c.path)).toContain('/api/incidents?limit=50&state=resolved')
  })

  it('should show the timeline with each kind, who and when, and no actions without a token', async () => {
    const agent = fleet()
    window.location.hash = '#/incidents/inc_1'
    renderLive(<App />, agent)
    await screen.findByRole('heading', { name: 'api is error: connect ECONNREFUSED' })
    const events = screen.getAllByTestId('incident-event')
    expect(events.map((e) => e.className.split(' ').at(-1))).toEqual([
      'kind-state',
      'kind-alert',
      'kind-notification',
      'kind-note',
      'kind-healing',
      'kind-note',
    ])
    expect(within(events[0]!).getByText('State')).toBeTruthy()
    expect(within(events[1]!).getByText('service-down firing (critical): api is down')).toBeTruthy()
    expect(events[3]!.textContent).toContain('⋯ 40 events elided')
    expect(within(events[5]!).getByText('by alice')).toBeTruthy()
    expect(events[5]!.querySelector('time')?.getAttribute('datetime')).toBe(
      new Date(T0 - 60_000).toISOString(),
    )
    expect(screen.queryByRole('button', { name: 'Acknowledge' })).toBeNull()
    expect(screen.getByText('Enter an API token to acknowledge this incident or add notes.')).toBeTruthy()
  })

  it('should acknowledge with a note and add a note with the token, then show the updated timeline', async () => {
    const agent = fleet()
    sessionStorage.setItem('noa.apiToken', 'tok-inc')
    const acked = incident({
      state: 'acknowledged',
      acknowledgedAt: T0,
      acknowledgedBy: 'admin',
      events: [...incident().events, { at: T0, kind: 'acknowledged', text: 'on it', by: 'admin' }],
    })
    agent.route('POST /api/incidents/inc_1/ack', () => {
      agent.route('GET /api/incidents/inc_1', ok({ incident: acked }))
      return ok({ incident: acked })
    })
    agent.route('POST /api/incidents/inc_1/notes', ok({ incident: acked }))
    window.location.hash = '#/incidents/inc_1'
    renderLive(<App />, agent)
    fireEvent.change(await screen.findByLabelText('Note'), { target: { value: 'on it' } })
    fireEvent.click(screen.getByRole('button', { name: 'Acknowledge' }))
    expect(await screen.findByText('Acknowledged: reminders stop until it resolves.')).toBeTruthy()
    const ack = agent.calls.find((c) => c.method === 'POST')!
    expect(ack).toMatchObject({ path: '/api/incidents/inc_1/ack', body: { note: 'on it' } })
    expect(ack.headers.authorization).toBe('Bearer tok-inc')
    await screen.findByText('acknowledged by admin')
    expect(screen.queryByRole('button', { name: 'Acknowledge' })).toBeNull()
    fireEvent.change(screen.getByLabelText('Add a note'), { target: { value: 'restarted the disk' } })
    fireEvent.click(screen.getByRole('button', { name: 'Add note' }))
    expect(await screen.findByText('Note added.')).toBeTruthy()
    expect(agent.calls.filter((c) => c.method === 'POST').at(-1)).toMatchObject({
      path: '/api/incidents/inc_1/notes',
      body: { text: 'restarted the disk' },
    })
  })

  it("should not offer a viewer's token to acknowledge, and say which token can", async () => {
    const agent = fleet()
    agent.route('GET /api/whoami', ok(whoamiOf('grafana', 'viewer')))
    sessionStorage.setItem('noa.apiToken', 'view-token')
    window.location.hash = '#/incidents/inc_1'
    renderLive(<App />, agent)
    expect(
      await screen.findByText(
        'The token of grafana (viewer) cannot acknowledge this incident or add notes: it takes an operator token.',
      ),
    ).toBeTruthy()
    expect(screen.queryByRole('button', { name: 'Acknowledge' })).toBeNull()
  })

  it('should link the service page to its open incident', async () => {
    const agent = fleet()
    agent.route(
      'GET /api/services/api',
      ok({
        service: serviceStatus({ service: 'api', state: 'error' }),
        checkType: 'http',
        checks: [],
        changes: [],
        healings: [],
        alerts: [],
      }),
    )
    window.location.hash = '#/services/api'
    renderLive(<App />, agent)
    const link = await screen.findByRole('link', { name: 'Open incident' })
    expect(link.getAttribute('href')).toBe('#/incidents/inc_1')
    expect(agent.calls.map((c) => c.path)).toContain('/api/incidents?limit=1&service=api')
  })
})
