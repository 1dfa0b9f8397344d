import type { CheckResult } from '@noa/core'
import { describe, expect, it } from 'vitest'
import { ServiceStateMachine } from './state.ts'

const result = (state: CheckResult['state'], at: number): CheckResult => ({
  service: 'api',
  state,
  at,
  durationMs: 1,
  attempts: 1,
})

const machine = (failureThreshold = 1, successThreshold = 1, limit = 5, windowMs = 600_000) =>
  new ServiceStateMachine({ failureThreshold, successThreshold, flapping: { windowMs, limit } })

describe('ServiceStateMachine', () => {
  it('should be unknown until the first result, which decides at once', () => {
    const m = machine(3, 3)
    expect(m.state).toBe('unknown')
    expect(m.apply(result('error', 1))).toEqual({ change: { from: 'unknown', to: 'error' } })
    expect(m.since).toBe(1)
  })

  it('should wait for failureThreshold failures and successThreshold successes', () => {
    const m = machine(3, 2)
    m.apply(result('healthy', 0))
    expect(m.apply(result('error', 1))).toEqual({})
    expect(m.apply(result('unhealthy', 2))).toEqual({})
    expect(m.consecutiveFailures).toBe(2)
    expect(m.apply(result('error', 3))).toEqual({ change: { from: 'healthy', to: 'error' } })
    expect(m.apply(result('unhealthy', 4))).toEqual({ change: { from: 'error', to: 'unhealthy' } })
    expect(m.apply(result('healthy', 5))).toEqual({})
    expect(m.apply(result('error', 6))).toEqual({ change: { from: 'unhealthy', to: 'error' } })
    expect(m.apply(result('healthy', 7))).toEqual({})
    expect(m.apply(result('healthy', 8))).toEqual({ change: { from: 'error', to: 'healthy' } })
    expect(m.consecutiveSuccesses).toBe(2)
  })

  it('should skip the thresholds for a decisive result', () => {
    const m = machine(3, 3)
    m.apply(result('healthy', 0))
    expect(m.apply(result('error', 1), true)).toEqual({ change: { from: 'healthy', to: 'error' } })
    expect(m.apply(result('healthy', 2), true)).toEqual({ change: { from: 'error', to: 'healthy' } })
  })

  it('should hold the state while flapping and release it when the window calms down', () => {
    const m = machine(1, 1, 3, 1_000)
    m.apply(result('healthy', 0))
    expect(m.apply(result('error', 100)).change).toEqual({ from: 'healthy', to: 'error' })
    expect(m.apply(result('healthy', 200)).change).toEqual({ from: 'error', to: 'healthy' })
    // The third change in the window: flapping, state held at healthy.
    expect(m.apply(result('error', 300))).toEqual({ flapping: true })
    expect(m.state).toBe('healthy')
    expect(m.actualState).toBe('error')
    expect(m.apply(result('healthy', 400))).toEqual({})
    expect(m.apply(result('error', 500))).toEqual({})
    expect(m.flapping).toBe(true)
    // the held changes count: a watcher of the reported state saw two
    expect(m.recentChanges(500)).toBe(5)
    expect(m.recentChanges(1_350)).toBe(2)
    // Changes at 400 and 500 remain in the window at 1450: fewer than 3, flapping ends.
    expect(m.apply(result('error', 1_450))).toEqual({
      flapping: false,
      change: { from: 'healthy', to: 'error' },
    })
    expect(m.state).toBe('error')
    expect(m.since).toBe(1_450)
  })
})
