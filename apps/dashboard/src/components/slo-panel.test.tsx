import { act, screen, waitFor, within } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { App } from '../app.tsx'
import type { ServiceSloStatus, SlosBody } from '../data/types.ts'
import { createFakeAgent, ok } from '../test-utils/fake-agent.ts'
import { fleetService, healing, serviceStatus, servicesPage, summary, T0 } from '../test-utils/fixtures.ts'
import { renderLive } from '../test-utils/render.tsx'

const spentApi: ServiceSloStatus = {
  service: 'api',
  spent: true,
  holdRiskyHealing: true,
  held: { trigger: 'deployment-failure', at: T0 - 120_000 },
  updatedAt: T0,
  slos: [
    {
      slo: 'availability',
      objective: 99.9,
      windowDays: 30,
      sli: 0.9985,
      budgetRemaining: -0.5,
      burnRates: { '5m': 20, '1h': 16.2, '6h': 3, '30m': 18 },
    },
    {
      slo: 'latency',
      objective: 99,
      windowDays: 7,
      thresholdMs: 300,
      metric: 'http_request_duration_seconds',
      sli: 0.9975,
      budgetRemaining: 0.75,
      burnRates: { '5m': 0.5 },
    },
  ],
}

/** The fake agent: api (budget spent) and db (no SLO), and api's page. */
function fleet() {
  const listed = [fleetService({ name: 'api', critical: true }), fleetService({ name: 'db' })]
  const slos: SlosBody = { slos: [spentApi], total: 1, spent: 1 }
  return createFakeAgent({
    'GET /api/summary': ok(summary(listed)),
    'GET /api/services': (call) => ok(servicesPage(listed, call.path)),
    'GET /api/alerts': ok({ alerts: [], silences: [] }),
    'GET /api/healing': ok({ healings: [], approvals: [] }),
    'GET /api/metrics/query': ok({ name: 'x', from: T0 - 3_600_000, to: T0, step: 10_000, series: [] }),
    'GET /api/slos': (call) =>
      call.path.includes('spent=true') ? ok(slos) : { status: 400, body: { error: 'expected spent=true' } },
    'GET /api/services/api': ok({
      service: serviceStatus({ service: 'api', critical: true }),
      checkType: 'http',
      checks: [],
      changes: [],
      healings: [healing()],
      alerts: [],
      slo: spentApi,
    }),
  })
}

describe('SLOs in the dashboard', () => {
  it('should mark the tile of a service whose budget is spent, and only that one', async () => {
    const agent = fleet()
    renderLive(<App />, agent, { live: false })
    const api = await screen.findByTestId('tile-api')
    await waitFor(() => expect(within(api).getByText('Budget spent')).toBeTruthy())
    expect(within(screen.getByTestId('tile-db')).queryByText('Budget spent')).toBeNull()
    expect(agent.calls.some((c) => c.path === '/api/slos?spent=true&limit=1000')).toBe(true)
  })

  it('should show each objective on the service page: target, SLI, budget bar, burn rates, the hold', async () => {
    const agent = fleet()
    renderLive(<App />, agent, { live: false })
    const tile = await screen.findByTestId('tile-api')
    act(() => {
      window.location.hash = within(tile).getByRole('link').getAttribute('href')!
      window.dispatchEvent(new HashChangeEvent('hashchange'))
    })
    const panel = (await screen.findByRole('heading', { name: /Service level objectives/ })).closest(
      'section',
    )!
    const availability = within(panel).getByTestId('slo-availability')
    expect(within(availability).getByText('99.9 % over 30 d')).toBeTruthy()
    expect(within(availability).getByText('99.85 %')).toBeTruthy()
    const bar = within(availability).getByRole('meter')
    expect(bar.getAttribute('aria-label')).toBe('Error budget left: -50 %')
    expect(bar.getAttribute('value')).toBe('0')
    // Over the paging threshold over 5 min and 1 h, under it over 6 h (a ticket-level burn).
    expect(within(availability).getByText('20x').className).toBe('tone-bad')
    expect(within(availability).getByText('16.2x').className).toBe('tone-bad')
    expect(within(availability).getByText('3x').className).toBe('tone-warn')
    const latency = within(panel).getByTestId('slo-latency')
    expect(within(latency).getByText('Latency under 300 ms (http_request_duration_seconds)')).toBeTruthy()
    expect(within(latency).getByRole('meter').getAttribute('value')).toBe('75')
    expect(within(latency).getByText('0.5x').className).toBe('tone-ok')
    expect(within(panel).getByText(/Risky healing \(rollback, scale-up\) is held/).textContent).toMatch(
      /^Risky healing \(rollback, scale-up\) is held while the budget is spent; a deployment-failure healing was held .+ ago\.$/,
    )
  })
})
