import { describe, expect, it } from 'vitest'
import { retryAfterMs } from './retry-after.ts'

const now = Date.parse('2026-12-07T03:00:00Z')

describe('retryAfterMs', () => {
  it('reads delay-seconds and HTTP dates', () => {
    expect(retryAfterMs('120', now)).toBe(120_000)
    expect(retryAfterMs(' 7 ', now)).toBe(7_000)
    expect(retryAfterMs('Mon, 07 Dec 2026 03:00:30 GMT', now)).toBe(30_000)
  })

  it('caps what a peer asks at maxMs', () => {
    expect(retryAfterMs('86400', now)).toBe(300_000)
    expect(retryAfterMs('86400', now, 60_000)).toBe(60_000)
  })

  it('ignores an absent, unreadable, zero or past value', () => {
    for (const header of [null, undefined, '', 'soon', '-5', '1.5', '0', 'Mon, 07 Dec 2026 02:00:00 GMT'])
      expect(retryAfterMs(header, now)).toBeUndefined()
  })
})
