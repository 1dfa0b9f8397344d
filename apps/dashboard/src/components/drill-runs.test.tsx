import { fireEvent, render, screen, within } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { drillResult, drillRun, T0 } from '../test-utils/fixtures.ts'
import { DrillRuns, DrillsEmpty } from './drill-runs.tsx'

const cells = (row: HTMLElement) =>
  within(row)
    .getAllByRole('cell')
    .map((c) => c.textContent)

describe('DrillRuns', () => {
  it('should sum up each run: faults, services, outcome counts, median and worst times, double actions and false alerts', () => {
    render(
      <DrillRuns
        now={T0}
        runs={[
          drillRun(),
          drillRun({
            id: 'drill_2',
            startedAt: T0 - 7_200_000,
            finishedAt: T0 - 7_190_000,
            results: [drillResult()],
          }),
        ]}
      />,
    )
    const [when, faults, services, outcomes, detect, alert, repair, doubles, falseAlerts, button] = cells(
      screen.getByTestId('drill-drill_1'),
    )
    expect(when).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d2 min ago · took 1 min 0 s$/)
    expect(faults).toBe('crash, hang, dependency-down')
    expect(services).toBe('api, worker')
    expect(outcomes).toBe('✓1 healed⚑1 escalated✕1 failed')
    // Detect: 180, 400, 31000 ms -> median 400 ms, worst 31 s.
    expect(detect).toBe('400 msmax 31.00 s')
    expect(alert).toBe('15.96 smax 31.50 s1 no alert')
    expect(repair).toBe('900 ms2 not repaired')
    expect(doubles).toBe('1')
    expect(falseAlerts).toBe('2')
    expect(button).toBe('Show 3 results')
    const second = cells(screen.getByTestId('drill-drill_2'))
    expect(second.slice(3, 9)).toEqual([
      '✓1 healed0 escalated0 failed',
      '180 ms',
      '420 ms',
      '900 ms',
      '0',
      '0',
    ])
  })

  it('should open a run to its results table and close it again', () => {
    render(<DrillRuns now={T0} runs={[drillRun()]} />)
    const toggle = screen.getByRole('button', { name: 'Show 3 results' })
    expect(toggle.getAttribute('aria-expanded')).toBe('false')
    expect(screen.queryByRole('table', { name: /^Results of the drill/ })).toBeNull()
    fireEvent.click(toggle)
    expect(toggle.getAttribute('aria-expanded')).toBe('true')
    const results = screen.getByRole('table', { name: /^Results of the drill of / })
    const rows = within(results).getAllByRole('row').slice(1).map(cells)
    expect(rows).toEqual([
      ['1', 'crash', 'api', '✓healed', '180 ms', '420 ms', '900 ms', 'restart', '0', '0', ''],
      [
        '1',
        'hang',
        'api',
        '⚑escalated',
        '31.00 s',
        '31.50 s',
        '—',
        'none',
        '0',
        '0',
        'circuit open: a person must act',
      ],
      ['2', 'dependency-down', 'worker', '✕failed', '400 ms', '—', '—', 'restart, restart', '1', '2', ''],
    ])
    fireEvent.click(screen.getByRole('button', { name: 'Hide 3 results' }))
    expect(screen.queryByRole('table', { name: /^Results of the drill/ })).toBeNull()
  })
})

describe('DrillsEmpty', () => {
  it('should tell the user to run noa drill', () => {
    render(<DrillsEmpty />)
    expect(screen.getByRole('heading', { name: 'No drills yet' })).toBeTruthy()
    expect(screen.getByText('noa drill')).toBeTruthy()
    expect(screen.getByText('drill: true')).toBeTruthy()
  })
})
