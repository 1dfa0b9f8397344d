import { render, screen } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { formatMs } from '../format.ts'
import { TimeChart, tickLabel } from './time-chart.tsx'

describe('TimeChart', () => {
  it('should give the latest value of each line in text', () => {
    render(
      <TimeChart
        title="Latency"
        from={0}
        to={100}
        format={formatMs}
        lines={[
          {
            key: 'avg',
            name: 'avg',
            color: '#fff',
            points: [
              [10, 5],
              [20, 7],
            ],
          },
          {
            key: 'p99',
            name: 'p99',
            color: '#f00',
            points: [
              [10, 40],
              [20, Number.NaN],
            ],
          },
          { key: 'p95', name: 'p95', color: '#f00', points: [] },
        ]}
      />,
    )
    const figure = screen.getByRole('figure', { name: 'Latency' })
    expect(figure.querySelector('[data-testid="chart-summary"]')?.textContent).toBe(
      'Latest: avg 7.0 ms, p99 —, p95 no data; 2 samples',
    )
  })

  it('should say there are no samples yet instead of an empty plot', () => {
    render(<TimeChart title="Throughput" from={0} to={1} format={String} lines={[]} />)
    expect(screen.getByText('No samples in this range yet.')).toBeTruthy()
  })

  it('should label the time axis with seconds, minutes or dates as the span grows', () => {
    const t = new Date(2026, 10, 28, 9, 5, 7).getTime()
    expect(tickLabel(t, 15 * 60_000)).toBe('09:05:07')
    expect(tickLabel(t, 3_600_000)).toBe('09:05')
    expect(tickLabel(t, 7 * 86_400_000)).toBe('11-28')
  })
})
