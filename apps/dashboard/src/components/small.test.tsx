import { fireEvent, render, screen } from '@testing-library/react'
import { describe, expect, it, vi } from 'vitest'
import { createFakeAgent, ok, whoamiOf } from '../test-utils/fake-agent.ts'
import { fleetService, summary, T0 } from '../test-utils/fixtures.ts'
import { renderLive } from '../test-utils/render.tsx'
import { ConnectionBanner } from './connection-banner.tsx'
import { FleetSummary } from './fleet-summary.tsx'
import { RangePicker } from './range-picker.tsx'
import { ServiceTile } from './service-tile.tsx'
import { StatusBadge } from './status-badge.tsx'
import { TokenForm } from './token-form.tsx'

describe('StatusBadge', () => {
  it('should show every state as an icon and a word', () => {
    const { container } = render(
      <>
        <StatusBadge state="healthy" />
        <StatusBadge state="degraded" />
        <StatusBadge state="unhealthy" />
        <StatusBadge state="error" />
        <StatusBadge state="unknown" prefix="Fleet" />
      </>,
    )
    expect([...container.querySelectorAll('.badge')].map((b) => `${b.className}|${b.textContent}`)).toEqual([
      'badge tone-ok|✓Healthy',
      'badge tone-warn|!Degraded',
      'badge tone-bad|✕Unhealthy',
      'badge tone-bad|✕Error',
      'badge tone-none|?Fleet Unknown',
    ])
  })
})

describe('ServiceTile', () => {
  it('should show what blocks a down service and link to its page', () => {
    render(
      <ul>
        <ServiceTile
          now={T0}
          service={fleetService({
            name: 'web',
            state: 'unhealthy',
            flapping: true,
            blockedBy: ['db', 'cache'],
            lastCheckAt: T0 - 65_000,
            latencyMs: 1500,
            message: 'expected status 200, got 503',
          })}
        />
      </ul>,
    )
    expect(screen.getByText('Blocked by db, cache')).toBeTruthy()
    expect(screen.getByText('Flapping')).toBeTruthy()
    expect(screen.getByText('1.50 s')).toBeTruthy()
    expect(screen.getByText('1 min ago')).toBeTruthy()
    expect(screen.getByText('expected status 200, got 503')).toBeTruthy()
    expect(screen.getByRole('link', { name: /^web ?, open details$/ }).getAttribute('href')).toBe(
      '#/services/web',
    )
  })

  it('should say when healing holds back: a spent budget and the next retry, or none scheduled', () => {
    const { rerender } = render(
      <ul>
        <ServiceTile
          now={T0}
          service={fleetService({
            name: 'api',
            state: 'error',
            circuit: 'open',
            degraded: true,
            nextRetryAt: T0 + 20_000,
          })}
        />
      </ul>,
    )
    expect(screen.getByText('Degraded')).toBeTruthy()
    expect(screen.getByText('Restart budget spent; next retry in 20 s')).toBeTruthy()
    rerender(
      <ul>
        <ServiceTile
          now={T0}
          service={fleetService({ name: 'api', state: 'error', circuit: 'open', degraded: false })}
        />
      </ul>,
    )
    expect(screen.queryByText('Degraded')).toBeNull()
    expect(screen.getByText('Healing keeps failing; no retry scheduled: a person must act')).toBeTruthy()
    rerender(
      <ul>
        <ServiceTile now={T0} service={fleetService({ name: 'api' })} />
      </ul>,
    )
    expect(screen.queryByText(/Healing keeps failing|Restart budget/)).toBeNull()
  })

  it('should show a service without any result as unknown, never checked', () => {
    render(
      <ul>
        <ServiceTile
          now={T0}
          service={fleetService({ name: 'new', state: 'unknown', latencyMs: null, lastCheckAt: undefined })}
        />
      </ul>,
    )
    expect(screen.getByText('Unknown')).toBeTruthy()
    expect(screen.getByText('never')).toBeTruthy()
    expect(screen.getByText('—')).toBeTruthy()
  })
})

