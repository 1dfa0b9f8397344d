import { describe, expect, it } from 'vitest'
import type { AgentService } from '../config/schema.ts'
import { withDependents } from './runner.ts'

const service = (name: string, dependsOn: string[] = []) =>
  ({ name, dependsOn, flapping: { windowMs: 10_000, limit: 5 } }) as unknown as AgentService

describe('withDependents', () => {
  it('should add every service that needs one of them, directly or not', () => {
    const config = {
      services: [service('db'), service('api', ['db']), service('ui', ['api']), service('other')],
    }
    expect(withDependents(config as never, ['db'])).toEqual(['db', 'api', 'ui'])
  })
})
