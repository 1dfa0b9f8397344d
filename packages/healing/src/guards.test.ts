import { describe, expect, it } from 'vitest'
import { createGuards, type GuardOptions } from './guards.ts'

const options: GuardOptions = {
  maxRestarts: 2,
  restartWindowMs: 1000,
  maxConsecutive: 5,
  circuitThreshold: 2,
  retryInitialMs: 100,
  retryMaxMs: 300,
  stablePeriodMs: 500,
  onBudgetSpent: 'backoff',
}

describe('Guards', () => {
  it('should count restarts in a sliding window and open the circuit once when the budget is spent', () => {
    const g = createGuards(options)
    g.countRestart('api', 0)
    g.countRestart('api', 100)
    expect(g.check('api', { now: 200, restarts: true })).toEqual({
      allowed: false,
      skip: 'budget-spent',
      reason: 'api was restarted 2 times within 1000 ms (max 2)',
      opened: true,
    })
    expect(g.check('api', { now: 300, restarts: true })).toMatchObject({
      allowed: false,
      skip: 'circuit-open',
    })
    expect(g.check('api', { now: 300, restarts: true, retry: true })).toEqual({ allowed: true })
    expect(g.check('api', { now: 300, restarts: true, manual: true })).toEqual({ allowed: true })
    expect(g.snapshot('api', 1001)).toEqual({
      restartsInWindow: 1,
      consecutive: 2,
      lastRestartAt: 100,
      failures: 0,
      circuit: 'open',
      cause: 'budget-spent',
      openedAt: 200,
      retries: 0,
    })
    expect(g.snapshot('other', 0)).toEqual({
      restartsInWindow: 0,
      consecutive: 0,
      failures: 0,
      circuit: 'closed',
      retries: 0,
    })
  })

  it('should double the wait between retries up to the cap, and schedule none in stop mode', () => {
    const g = createGuards(options)
    g.settle('api', false, 0)
    expect(g.settle('api', false, 0)).toBe(true)
    expect([0, 1, 2, 3].map(() => g.scheduleRetry('api', 1000))).toEqual([1100, 1200, 1300, 1300])
    const stop = createGuards({ ...options, maxRestarts: 1, onBudgetSpent: 'stop' })
    stop.countRestart('api', 0)
    stop.check('api', { now: 1, restarts: true })
    expect(stop.scheduleRetry('api', 1)).toBeUndefined()
    // a circuit opened by failures still retries in stop mode: only a spent budget waits for a person
    stop.settle('web', false, 0)
    stop.settle('web', false, 0)
    expect(stop.scheduleRetry('web', 0)).toBe(100)
  })

  it('should close the circuit and reset the counts only after the stable period', () => {
    const g = createGuards(options)
    g.countRestart('api', 0)
    g.countRestart('api', 1)
    g.check('api', { now: 2, restarts: true })
    g.healthy('api', 10)
    g.healthy('api', 400) // still healthy: the period counts from 10
    expect(g.closeIfStable('api', 509)).toBe(false)
    g.down('api')
    g.healthy('api', 600)
    expect(g.closeIfStable('api', 1000)).toBe(false)
    expect(g.stableAt('api')).toBe(1100)
    expect(g.closeIfStable('api', 1100)).toBe(true)
    expect(g.snapshot('api', 1100)).toMatchObject({ circuit: 'closed', consecutive: 0, failures: 0 })
    expect(g.settled('api')).toBe(true)
  })

  it('should refuse within the cooldown with its typed reason', () => {
    const g = createGuards({ ...options, maxRestarts: 10 })
    g.countRestart('api', 0)
    expect(g.check('api', { now: 50, restarts: true, cooldownMs: 100 })).toEqual({
      allowed: false,
      skip: 'cooldown',
      reason: 'api was restarted 50 ms ago; cooldown is 100 ms',
    })
    expect(g.check('api', { now: 100, restarts: true, cooldownMs: 100 })).toEqual({ allowed: true })
  })
})