describe('FleetSummary', () => {
  it('should count a critical service down in maintenance in its state and in maintenance, not as critical down', () => {
    const window = { id: 'mnt_1', reason: 'disk swap', endsAt: null }
    render(
      <FleetSummary
        summary={summary([
          fleetService({ name: 'api', critical: true, state: 'error', maintenance: window }),
          fleetService({ name: 'web' }),
        ])}
      />,
    )
    const value = (label: string) => screen.getByText(label).nextSibling?.textContent
    expect([value('Error'), value('Critical down'), value('In maintenance')]).toEqual(['1', '0', '1'])
  })
})

describe('RangePicker', () => {
  it('should mark the chosen range pressed and report a new choice', () => {
    const onChange = vi.fn()
    render(<RangePicker value="1h" onChange={onChange} />)
    expect(
      screen.getAllByRole('button').map((b) => `${b.textContent}:${b.getAttribute('aria-pressed')}`),
    ).toEqual(['15 min:false', '1 h:true', '24 h:false', '7 d:false', '30 d:false'])
    fireEvent.click(screen.getByRole('button', { name: '30 d' }))
    expect(onChange).toHaveBeenCalledWith('30d')
  })
})

describe('ConnectionBanner', () => {
  it('should say live, connecting, polling, or unreachable with the time of the values shown', () => {
    const at = new Date(2026, 10, 28, 9, 5, 7).getTime()
    const { rerender } = render(
      <ConnectionBanner connection={{ state: 'open', live: true }} updatedAt={at} />,
    )
    expect(screen.getByRole('status').textContent).toBe(' Live')
    rerender(<ConnectionBanner connection={{ state: 'connecting', live: false }} updatedAt={undefined} />)
    expect(screen.getByRole('status').textContent).toBe('⚠ Connecting to the agent…')
    rerender(<ConnectionBanner connection={{ state: 'open', live: false }} updatedAt={at} />)
    expect(screen.getByRole('status').textContent).toBe(
      '⚠ No live stream; refreshing by polling (last update 09:05:07)',
    )
    rerender(<ConnectionBanner connection={{ state: 'closed', live: false }} updatedAt={at} error="down" />)
    expect(screen.getByRole('status').textContent).toBe(
      '⚠ Agent unreachable — stale, showing values from 09:05:07; reconnecting',
    )
    rerender(<ConnectionBanner connection={{ state: 'open', live: true }} updatedAt={at} error="down" />)
    expect(screen.getByRole('status').textContent).toContain('stale')
  })
})

describe('TokenForm', () => {
  it('should keep the token in sessionStorage only, say whose it is, and forget it', async () => {
    const agent = createFakeAgent({
      'GET /api/whoami': (call) =>
        call.headers.authorization === 'Bearer abc'
          ? ok(whoamiOf('oncall', 'operator'))
          : call.headers.authorization
            ? { status: 401, body: { error: 'a valid bearer token is required' } }
            : ok(whoamiOf(null, 'anonymous')),
    })
    renderLive(<TokenForm />, agent, { live: false })
    const input = screen.getByLabelText('API token (NOA_API_TOKEN) for actions') as HTMLInputElement
    expect(input.type).toBe('password')
    expect((screen.getByRole('button', { name: 'Use token' }) as HTMLButtonElement).disabled).toBe(true)
    fireEvent.change(input, { target: { value: 'abc' } })
    fireEvent.submit(input.form!)
    expect(sessionStorage.getItem('noa.apiToken')).toBe('abc')
    expect(localStorage.getItem('noa.apiToken')).toBeNull()
    expect(await screen.findByText('oncall (operator)')).toBeTruthy()
    expect(document.body.textContent).not.toContain('abc')
    fireEvent.click(screen.getByRole('button', { name: 'Forget token' }))
    expect(sessionStorage.getItem('noa.apiToken')).toBeNull()
    const again = screen.getByLabelText('API token (NOA_API_TOKEN) for actions') as HTMLInputElement
    fireEvent.change(again, { target: { value: 'typo' } })
    fireEvent.submit(again.form!)
    expect(await screen.findByText('Token refused')).toBeTruthy()
  })
})
