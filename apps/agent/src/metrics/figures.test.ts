import { parseExposition } from '@noa/metrics'
import { describe, expect, it } from 'vitest'
import { applicationOf, delta, mergeTotals, quantileMs, summarise } from './figures.ts'

describe('delta and applicationOf', () => {
  const totals = (at: number, requests: number, errors: number, buckets: Array<[number, number]>) => ({
    at,
    requests,
    errors,
    latencySum: requests * 0.02,
    latencyCount: requests,
    buckets: new Map(buckets),
  })

  it('should rate the window between two scrapes and start over after a counter reset', () => {
    const a = totals(0, 100, 0, [
      [0.1, 100],
      [Number.POSITIVE_INFINITY, 100],
    ])
    const b = totals(10_000, 150, 5, [
      [0.1, 150],
      [Number.POSITIVE_INFINITY, 150],
    ])
    const d = delta(b, a)
    expect(d).toMatchObject({ requests: 50, errors: 5 })
    const app = applicationOf(d, 10, b)
    expect(app.throughput?.requestsPerSecond).toBe(5)
    expect(app.requests?.errorRate).toBe(0.1)
    expect(delta(a, b)).toBe(a)
  })

  it('should interpolate quantiles inside buckets and merge the fleet', () => {
    const buckets = new Map([
      [0.01, 50],
      [0.1, 100],
      [Number.POSITIVE_INFINITY, 100],
    ])
    expect(quantileMs(buckets, 0.5)).toBeCloseTo(10)
    expect(quantileMs(buckets, 0.75)).toBeCloseTo(55)
    expect(quantileMs(new Map(), 0.5)).toBeUndefined()
    const fleet = mergeTotals([totals(0, 10, 1, [[0.1, 10]]), totals(0, 30, 0, [[0.1, 30]])], 5)
    expect(fleet).toMatchObject({ at: 5, requests: 40, errors: 1 })
    expect(fleet.buckets.get(0.1)).toBe(40)
  })
})

describe('summarise', () => {
  const families = (text: string) => {
    const parsed = parseExposition(text)
    if (!parsed.ok) throw new Error(parsed.error.message)
    return parsed.families
  }

  it('should keep at most the bounded number of business figures, and none with an over-long name', () => {
    let text = 'business_orders_total 7\n'
    for (let i = 0; i < 500; i++) text += `business_metric{name="tenant${i}"} ${i}\n`
    text += `business_metric{name="${'k'.repeat(129)}"} 1\nbusiness_metric{name="__proto__"} 3\n`
    const summary = summarise(families(text), 1, { keys: 100, keyLength: 128 })
    expect(Object.keys(summary.business)).toHaveLength(100)
    expect(summary.business.orders).toBe(7)
    expect(summary.business.tenant98).toBe(98)
    expect(summary.business.tenant99).toBeUndefined()
    // 401 tenants past the 100th figure, the over-long name, and __proto__ (one figure too many).
    expect(summary.businessDropped).toBe(403)
    expect(summary.samples).toHaveLength(503)
  })

  it('should keep a figure named __proto__ as a figure, and update a figure already kept when full', () => {
    const text =
      'business_metric{name="__proto__"} 3\nbusiness_metric{name="a"} 1\nbusiness_metric{name="a"} 2\n'
    const summary = summarise(families(text), 1, { keys: 2, keyLength: 16 })
    expect(Object.entries(summary.business)).toEqual([
      ['__proto__', 3],
      ['a', 2],
    ])
    expect(summary.businessDropped).toBe(0)
  })
})
