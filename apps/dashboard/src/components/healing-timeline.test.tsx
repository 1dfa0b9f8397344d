import { render, screen, within } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { healing, T0 } from '../test-utils/fixtures.ts'
import { HealingTimeline } from './healing-timeline.tsx'

describe('HealingTimeline', () => {
  it('should say what was done, why, each step and the outcome, newest first', () => {
    render(
      <HealingTimeline
        now={T0}
        healings={[
          healing(),
          healing({
            id: 'h2',
            startedAt: T0 - 1000,
            outcome: 'failed',
            strategy: 'rollback',
            trigger: 'deployment-failure',
            reason: 'previous release missing',
            dryRun: true,
            endedAt: undefined,
            healthAfter: undefined,
            steps: [
              { name: 'rollback', startedAt: T0 - 1000, endedAt: T0 - 500, ok: false, error: 'exit 1' },
            ],
          }),
        ]}
      />,
    )
    const [first, second] = screen
      .getAllByRole('listitem')
      .filter((li) => li.dataset.testid?.startsWith('healing-'))
    expect(within(first!).getByText('rollback on api')).toBeTruthy()
    expect(within(first!).getByText('Failed')).toBeTruthy()
    expect(within(first!).getByText('dry run')).toBeTruthy()
    expect(
      within(first!).getByText('Why: deployment-failure — previous release missing · before: error'),
    ).toBeTruthy()
    expect(within(first!).getByText('exit 1')).toBeTruthy()
    expect(within(second!).getByText('Succeeded')).toBeTruthy()
    expect(
      within(second!).getByText('Why: service-down · before: error · after: healthy · took 3.0 s'),
    ).toBeTruthy()
    const steps = within(second!).getByRole('list', { name: 'Steps' })
    expect(steps.textContent).toBe('✓ok: stop (1.0 s)✓ok: start (1.5 s) pid 42✓ok: verify (500 ms)')
  })

  it('should say where strategies are configured when nothing was healed', () => {
    render(<HealingTimeline healings={[]} />)
    expect(screen.getByText(/No healing yet\. Strategies are set under selfHealing/)).toBeTruthy()
  })
})
