import { getEventListeners } from 'node:events'
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
    const onC = () => fired.push(`c@${clock.monotonic()}`)
    const c = deadlines.enter(200, parent, onC)
    expect(b.signal).toBe(a.signal)
    expect(c.signal).not.toBe(a.signal)
    expect(deadlines.size).toBe(2)
    await clock.advance(102)
    expect(fired).toEqual([])
    await clock.advance(1)
    expect(fired).toEqual(['a@110', 'b@110'])
    expect(isTimeoutError(a.signal.reason)).toBe(true)
    deadlines.leave(c, onC)
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

  it('should release a slot once its attempts all left, with one listener on the parent for every slot', async () => {
    const clock = new FakeClock()
    const deadlines = new Deadlines(clock)
    const parent = new AbortController().signal
    const waiters = [() => {}, () => {}, () => {}]
    const slots = waiters.map((w, i) => deadlines.enter(100 * (i + 1), parent, w))
    const shared = deadlines.enter(100, parent, waiters[1]!)
    expect(shared).toBe(slots[0])
    expect(deadlines.size).toBe(3)
    expect(getEventListeners(parent, 'abort')).toHaveLength(1)
    deadlines.leave(slots[0]!, waiters[0]!)
    expect(deadlines.size).toBe(3)
    deadlines.leave(slots[0]!, waiters[1]!)
    expect(deadlines.size).toBe(2)
    deadlines.leave(slots[1]!, waiters[1]!)
    deadlines.leave(slots[2]!, waiters[2]!)
    expect(deadlines.size).toBe(0)
    expect(clock.pending).toBe(0)
  })

  it('should make the signal only when asked, aborted already when the slot fired before', async () => {
    const clock = new FakeClock()
    const deadlines = new Deadlines(clock)
    const stop = new AbortController()
    let fired = 0
    const slot = deadlines.enter(50, stop.signal, () => fired++)
    await clock.advance(50)
    expect(fired).toBe(1)
    expect(slot.signal.aborted).toBe(true)
    expect(isTimeoutError(slot.signal.reason)).toBe(true)
    expect(slot.context.signal).toBe(slot.signal)
    stop.abort(new Error('stopped'))
    const late = deadlines.enter(50, stop.signal, () => fired++)
    expect(late.signal.reason).toEqual(new Error('stopped'))
    expect(fired).toBe(1)
    expect(deadlines.size).toBe(0)
  })
})
