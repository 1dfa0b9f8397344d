import { act, render, screen, waitFor } from '@testing-library/react'
import { useState } from 'react'
import { describe, expect, it } from 'vitest'
import { createFakeAgent, ok } from '../test-utils/fake-agent.ts'
import { renderLive } from '../test-utils/render.tsx'
import type { RangeKey } from './metrics.ts'
import { MAX_POINTS, mergeSeries, RANGES, stepFor, useMetricsRange } from './metrics.ts'
import { LiveProvider, useLive } from './sse.ts'

describe('stepFor', () => {
  it('should keep every range at or under 360 points and never under the 10 s collection interval', () => {
    for (const { ms } of Object.values(RANGES)) {
      expect(ms / stepFor(ms)).toBeLessThanOrEqual(MAX_POINTS)
      expect(stepFor(ms)).toBeGreaterThanOrEqual(10_000)
    }
    expect(stepFor(RANGES['1h'].ms)).toBe(10_000)
    expect(stepFor(RANGES['24h'].ms)).toBe(240_000)
    expect(stepFor(RANGES['30d'].ms)).toBe(7_200_000)
  })
})

describe('mergeSeries', () => {
  it('should prefer the series without labels', () => {
    expect(
      mergeSeries([
        { labels: { service: 'a' }, points: [[1, 5]] },
        { labels: {}, points: [[1, 2]] },
      ]),
    ).toEqual([[1, 2]])
  })

  it('should average labelled series at each time, skipping non-finite values', () => {
    expect(
      mergeSeries([
        {
          labels: { service: 'a' },
          points: [
            [1, 2],
            [2, 4],
          ],
        },
        {
          labels: { service: 'b' },
          points: [
            [1, 4],
            [2, Number.NaN],
            [3, 9],
          ],
        },
      ]),
    ).toEqual([
      [1, 3],
      [2, 4],
      [3, 9],
    ])
    expect(mergeSeries([{ labels: { s: 'x' }, points: [[1, 7]] }])).toEqual([[1, 7]])
    expect(mergeSeries([])).toEqual([])
  })

  it('should cut what the agent sends to the newest 360 points', () => {
    const points = Array.from({ length: 400 }, (_, i): [number, number] => [i, i])
    expect(mergeSeries([{ labels: {}, points }])).toHaveLength(360)
  })
})

function Probe({ names, initial }: { names: string[]; initial: RangeKey }) {
  const [range, setRange] = useState(initial)
  const m = useMetricsRange(names, range)
  return (
    <div>
      <button type="button" onClick={() => setRange('7d')}>
        week
      </button>
      <button type="button" onClick={m.reload}>
        again
      </button>
      <output data-testid="out">
        {JSON.stringify({ series: m.series, error: m.error ?? null, step: m.step, span: m.to - m.from })}
      </output>
    </div>
  )
}

describe('useMetricsRange', () => {
  it('should query each series over the range with a downsampling step and keep them when a refresh fails', async () => {
    const agent = createFakeAgent({
      'GET /api/metrics/query': (call) => {
        const q = new URL(call.path, 'http://x').searchParams
        return ok({
          name: q.get('name'),
          from: 0,
          to: 0,
          step: 0,
          series: [{ labels: {}, points: [[1, 50]] }],
        })
      },
    })
    renderLive(<Probe names={['noa_cpu_usage_percent', 'noa_error_rate']} initial="1h" />, agent, {
      live: false,
    })
    await waitFor(() => expect(screen.getByTestId('out').textContent).toContain('noa_error_rate'))
    const out = () => JSON.parse(screen.getByTestId('out').textContent!)
    expect(out()).toMatchObject({ step: 10_000, span: 3_600_000, error: null })
    const q = new URL(agent.calls[0]!.path, 'http://x').searchParams
    expect([q.get('name'), q.get('step'), Number(q.get('to')) - Number(q.get('from'))]).toEqual([
      'noa_cpu_usage_percent',
      '10000',
      3_600_000,
    ])

    agent.down(true)
    act(() => screen.getByRole('button', { name: 'again' }).click())
    await waitFor(() => expect(out().error).toMatch(/unreachable/))
    expect(out().series.noa_cpu_usage_percent).toEqual([[1, 50]])
    // a new range drops the old range's series
    act(() => screen.getByRole('button', { name: 'week' }).click())
    await waitFor(() => expect(out().series).toEqual({}))
    expect(out().step).toBe(1_680_000)
    agent.down(false)
  })
})

function OutsideProvider() {
  useLive()
  return null
}

describe('useLive', () => {
  it('should refuse to run outside a LiveProvider', () => {
    expect(() => render(<OutsideProvider />)).toThrow('useLive needs a <LiveProvider> above it')
    render(<LiveProvider live={false}>ok</LiveProvider>)
  })
})
