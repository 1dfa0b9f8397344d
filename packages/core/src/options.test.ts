import { describe, expect, it } from 'vitest'
import { ConfigError } from './errors.ts'
import { type OptionsSchema, parseOptions } from './options.ts'

/** A schema of `{ url: string; retries?: number }` written by hand, in zod's safeParse shape. */
const schema: OptionsSchema<{ url: string; retries: number }> = {
  safeParse(value, params) {
    const v = value as Record<string, unknown>
    const issues: Array<{
      path: string[]
      message: string
      input?: unknown
      code?: string
      keys?: string[]
    }> = []
    if (typeof v.url !== 'string') issues.push({ path: ['url'], message: 'expected a string', input: v.url })
    if (v.retries !== undefined && typeof v.retries !== 'number')
      issues.push({ path: ['retries'], message: 'expected a number', input: v.retries })
    const unknown = Object.keys(v).filter((k) => k !== 'url' && k !== 'retries')
    if (unknown.length > 0) {
      const issue = { path: [], message: 'unrecognized keys', code: 'unrecognized_keys', keys: unknown }
      params?.error?.({ ...issue, inst: { shape: { url: 1, retries: 1 } } })
      issues.push({ ...issue, ...{ knownKeys: ['url', 'retries'] } })
    }
    if (params?.reportInput !== true) for (const issue of issues) delete issue.input
    return issues.length > 0
      ? { success: false, error: { issues } }
      : { success: true, data: { url: v.url as string, retries: (v.retries as number | undefined) ?? 3 } }
  },
}

describe('parseOptions', () => {
  it('should return the options with defaults applied', () => {
    expect(parseOptions(schema, { url: 'http://x' }, 'channels.ops')).toEqual({ url: 'http://x', retries: 3 })
  })

  it('should throw one ConfigError with every problem, the value found and the key a typo is of', () => {
    const error = (() => {
      try {
        parseOptions(schema, { url: 5, retries: 'x', retires: 2 }, 'channels.ops')
      } catch (e) {
        return e
      }
    })()
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).issues).toEqual([
      { path: 'channels.ops.url', message: 'expected a string; found 5' },
      { path: 'channels.ops.retries', message: 'expected a number; found "x"' },
      { path: 'channels.ops.retires', message: expect.stringContaining('did you mean retries?') },
    ])
  })

  it('should never show the value of a secret key', () => {
    const secret = 'https://hooks.example.com/T0/B0/token'
    expect(() =>
      parseOptions(schema, { url: 5, retries: secret }, 'ops', { secretKeys: new Set(['retries']) }),
    ).toThrow(/ops\.retries: expected a number; found "\[redacted\]"/)
    try {
      parseOptions(schema, { url: 5, retries: secret }, 'ops', { secretKeys: new Set(['retries']) })
    } catch (error) {
      expect(String((error as Error).message)).not.toContain('token')
    }
  })
})
