import { describe, expect, it } from 'vitest'
import { createScrubber } from './secrets.ts'

describe('createScrubber', () => {
  it('should take out the connection string and its password as written and decoded', () => {
    const url = 'postgres://noa:p%40ss%2Fw0rd@db.internal:5432/noa'
    const scrub = createScrubber(url)
    expect(scrub(`cannot connect with ${url}`)).toBe('cannot connect with ***')
    expect(scrub('auth failed: p%40ss%2Fw0rd')).toBe('auth failed: ***')
    expect(scrub('auth failed: p@ss/w0rd, twice p@ss/w0rd')).toBe('auth failed: ***, twice ***')
    expect(scrub('user noa at db.internal')).toBe('user noa at db.internal')
  })

  it('should take out a connection string that is not a URL, and leave texts alone without one', () => {
    expect(createScrubber('host=db password=hunter2')('bad: host=db password=hunter2')).toBe('bad: ***')
    expect(createScrubber(undefined)('nothing to hide')).toBe('nothing to hide')
  })
})
