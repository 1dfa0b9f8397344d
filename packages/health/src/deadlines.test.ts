import { FakeClock, isTimeoutError } from '@noa/core'
import { describe, expect, it } from 'vitest'
import { Deadlines } from './deadlines.ts'

describe('Deadlines', () => {
  it('should share one signal per 10 ms slot and fire never early, at most 10 ms late', async () => {
    const clock = new FakeClock()
    const deadlines = new Deadlines(clock)
    const parent = new AbortController().signal
    const fired: string[] = []
    await clock.advance(3)
    const a = deadlines.enter(100, parent, () => fired.push(`a@${clock.monotonic()}`))
    await clock.advance(4)
    const b = deadlines.enter(100, parent, () => fired.push(`b@${clock.monotonic()}`))
    const c = deadlines.enter(200, parent, () => fired.push(`c@${clock.monotonic()}`))
    expect(b.signal).toBe(a.signal)
    expect(c.signal).not.toBe(a.signal)
    expect(deadlines.size).toBe(2)
    await clock.advance(102)
    expect(fired).toEqual([])
    await clock.advance(1)
    expect(fired).toEqual(['a@110', 'b@110'])
    expect(isTimeoutError(a.signal.reason)).toBe(true)
    c.waiters.delete([...c.waiters][0]!)
    await clock.advance(200)
    expect(fired).toEqual(['a@110', 'b@110'])
    expect(clock.pending).toBe(0)
  })

  it('should abort every slot when the parent aborts', async () => {
    const clock = new FakeClock()
    const deadlines = new Deadlines(clock)
    const stop = new AbortController()
    let called = 0
    const slot = deadlines.enter(5_000, stop.signal, () => called++)
    stop.abort(new Error('stopped'))
    expect(slot.signal.reason).toEqual(new Error('stopped'))
    expect(called).toBe(1)
    expect(clock.pending).toBe(0)
    expect(deadlines.enter(5_000, new AbortController().signal, () => {}).signal).not.toBe(slot.signal)
  })
})
