import { describe, expect, it } from 'vitest'
import { createBackoff, jitterDelay } from './backoff.ts'
import { isNoaError } from './errors.ts'

describe('createBackoff', () => {
  it('should grow exponentially up to the maximum without jitter', () => {
    const backoff = createBackoff({ initialMs: 100, maxMs: 1_000, factor: 2, jitter: 0 })
    expect([0, 1, 2, 3, 4, 10].map((n) => backoff.delay(n))).toEqual([100, 200, 400, 800, 1_000, 1_000])
  })

  it('should take up to the jitter fraction off each delay', () => {
    const low = createBackoff({ initialMs: 1_000, jitter: 0.5 }, () => 0.999_999)
    const high = createBackoff({ initialMs: 1_000, jitter: 0.5 }, () => 0)
    expect(low.delay(0)).toBe(500)
    expect(high.delay(0)).toBe(1_000)
    const spread = new Set(Array.from({ length: 50 }, () => createBackoff({ jitter: 1 }).delay(3)))
    expect(spread.size).toBeGreaterThan(10)
  })

  it('should use the documented defaults', () => {
    expect(createBackoff().options).toEqual({ initialMs: 1_000, maxMs: 30_000, factor: 2, jitter: 0.2 })
  })

  it('should refuse every bad option at once, at construction', () => {
    let error: unknown
    try {
      createBackoff({ initialMs: -1, factor: 0.5, jitter: 2 })
    } catch (e) {
      error = e
    }
    expect(isNoaError(error)).toBe(true)
    expect((error as Error).message).toBe(
      'invalid backoff: initialMs must be >= 0, got -1; factor must be >= 1, got 0.5; jitter must be between 0 and 1, got 2',
    )
    expect(() => createBackoff({ initialMs: 10, maxMs: 5 })).toThrow('maxMs must be >= initialMs (10), got 5')
  })
})

describe('jitterDelay', () => {
  it('should stay in [0, max)', () => {
    expect(jitterDelay(1_000, () => 0)).toBe(0)
    expect(jitterDelay(1_000, () => 0.9999)).toBe(999)
    expect(jitterDelay(-5, () => 0.5)).toBe(0)
  })
})
