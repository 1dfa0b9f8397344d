import { describe, expect, it } from 'vitest'
import { formatConfigIssues, validateConfig } from './load.ts'

const check = { type: 'http', url: 'http://127.0.0.1:1/health' }

describe('statusPage and public services in the configuration', () => {
  it('should take public and group on a service and the statusPage section, both optional', () => {
    const result = validateConfig({
      statusPage: { title: 'Acme status', description: 'The shop and its APIs' },
      services: [
        { name: 'shop', check, public: true, group: 'web' },
        { name: 'db', check },
      ],
    })
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect(result.config.statusPage).toEqual({ title: 'Acme status', description: 'The shop and its APIs' })
    expect(result.config.services.map((s) => [s.name, s.public, s.group])).toEqual([
      ['shop', true, 'web'],
      ['db', undefined, undefined],
    ])
    const bare = validateConfig({})
    expect(bare.ok && bare.config.statusPage).toBeUndefined()
  })

  it('should refuse a bad statusPage or public value, naming each', () => {
    const result = validateConfig({
      statusPage: { title: ' ', theme: 'dark' },
      services: [{ name: 'shop', check, public: 'yes' }],
    })
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(formatConfigIssues(result.issues)).toEqual([
      expect.stringMatching(/^statusPage\.title: expected a title/),
      expect.stringMatching(/^statusPage\.theme: unknown key/),
      expect.stringMatching(/^services\.shop\.public: .*expected boolean/),
    ])
  })
})
