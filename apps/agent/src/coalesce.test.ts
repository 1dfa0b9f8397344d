import { FakeClock } from '@noa/core'
import { describe, expect, it } from 'vitest'
import { Coalescer } from './coalesce.ts'

const tick = () => new Promise<void>((r) => setImmediate(r))

/** A coalescer whose task runs until `release()`: how many runs started is `runs()`. */
function held(clock: FakeClock, options: { share?: number; maxDelayMs?: number } = {}) {
  let count = 0
  let release = () => {}
  const c = new Coalescer({
    clock,
    ...options,
    task: () => {
      count++
      return new Promise<void>((r) => {
        release = r
      })
    },
  })
  return { c, runs: () => count, release: () => release() }
}

describe('Coalescer', () => {
  it('should run once for a burst of requests made in one tick', async () => {
    const clock = new FakeClock()
    let runs = 0
    const c = new Coalescer({ clock, task: async () => void runs++ })
    for (let i = 0; i < 5000; i++) c.request()
    await tick()
    expect(runs).toBe(1)
    c.request()
    await tick()
    expect(runs).toBe(2)
  })

  it('should serve requests made during a run with exactly one more run after it', async () => {
    const clock = new FakeClock()
    const { c, runs, release } = held(clock)
    c.request()
    await tick()
    expect(runs()).toBe(1)
    for (let i = 0; i < 100; i++) c.request()
    await tick()
    expect(runs()).toBe(1)
    release()
    await tick()
    expect(runs()).toBe(2)
    release()
    await tick()
    expect(runs()).toBe(2)
  })

  it('should wait after a run so that the task takes at most its share of the time', async () => {
    const clock = new FakeClock()
    const { c, runs, release } = held(clock, { share: 0.1 })
    c.request()
    await tick()
    // The run takes 50 ms: the next one may start 450 ms after it ended.
    await clock.advance(50)
    release()
    await tick()
    c.request()
    await clock.advance(449)
    expect(runs()).toBe(1)
    await clock.advance(1)
    expect(runs()).toBe(2)
  })

  it('should never wait longer than maxDelayMs', async () => {
    const clock = new FakeClock()
    const { c, runs, release } = held(clock, { maxDelayMs: 200 })
    c.request()
    await tick()
    await clock.advance(5000)
    release()
    await tick()
    c.request()
    await clock.advance(199)
    expect(runs()).toBe(1)
    await clock.advance(1)
    expect(runs()).toBe(2)
  })

  it('should drop a waiting run and refuse requests once stopped', async () => {
    const clock = new FakeClock()
    const { c, runs, release } = held(clock)
    c.request()
    await tick()
    await clock.advance(10)
    release()
    await tick()
    c.request()
    await c.stop()
    c.request()
    await clock.advance(10_000)
    expect(runs()).toBe(1)
    expect(clock.pending).toBe(0)
  })
})
