import { describe, expect, it } from 'vitest'
import { FakeClock, systemClock } from './clock.ts'

describe('FakeClock', () => {
  it('should fire timers in due order, ties in the order they were set', async () => {
    const clock = new FakeClock(1_000)
    const fired: string[] = []
    clock.setTimeout(() => fired.push('b@20'), 20)
    clock.setTimeout(() => fired.push('a@10'), 10)
    clock.setTimeout(() => fired.push('c@20'), 20)
    await clock.advance(15)
    expect(fired).toEqual(['a@10'])
    expect(clock.now()).toBe(1_015)
    await clock.advance(5)
    expect(fired).toEqual(['a@10', 'b@20', 'c@20'])
    expect(clock.pending).toBe(0)
  })

  it('should run timers set by timers when they fall inside the advanced span', async () => {
    const clock = new FakeClock(0)
    const seen: number[] = []
    const tick = () => {
      seen.push(clock.now())
      if (seen.length < 5) clock.setTimeout(tick, 100)
    }
    clock.setTimeout(tick, 100)
    await clock.advance(350)
    expect(seen).toEqual([100, 200, 300])
    expect(clock.nextDue()).toBe(400)
  })

  it('should let promise chains started by a timer settle before the next timer', async () => {
    const clock = new FakeClock(0)
    const order: string[] = []
    clock.setTimeout(async () => {
      await Promise.resolve()
      await Promise.resolve()
      order.push('chain done')
    }, 10)
    clock.setTimeout(() => order.push('second timer'), 10)
    await clock.advance(10)
    expect(order).toEqual(['chain done', 'second timer'])
  })

  it('should resolve sleep when time passes and reject it on abort', async () => {
    const clock = new FakeClock(0)
    let slept = false
    const sleeping = clock.sleep(1_000).then(() => {
      slept = true
    })
    await clock.advance(999)
    expect(slept).toBe(false)
    await clock.advance(1)
    await sleeping
    expect(slept).toBe(true)

    const controller = new AbortController()
    const aborted = clock.sleep(1_000, controller.signal)
    controller.abort(new Error('stop'))
    await expect(aborted).rejects.toThrow('stop')
    expect(clock.pending).toBe(0)
    await expect(clock.sleep(5, controller.signal)).rejects.toThrow('stop')
  })

  it('should cancel a timer and count only live ones', async () => {
    const clock = new FakeClock(0)
    let ran = false
    const timer = clock.setTimeout(() => {
      ran = true
    }, 10)
    timer.cancel()
    timer.cancel()
    await clock.runAll()
    expect(ran).toBe(false)
    expect(clock.monotonic()).toBe(0)
  })

  it('should stop runAll at its limit', async () => {
    const clock = new FakeClock(0)
    const loop = () => clock.setTimeout(loop, 1)
    loop()
    expect(await clock.runAll(50)).toBe(50)
    expect(clock.now()).toBe(50)
  })
})

describe('systemClock', () => {
  it('should read real time and sleep for real', async () => {
    const before = systemClock.now()
    const t0 = systemClock.monotonic()
    await systemClock.sleep(5)
    expect(systemClock.monotonic() - t0).toBeGreaterThanOrEqual(4)
    expect(systemClock.now()).toBeGreaterThanOrEqual(before)
    let ran = false
    systemClock
      .setTimeout(() => {
        ran = true
      }, 1)
      .cancel()
    await systemClock.sleep(5)
    expect(ran).toBe(false)
  })
})
