import { describe, expect, it } from 'vitest'
import { expectedInterval, splitAtGaps, withGaps } from './metrics.ts'
import { STALE_INTERVALS, staleness } from './stale.ts'
import type { Point } from './types.ts'

const every10s = (from: number, n: number, v = 1): Point[] =>
  Array.from({ length: n }, (_, i): Point => [from + i * 10_000, v + i])

describe('splitAtGaps', () => {
  it('should cut a series where nothing was collected for more than two intervals', () => {
    const before = every10s(0, 3)
    const after = every10s(120_000, 2)
    expect(splitAtGaps([...before, ...after], 10_000)).toEqual([before, after])
  })

  it('should keep one missed collection (two intervals apart) in one line, and cut just past it', () => {
    const points: Point[] = [
      [0, 1],
      [20_000, 2],
      [40_001, 3],
    ]
    expect(splitAtGaps(points, 10_000)).toEqual([points.slice(0, 2), points.slice(2)])
  })

  it('should leave out points that are not numbers and give nothing for nothing', () => {
    expect(
      splitAtGaps(
        [
          [0, 1],
          [10_000, Number.NaN],
          [20_000, 3],
        ],
        10_000,
      ),
    ).toEqual([
      [
        [0, 1],
        [20_000, 3],
      ],
    ])
    expect(splitAtGaps([], 10_000)).toEqual([])
  })
})

describe('withGaps', () => {
  it('should put a null point in the middle of each gap', () => {
    expect(withGaps([...every10s(0, 2), ...every10s(100_000, 1, 5)], 10_000)).toEqual([
      [0, 1],
      [10_000, 2],
      [55_000, null],
      [100_000, 5],
    ])
  })
})

describe('expectedInterval', () => {
  it('should take the step, or the usual spacing when the agent collects less often', () => {
    expect(expectedInterval(every10s(0, 10), 10_000)).toBe(10_000)
    const every30s = Array.from({ length: 10 }, (_, i): Point => [i * 30_000, 1])
    expect(expectedInterval(every30s, 10_000)).toBe(30_000)
    // an outage does not move the usual spacing
    expect(expectedInterval([...every10s(0, 10), ...every10s(600_000, 10)], 0)).toBe(10_000)
    expect(expectedInterval([], 10_000)).toBe(10_000)
  })
})

describe('staleness', () => {
  it('should call a value older than two intervals stale, and say nothing without its time', () => {
    expect(STALE_INTERVALS).toBe(2)
    expect(staleness(1000, 10_000, 21_000)).toEqual({ stale: false, ageMs: 20_000 })
    expect(staleness(1000, 10_000, 21_001)).toEqual({ stale: true, ageMs: 20_001 })
    expect(staleness(undefined, 10_000, 1)).toBeUndefined()
    expect(staleness(1, undefined, 1)).toBeUndefined()
  })
})
