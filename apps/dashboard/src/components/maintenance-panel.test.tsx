import { fireEvent, render, screen, waitFor } from '@testing-library/react'
import { describe, expect, it, vi } from 'vitest'
import type { MaintenanceWindow } from '../data/types.ts'
import { fleetService, T0 } from '../test-utils/fixtures.ts'
import { MaintenancePanel } from './maintenance-panel.tsx'
import { ServiceTile } from './service-tile.tsx'

const window: MaintenanceWindow = {
  id: 'mnt_1',
  source: 'api',
  services: ['api'],
  tags: [],
  reason: 'disk swap',
  createdBy: 'alice',
  createdAt: T0,
  startsAt: T0,
  endsAt: T0 + 1_800_000,
  state: 'active',
}
const accepted = async () => ({ ok: true as const, status: 201, data: {} })

describe('ServiceTile in maintenance', () => {
  it('should show a maintenance badge with the reason in its title, and none without a window', () => {
    render(
      <ul>
        <ServiceTile
          now={T0}
          service={fleetService({
            name: 'api',
            maintenance: { id: 'mnt_1', reason: 'disk swap', endsAt: T0 + 60_000 },
          })}
        />
        <ServiceTile now={T0} service={fleetService({ name: 'web' })} />
      </ul>,
    )
    const badge = screen.getByText('Maintenance')
    expect(badge.getAttribute('title')).toBe('In maintenance: disk swap')
    expect(screen.getByTestId('tile-api').contains(badge)).toBe(true)
    expect(screen.getAllByText('Maintenance')).toHaveLength(1)
  })
})

describe('MaintenancePanel', () => {
  it('should start a window with a duration and a reason, only once a reason is given', async () => {
    const onStart = vi.fn(accepted)
    const onChanged = vi.fn()
    render(
      <MaintenancePanel
        service="api"
        window={undefined}
        canAct
        onStart={onStart}
        onEnd={vi.fn()}
        onChanged={onChanged}
      />,
    )
    const submit = screen.getByRole('button', { name: 'Start maintenance' }) as HTMLButtonElement
    expect(submit.disabled).toBe(true)
    fireEvent.change(screen.getByLabelText('For'), { target: { value: '60' } })
    fireEvent.change(screen.getByPlaceholderText('Why (e.g. disk swap)'), {
      target: { value: 'kernel upgrade' },
    })
    fireEvent.click(submit)
    expect(await screen.findByText('Maintenance started.')).toBeTruthy()
    expect(onStart).toHaveBeenCalledWith('api', 60, 'kernel upgrade')
    expect(onChanged).toHaveBeenCalled()
  })

  it('should show the open window and end it, saying what the agent answered', async () => {
    const onEnd = vi.fn(async () => ({
      ok: false as const,
      status: 409,
      error: 'already over',
      retryable: false,
    }))
    render(<MaintenancePanel service="api" window={window} canAct onStart={vi.fn()} onEnd={onEnd} />)
    expect(screen.getByText('disk swap')).toBeTruthy()
    expect(screen.getByText(/opened by alice/)).toBeTruthy()
    fireEvent.click(screen.getByRole('button', { name: 'End maintenance' }))
    await waitFor(() => expect(screen.getByText('already over')).toBeTruthy())
    expect(onEnd).toHaveBeenCalledWith('mnt_1')
  })

  it('should offer no action without a token, nor an end for a window of the config file', () => {
    const { rerender } = render(
      <MaintenancePanel service="api" window={undefined} canAct={false} onStart={vi.fn()} onEnd={vi.fn()} />,
    )
    expect(screen.getByText(/Enter an API token to start a maintenance window/)).toBeTruthy()
    expect(screen.queryByRole('button')).toBeNull()
    rerender(
      <MaintenancePanel
        service="api"
        window={{ ...window, id: 'config:nightly', source: 'config' }}
        canAct
        onStart={vi.fn()}
        onEnd={vi.fn()}
      />,
    )
    expect(screen.queryByRole('button')).toBeNull()
    expect(screen.getByText('This window comes from the config file.')).toBeTruthy()
  })
})
