import { FakeClock } from '@noa/core'
import { describe, expect, it } from 'vitest'
import { onTick } from './shared-ticker.ts'

describe('onTick', () => {
  it('should drive every callback of one clock and interval from one timer', async () => {
    const clock = new FakeClock()
    const calls: string[] = []
    const a = onTick(clock, 250, () => calls.push('a'))
    const b = onTick(clock, 250, () => calls.push('b'))
    const c = onTick(clock, 1000, () => calls.push('c'))
    expect(clock.pending).toBe(2)
    await clock.advance(250)
    expect(calls).toEqual(['a', 'b'])
    a.cancel()
    await clock.advance(750)
    // at 1000 ms the 1000 ms timer, set first, fires first
    expect(calls).toEqual(['a', 'b', 'b', 'b', 'c', 'b'])
    b.cancel()
    c.cancel()
    expect(clock.pending).toBe(0)
    await clock.advance(5000)
    expect(calls).toHaveLength(6)
  })

  it('should keep calling the others when one throws or cancels another', async () => {
    const clock = new FakeClock()
    const calls: string[] = []
    let second: { cancel(): void } | undefined
    const first = onTick(clock, 100, () => {
      calls.push('first')
      second?.cancel()
      throw new Error('boom')
    })
    second = onTick(clock, 100, () => calls.push('second'))
    const third = onTick(clock, 100, () => calls.push('third'))
    await clock.advance(200)
    expect(calls).toEqual(['first', 'third', 'first', 'third'])
    first.cancel()
    third.cancel()
    expect(clock.pending).toBe(0)
  })
})
