import { fireEvent, render, screen, waitFor } from '@testing-library/react'
import { describe, expect, it, vi } from 'vitest'
import { approval, T0 } from '../test-utils/fixtures.ts'
import { Approvals } from './approvals.tsx'

describe('Approvals', () => {
  it('should list only pending approvals and ask for a token before any decision', () => {
    render(
      <Approvals
        now={T0}
        canAct={false}
        onDecide={vi.fn()}
        approvals={[approval(), approval({ id: 'old', status: 'approved' })]}
      />,
    )
    expect(screen.getByTestId('approval-ap1')).toBeTruthy()
    expect(screen.queryByTestId('approval-old')).toBeNull()
    expect(screen.getByText('deployment failed twice')).toBeTruthy()
    expect(screen.getByText('Enter an API token to approve or reject.')).toBeTruthy()
    expect(screen.queryByRole('button')).toBeNull()
  })

  it('should reject and show what the agent answered', async () => {
    const onDecide = vi.fn(async () => ({
      ok: false as const,
      status: 409,
      error: 'approval is not pending',
      retryable: false,
    }))
    render(<Approvals now={T0} canAct onDecide={onDecide} approvals={[approval()]} />)
    fireEvent.click(screen.getByRole('button', { name: 'Reject' }))
    expect(await screen.findByText('approval is not pending')).toBeTruthy()
    expect(onDecide).toHaveBeenCalledWith('ap1', 'reject')
  })

  it('should confirm a decision the agent accepted', async () => {
    const onDecide = vi.fn(async () => ({ ok: true as const, status: 200, data: {} }))
    render(<Approvals now={T0} canAct onDecide={onDecide} approvals={[approval()]} />)
    fireEvent.click(screen.getByRole('button', { name: 'Reject' }))
    await waitFor(() => expect(screen.getByText('Rejected.')).toBeTruthy())
  })
})
