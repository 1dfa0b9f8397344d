import { describe, expect, it } from 'vitest'
import {
  formatAgo,
  formatClock,
  formatDateTime,
  formatDuration,
  formatMs,
  formatPercent,
  formatRate,
  formatValue,
  niceCeil,
} from './format.ts'

describe('format', () => {
  it('should always print a unit, and a dash for unknown values', () => {
    expect([formatMs(3.25), formatMs(12.4), formatMs(1234), formatMs(undefined), formatMs(null)]).toEqual([
      '3.3 ms',
      '12 ms',
      '1.23 s',
      '—',
      '—',
    ])
    expect([formatPercent(45.25), formatPercent(1.256, 2), formatPercent(Number.NaN)]).toEqual([
      '45.3 %',
      '1.26 %',
      '—',
    ])
    expect([formatRate(2.5), formatRate(120.44), formatRate(undefined)]).toEqual([
      '2.50 req/s',
      '120.4 req/s',
      '—',
    ])
    expect([formatDuration(250), formatDuration(1500), formatDuration(125_000), formatDuration(-1)]).toEqual([
      '250 ms',
      '1.5 s',
      '2 min 5 s',
      '—',
    ])
  })

  it('should say how long ago in the largest whole unit', () => {
    const now = 1_000_000_000
    expect(formatAgo(now - 4_000, now)).toBe('4 s ago')
    expect(formatAgo(now - 125_000, now)).toBe('2 min ago')
    expect(formatAgo(now - 2 * 3_600_000, now)).toBe('2 h ago')
    expect(formatAgo(now - 3 * 86_400_000, now)).toBe('3 d ago')
    expect(formatAgo(undefined, now)).toBe('never')
  })

  it('should print clock and date in the local zone', () => {
    const at = new Date(2026, 10, 28, 9, 5, 7).getTime()
    expect(formatClock(at)).toBe('09:05:07')
    expect(formatDateTime(at)).toBe('2026-11-28 09:05:07')
    expect(formatClock(undefined)).toBe('—')
    expect(formatDateTime(undefined)).toBe('—')
  })

  it('should round axis bounds up to 1, 2, 2.5 or 5 times a power of ten', () => {
    expect([0.7, 1, 1.3, 2.2, 3, 7, 10.1, 480, 0, -3, Number.NaN].map(niceCeil)).toEqual([
      1, 1, 2, 2.5, 5, 10, 20, 500, 1, 1, 1,
    ])
  })

  it('should shorten float noise in raw values to 4 significant digits', () => {
    expect([0.9109999999999999, 1234, 812.5, 0.000123456, Number.POSITIVE_INFINITY].map(formatValue)).toEqual(
      ['0.911', '1234', '812.5', '0.0001235', 'Infinity'],
    )
  })
})
