import { describe, expect, it } from 'vitest'
import { Histogram } from './histogram.ts'

describe('Histogram', () => {
  it('should reuse the storage of removed series, starting from zero', () => {
    const histogram = new Histogram({ name: 'h', help: '', labelNames: ['k'], buckets: [1] })
    for (let round = 0; round < 200; round++) {
      histogram.observe({ k: `a${round}` }, 0.5)
      histogram.observe({ k: `a${round}` }, 2)
      expect(histogram.get({ k: `a${round}` })).toEqual({
        count: 2,
        sum: 2.5,
        buckets: { '1': 1, '+Inf': 2 },
      })
      expect(histogram.remove({ k: `a${round}` })).toBe(true)
    }
    histogram.observe({ k: 'kept' }, 3)
    histogram.observe({ k: 'new' }, 0.1)
    expect(histogram.get({ k: 'kept' })).toEqual({ count: 1, sum: 3, buckets: { '1': 0, '+Inf': 1 } })
    expect(histogram.get({ k: 'new' })).toEqual({ count: 1, sum: 0.1, buckets: { '1': 1, '+Inf': 1 } })
    // 200 series came and went through one slot: the store never grew past its first chunk.
    const stores = new Set(
      (histogram as unknown as { seriesList: Array<{ store: number[] }> }).seriesList.map((s) => s.store),
    )
    expect(stores.size).toBe(1)
    histogram.reset()
    histogram.observe({ k: 'after' }, 1)
    expect(histogram.get({ k: 'after' })?.count).toBe(1)
  })
})
