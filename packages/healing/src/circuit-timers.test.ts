import { type Clock, FakeClock } from '@noa/core'
import { describe, expect, it } from 'vitest'
import { createCircuitTimers } from './circuit-timers.ts'
import { createGuards } from './guards.ts'

describe('createCircuitTimers', () => {
  it("should close a healthy service's circuit even when its stable timer fires a millisecond early", async () => {
    const fake = new FakeClock(Date.parse('2026-12-07T05:00:00Z'))
    // Timers run on the monotonic clock and the period is judged by the wall clock: here the
    // wall clock lags 1 ms behind once the service is healthy, as it can in a real process.
    let lag = 0
    const clock: Clock = {
      now: () => fake.now() - lag,
      monotonic: () => fake.monotonic(),
      setTimeout: (callback, delayMs) => fake.setTimeout(callback, delayMs),
      sleep: (delayMs, signal) => fake.sleep(delayMs, signal),
    }
    const guards = createGuards({
      maxRestarts: 1,
      restartWindowMs: 60_000,
      maxConsecutive: 5,
      circuitThreshold: 2,
      retryInitialMs: 400,
      retryMaxMs: 1600,
      stablePeriodMs: 1000,
      onBudgetSpent: 'backoff',
    })
    const closed: string[] = []
    const timers = createCircuitTimers({ guards, clock, retry: () => {}, closed: (s) => closed.push(s) })
    guards.countRestart('api', clock.now())
    guards.countRestart('api', clock.now())
    expect(guards.check('api', { now: clock.now(), restarts: true })).toMatchObject({ opened: true })
    expect(guards.isOpen('api')).toBe(true)

    timers.health('api', 'healthy')
    lag = 1
    await fake.advance(1000)
    // The timer fired when the wall clock said 999 ms: not stable yet, and no health event will come.
    expect(closed).toEqual([])
    await fake.advance(1)
    expect(closed).toEqual(['api'])
    expect(guards.isOpen('api')).toBe(false)
    timers.stop()
  })
})
