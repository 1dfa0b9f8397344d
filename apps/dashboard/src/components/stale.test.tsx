import { render, screen } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { ServicePage } from '../pages/service.page.tsx'
import { createFakeAgent, ok } from '../test-utils/fake-agent.ts'
import { fleetService, serviceStatus, T0 } from '../test-utils/fixtures.ts'
import { renderLive } from '../test-utils/render.tsx'
import { Gauge } from './gauge.tsx'
import { ServiceTile } from './service-tile.tsx'
import { TimeChart } from './time-chart.tsx'

/** The drawn line paths of a chart (recharts draws one per line segment). */
const curves = (container: HTMLElement) => container.querySelectorAll('.recharts-line path.recharts-curve')

describe('TimeChart gaps', () => {
  const at = (s: number) => T0 + s * 1000
  it('should draw two segments, not a line across, where the agent collected nothing', () => {
    const { container } = render(
      <TimeChart
        title="CPU"
        from={at(0)}
        to={at(300)}
        format={String}
        intervalMs={10_000}
        lines={[
          {
            key: 'cpu',
            name: 'CPU',
            color: '#fff',
            points: [
              [at(0), 1],
              [at(10), 2],
              [at(20), 3],
              // the agent was down for four minutes
              [at(260), 4],
              [at(270), 5],
            ],
          },
        ]}
      />,
    )
    expect(curves(container)).toHaveLength(2)
  })

  it('should draw one line when points come every interval, one missed collection included', () => {
    const { container } = render(
      <TimeChart
        title="CPU"
        from={at(0)}
        to={at(60)}
        format={String}
        intervalMs={10_000}
        lines={[
          {
            key: 'cpu',
            name: 'CPU',
            color: '#fff',
            points: [
              [at(0), 1],
              [at(10), 2],
              [at(30), 3],
              [at(40), 3],
            ],
          },
        ]}
      />,
    )
    expect(curves(container)).toHaveLength(1)
  })
})

describe('stale values', () => {
  it('should mark a gauge whose value is older than two intervals, its age in the title', () => {
    const { rerender } = render(
      <Gauge label="CPU usage" value={40} at={T0 - 15_000} intervalMs={10_000} now={T0} />,
    )
    expect(screen.queryByTestId('stale')).toBeNull()
    rerender(<Gauge label="CPU usage" value={40} at={T0 - 95_000} intervalMs={10_000} now={T0} />)
    const mark = screen.getByTestId('stale')
    expect(mark.textContent).toMatch(/^stale/)
    expect(mark.getAttribute('title')).toBe('Collected 1 min ago; expected every 10.0 s')
  })

  it("should mark a tile whose last check is older than two of the service's intervals", () => {
    const service = fleetService({ name: 'api', lastCheckAt: T0 - 61_000, intervalMs: 30_000 })
    const { rerender } = render(<ServiceTile service={service} now={T0} />)
    expect(screen.getByTestId('stale').getAttribute('title')).toBe(
      'Collected 1 min ago; expected every 30.0 s',
    )
    rerender(<ServiceTile service={{ ...service, lastCheckAt: T0 - 59_000 }} now={T0} />)
    expect(screen.queryByTestId('stale')).toBeNull()
  })
})

describe('the service page when its checks stop', () => {
  it('should mark the latest check stale once it is older than two check intervals', async () => {
    const now = Date.now()
    const detail = (lastAt: number) => ({
      service: serviceStatus({ service: 'api' }),
      checkType: 'http',
      intervalMs: 30_000,
      checks: [{ service: 'api', state: 'healthy', at: lastAt, durationMs: 12, attempts: 1 }],
      changes: [],
      healings: [],
      alerts: [],
    })
    const fresh = createFakeAgent({ 'GET /api/services/api': ok(detail(now - 5_000)) })
    const { unmount } = renderLive(<ServicePage name="api" />, fresh, { live: false })
    expect(await screen.findByRole('heading', { name: 'api' })).toBeTruthy()
    expect(screen.queryByTestId('stale')).toBeNull()
    unmount()
    const old = createFakeAgent({ 'GET /api/services/api': ok(detail(now - 5 * 60_000)) })
    renderLive(<ServicePage name="api" />, old, { live: false })
    const mark = await screen.findByTestId('stale')
    expect(mark.getAttribute('title')).toBe('Collected 5 min ago; expected every 30.0 s')
  })
})
