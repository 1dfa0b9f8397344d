import { describe, expect, it } from 'vitest'
import type { AgentService } from '../config/schema.ts'
import { flappingCalmAt, withDependents } from './runner.ts'

const service = (name: string, dependsOn: string[] = []) =>
  ({ name, dependsOn, flapping: { windowMs: 10_000, limit: 5 } }) as unknown as AgentService

describe('flappingCalmAt', () => {
  it('should wait until a drill cannot tip the service into flapping', () => {
    const now = Date.now()
    const api = service('api')
    // two recent changes: two more from the drill make four, under the limit of five
    expect(flappingCalmAt([api], new Map([['api', [now - 2000, now - 1000]]]))).toBe(0)
    // three recent changes: the oldest must leave the window first
    expect(flappingCalmAt([api], new Map([['api', [now - 1000, now - 3000, now - 2000]]]))).toBe(
      now - 3000 + 10_100,
    )
    // changes out of the window do not count
    expect(flappingCalmAt([api], new Map([['api', [now - 30_000, now - 20_000, now - 15_000]]]))).toBe(0)
  })
})

describe('withDependents', () => {
  it('should add every service that needs one of them, directly or not', () => {
    const config = {
      services: [service('db'), service('api', ['db']), service('ui', ['api']), service('other')],
    }
    expect(withDependents(config as never, ['db'])).toEqual(['db', 'api', 'ui'])
  })
})
