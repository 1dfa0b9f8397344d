import { act, fireEvent, screen, waitFor, within } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import type { FleetService } from '../data/types.ts'
import { createFakeAgent, ok } from '../test-utils/fake-agent.ts'
import { fleetService, servicesPage, summary } from '../test-utils/fixtures.ts'
import { renderLive } from '../test-utils/render.tsx'
import { FleetList } from './fleet-list.tsx'

const name = (i: number) => `svc-${String(i).padStart(5, '0')}`

function bigFleet(n = 10_000) {
  const services: FleetService[] = Array.from({ length: n }, (_, i) =>
    fleetService({
      name: name(i),
      group: `team-${i % 3}`,
      tags: Math.floor(i / 2000) % 2 === 0 ? ['block-a'] : ['block-b'],
      state: i % 1000 === 7 ? 'error' : 'healthy',
    }),
  )
  const agent = createFakeAgent({
    'GET /api/services': (call) => ok(servicesPage(services, call.path)),
  })
  return { services, agent }
}

const rows = () => screen.queryAllByTestId(/^row-/).map((r) => r.dataset.testid!.slice(4))
const queries = (agent: ReturnType<typeof createFakeAgent>) =>
  agent.calls.filter((c) => c.path.startsWith('/api/services?')).map((c) => c.path)

describe('FleetList', () => {
  it('should load 10,000 services page by page and draw only a screenful, under group headings', async () => {
    const { services, agent } = bigFleet()
    renderLive(<FleetList summary={summary(services)} />, agent, { live: false })
    await waitFor(() => expect(screen.getByTestId('fleet-count').textContent).toBe('10000 services'))
    // 200 first, to draw sooner, then 1000 a page
    expect(queries(agent).map((q) => new URL(q, 'http://x').searchParams.get('limit'))).toEqual([
      '200',
      ...Array(10).fill('1000'),
    ])
    expect(screen.getAllByRole('listitem').length).toBeLessThan(40)
    expect(screen.getByTestId('group-team-0').textContent).toBe('team-0 3334 services, 3 down')
    expect(rows().slice(0, 3)).toEqual([name(0), name(3), name(6)])
    const list = screen.getByRole('list', { name: 'Services' })
    expect(list.style.height).toBe(`${(10_000 + 3) * 36}px`)
  })

  it('should narrow the list by a search, a state, a group and a tag, asking the agent', async () => {
    const { services, agent } = bigFleet()
    renderLive(<FleetList summary={summary(services)} />, agent, { live: false })
    await waitFor(() => expect(screen.getByTestId('fleet-count').textContent).toBe('10000 services'))
    fireEvent.change(screen.getByLabelText('Search services by name'), { target: { value: 'SVC-0999' } })
    await waitFor(() => expect(rows().sort()).toEqual(Array.from({ length: 10 }, (_, i) => name(9990 + i))))
    expect(queries(agent).at(-1)).toBe('/api/services?q=SVC-0999&limit=200')
    expect(screen.getByTestId('fleet-count').textContent).toBe('10 services')
    fireEvent.change(screen.getByLabelText('Search services by name'), { target: { value: '' } })
    fireEvent.change(screen.getByLabelText('State'), { target: { value: 'down' } })
    await waitFor(() => expect(screen.getByTestId('fleet-count').textContent).toBe('10 services'))
    // team-0 holds 2007, 5007 and 8007; team-1 7, 3007, 6007 and 9007; team-2 the others
    expect(rows()).toEqual([2, 5, 8, 0, 3, 6, 9, 1, 4, 7].map((k) => name(k * 1000 + 7)))
    fireEvent.change(screen.getByLabelText('Group'), { target: { value: 'team-1' } })
    await waitFor(() => expect(rows()).toEqual([0, 3, 6, 9].map((k) => name(k * 1000 + 7))))
    fireEvent.change(screen.getByLabelText('Tag'), { target: { value: 'block-b' } })
    await waitFor(() => expect(rows()).toEqual([name(3007), name(6007)]))
    expect(queries(agent).at(-1)).toBe(
      '/api/services?state=unhealthy%2Cerror&tag=block-b&group=team-1&limit=200',
    )
    fireEvent.change(screen.getByLabelText('State'), { target: { value: 'unknown' } })
    expect(await screen.findByText('No service matches.')).toBeTruthy()
  })

  it('should patch rows from service events, and fetch again when a delta was too big to send', async () => {
    const { services, agent } = bigFleet(50)
    renderLive(<FleetList summary={summary(services)} />, agent)
    await waitFor(() => expect(screen.getByTestId('fleet-count').textContent).toBe('50 services'))
    await waitFor(() => expect(agent.streams).toBe(1))
    act(() => agent.emit('service', { ...services[3]!, state: 'unhealthy', critical: true }))
    const row = await screen.findByTestId(`row-${name(3)}`)
    await waitFor(() => expect(within(row).getByText('Unhealthy')).toBeTruthy())
    expect(within(row).getByText('Critical')).toBeTruthy()
    act(() =>
      agent.emit('services', {
        services: [fleetService({ name: 'svc-00003a', group: 'team-0' })],
        removed: [name(0)],
        truncated: false,
        changed: 2,
      }),
    )
    await waitFor(() => expect(rows().slice(0, 2)).toEqual([name(3), 'svc-00003a']))
    const before = queries(agent).length
    act(() => agent.emit('services', { services: [], removed: [], truncated: true, changed: 5000 }))
    await waitFor(() => expect(queries(agent).length).toBe(before + 1))
  })
})
