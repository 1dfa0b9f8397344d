import { screen, waitFor, within } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { App } from './app.tsx'
import { createFakeAgent, ok, whoamiOf } from './test-utils/fake-agent.ts'
import {
  alert,
  approval,
  fleetService,
  healing,
  serviceStatus,
  servicesPage,
  summary,
} from './test-utils/fixtures.ts'
import { renderLive } from './test-utils/render.tsx'

const TOKENS: Record<string, ReturnType<typeof whoamiOf>> = {
  'Bearer view-token': whoamiOf('grafana', 'viewer'),
  'Bearer ops-token': whoamiOf('oncall', 'operator'),
}

/** A fleet of one whose agent knows two tokens, a viewer's and an operator's. */
function fleet() {
  const listed = [fleetService({ name: 'api' })]
  return createFakeAgent({
    'GET /api/whoami': (call) => {
      const auth = call.headers.authorization
      if (!auth) return ok(whoamiOf(null, 'anonymous'))
      const who = TOKENS[auth]
      return who ? ok(who) : { status: 401, body: { error: 'a valid bearer token is required' } }
    },
    'GET /api/summary': ok(summary(listed)),
    'GET /api/services': (call) => ok(servicesPage(listed, call.path)),
    'GET /api/alerts': ok({ alerts: [alert()], silences: [] }),
    'GET /api/healing': ok({ healings: [healing()], approvals: [approval()] }),
    'GET /api/metrics/query': ok({ name: 'x', from: 0, to: 1, step: 10_000, series: [] }),
    'GET /api/services/api': ok({
      service: serviceStatus({ service: 'api' }),
      checks: [],
      changes: [],
      healings: [],
      alerts: [],
    }),
  })
}

describe('the dashboard by role', () => {
  it("should hide heal, approve and silence from a viewer's token and say which token can", async () => {
    const agent = fleet()
    sessionStorage.setItem('noa.apiToken', 'view-token')
    renderLive(<App />, agent, { live: false })
    expect(await screen.findByText('grafana (viewer)')).toBeTruthy()
    const item = await screen.findByTestId('approval-ap1')
    expect(
      await within(item).findByText(
        'The token of grafana (viewer) cannot approve or reject: it takes an operator token.',
      ),
    ).toBeTruthy()
    expect(within(item).queryByRole('button')).toBeNull()
    expect(screen.queryByRole('button', { name: /Silence/ })).toBeNull()

    window.location.hash = '#/services/api'
    window.dispatchEvent(new HashChangeEvent('hashchange'))
    expect(
      await screen.findByText('The token of grafana (viewer) cannot heal now: it takes an operator token.'),
    ).toBeTruthy()
    expect(screen.queryByRole('button', { name: 'Heal api now' })).toBeNull()
  })

  it("should show them for an operator's token, and send the token with every read and the stream", async () => {
    const agent = fleet()
    sessionStorage.setItem('noa.apiToken', 'ops-token')
    renderLive(<App />, agent)
    expect(await screen.findByText('oncall (operator)')).toBeTruthy()
    const item = await screen.findByTestId('approval-ap1')
    expect(await within(item).findByRole('button', { name: 'Approve rollback of api' })).toBeTruthy()
    expect(await screen.findAllByRole('button', { name: /Silence/ })).not.toHaveLength(0)
    await waitFor(() => expect(agent.calls.some((c) => c.path === '/api/sse')).toBe(true))
    for (const call of agent.calls) expect(call.headers.authorization, call.path).toBe('Bearer ops-token')
    window.location.hash = '#/services/api'
    window.dispatchEvent(new HashChangeEvent('hashchange'))
    expect(await screen.findByRole('button', { name: 'Heal api now' })).toBeTruthy()
  })

  it('should show no action and say the token was refused when the agent does not know it', async () => {
    const agent = fleet()
    sessionStorage.setItem('noa.apiToken', 'typo')
    renderLive(<App />, agent, { live: false })
    expect(await screen.findByText('Token refused')).toBeTruthy()
    const item = await screen.findByTestId('approval-ap1')
    expect(within(item).queryByRole('button')).toBeNull()
  })
})
