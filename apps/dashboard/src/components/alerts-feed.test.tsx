import { fireEvent, render, screen, waitFor, within } from '@testing-library/react'
import { describe, expect, it, vi } from 'vitest'
import { alert, T0 } from '../test-utils/fixtures.ts'
import { AlertsFeed } from './alerts-feed.tsx'

describe('AlertsFeed', () => {
  it('should list firing alerts before resolved ones, with severity, state and labels in text', () => {
    render(
      <AlertsFeed
        now={T0}
        canAct={false}
        alerts={[
          alert({ fingerprint: 'a', rule: 'Old', state: 'resolved', updatedAt: T0 - 1000 }),
          alert({ fingerprint: 'b', rule: 'HighLatency', severity: 'warning', value: 812, annotations: {} }),
        ]}
      />,
    )
    const items = screen.getAllByRole('listitem')
    expect(items.map((i) => i.querySelector('strong')?.textContent)).toEqual(['HighLatency', 'Old'])
    expect(within(items[0]!).getByText('warning')).toBeTruthy()
    expect(within(items[0]!).getByText('firing')).toBeTruthy()
    expect(within(items[0]!).getByText('service=api · value 812')).toBeTruthy()
    expect(screen.queryByRole('button', { name: 'Silence…' })).toBeNull()
  })

  it('should silence an alert with the chosen duration and comment when a token is set', async () => {
    const onSilence = vi.fn(async () => ({ ok: true as const, status: 201, data: {} }))
    render(<AlertsFeed now={T0} canAct alerts={[alert()]} onSilence={onSilence} />)
    fireEvent.click(screen.getByRole('button', { name: 'Silence…' }))
    const form = screen.getByRole('form', { name: 'Silence ServiceDown' })
    fireEvent.change(within(form).getByLabelText('For'), { target: { value: '240' } })
    fireEvent.change(within(form).getByLabelText('Comment'), { target: { value: 'deploying' } })
    fireEvent.click(within(form).getByRole('button', { name: 'Silence' }))
    await waitFor(() => expect(onSilence).toHaveBeenCalledWith(alert(), 240, 'deploying'))
    await waitFor(() => expect(screen.queryByRole('form')).toBeNull())
  })

  it('should keep the form open with the reason when silencing fails, and cancel', async () => {
    const onSilence = vi.fn(async () => ({
      ok: false as const,
      status: 401,
      error: 'The API token was refused.',
      retryable: false,
    }))
    render(<AlertsFeed now={T0} canAct alerts={[alert()]} onSilence={onSilence} />)
    fireEvent.click(screen.getByRole('button', { name: 'Silence…' }))
    fireEvent.click(screen.getByRole('button', { name: 'Silence' }))
    expect(await screen.findByText('The API token was refused.')).toBeTruthy()
    expect(onSilence).toHaveBeenCalledWith(alert(), 60, 'silenced from the dashboard')
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }))
    expect(screen.queryByRole('form')).toBeNull()
  })

  it('should mark alerts an active silence matches (exact and regex) and offer no silence for them', () => {
    const silence = (
      matchers: Array<{ name: string; value: string; isRegex: boolean; isEqual: boolean }>,
      endsAt = T0 + 1000,
    ) => ({
      id: 's',
      matchers,
      startsAt: T0 - 1000,
      endsAt,
      comment: '',
    })
    const { rerender } = render(
      <AlertsFeed
        now={T0}
        canAct
        onSilence={vi.fn()}
        alerts={[alert()]}
        silences={[silence([{ name: 'service', value: 'a.i', isRegex: true, isEqual: true }])]}
      />,
    )
    expect(screen.getByText('silenced')).toBeTruthy()
    expect(screen.queryByRole('button', { name: 'Silence…' })).toBeNull()
    rerender(
      <AlertsFeed
        now={T0}
        canAct
        onSilence={vi.fn()}
        alerts={[alert()]}
        silences={[
          silence([{ name: 'alertname', value: 'ServiceDown', isRegex: false, isEqual: true }], T0 - 1),
        ]}
      />,
    )
    expect(screen.queryByText('silenced')).toBeNull()
    rerender(
      <AlertsFeed
        now={T0}
        canAct
        onSilence={vi.fn()}
        alerts={[alert()]}
        silences={[silence([{ name: 'service', value: '(', isRegex: true, isEqual: true }])]}
      />,
    )
    expect(screen.queryByText('silenced')).toBeNull()
  })

  it('should say where rules are configured when there is no alert', () => {
    render(<AlertsFeed canAct={false} alerts={[]} />)
    expect(screen.getByText('No alerts. Rules live under alerting.rules in the configuration.')).toBeTruthy()
  })
})
