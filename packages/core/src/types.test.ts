import { describe, expect, it } from 'vitest'
import { HEALTH_STATES, isDown } from './types.ts'

describe('isDown', () => {
  it('should count unhealthy and error as down, and not healthy, unknown or no state', () => {
    expect(HEALTH_STATES.filter(isDown)).toEqual(['unhealthy', 'error'])
    expect(isDown(undefined)).toBe(false)
    expect(isDown('degraded')).toBe(false)
  })
})
