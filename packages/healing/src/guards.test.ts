import { describe, expect, it } from 'vitest'
import { Guards } from './guards.ts'

const options = {
  maxRestarts: 2,
  restartWindowMs: 1000,
  maxConsecutive: 5,
  circuitThreshold: 2,
  circuitCoolOffMs: 500,
}

describe('Guards', () => {
  it('should close a half-open circuit after a successful trial and refuse a second trial meanwhile', () => {
    const g = new Guards(options)
    expect(g.settle('api', 'restart', false, 0)).toBe(false)
    expect(g.settle('api', 'restart', false, 0)).toBe(true)
    expect(g.circuitState('api', 'restart', 100)).toBe('open')
    expect(g.check('api', 'restart', { now: 600, restarts: false })).toEqual({
      allowed: true,
      halfOpen: true,
    })
    expect(g.check('api', 'restart', { now: 600, restarts: false })).toMatchObject({
      allowed: false,
      guard: 'circuit-open',
    })
    g.settle('api', 'restart', true, 700)
    expect(g.circuitState('api', 'restart', 700)).toBe('closed')
  })

  it('should count restarts in a sliding window', () => {
    const g = new Guards(options)
    g.countRestart('api', 0)
    g.countRestart('api', 100)
    expect(g.check('api', 'x', { now: 200, restarts: true })).toMatchObject({ guard: 'max-restarts' })
    expect(g.check('api', 'x', { now: 1001, restarts: true })).toEqual({ allowed: true })
    expect(g.snapshot('api', 1001)).toEqual({
      restartsInWindow: 1,
      consecutive: 2,
      lastRestartAt: 100,
      circuits: { x: 'closed' },
    })
    expect(g.snapshot('other', 0)).toEqual({ restartsInWindow: 0, consecutive: 0, circuits: {} })
  })
})
