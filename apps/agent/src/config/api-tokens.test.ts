import { describe, expect, it } from 'vitest'
import { parseApiTokens } from './api-tokens.ts'
import { validateConfig } from './load.ts'

const A = 'a'.repeat(32)
const B = 'b'.repeat(32)
const C = 'c'.repeat(32)

describe('parseApiTokens', () => {
  it('should read name:role:token entries and NOA_API_TOKEN as the admin named admin', () => {
    expect(
      parseApiTokens({
        NOA_API_TOKEN: 'legacy',
        NOA_API_TOKENS: ` grafana:viewer:${A}, oncall:operator:${B} ,ci.bot@x:admin:${C}:tail`,
      }),
    ).toEqual({
      tokens: [
        { name: 'admin', role: 'admin', token: 'legacy' },
        { name: 'grafana', role: 'viewer', token: A },
        { name: 'oncall', role: 'operator', token: B },
        // the token is everything after the second colon
        { name: 'ci.bot@x', role: 'admin', token: `${C}:tail` },
      ],
      issues: [],
    })
    expect(parseApiTokens({})).toEqual({ tokens: [], issues: [] })
    expect(parseApiTokens({ NOA_API_TOKENS: '  ' })).toEqual({ tokens: [], issues: [] })
  })

  it('should list every malformed entry, unknown role, short token and duplicate, never quoting a token', () => {
    const secret = 'SECRET-0123456789abcdef'
    const { tokens, issues } = parseApiTokens({
      NOA_API_TOKEN: A,
      NOA_API_TOKENS: [
        `grafana:viewer:${B}`,
        `broken-${secret}`,
        `ops:root:${secret}`,
        'short:viewer:abc',
        `grafana:operator:${C}`,
        `other:viewer:${B}`,
        `me:admin:${A}`,
        '',
        `:viewer:${secret}`,
      ].join(','),
    })
    expect(tokens.map((t) => t.name)).toEqual(['admin', 'grafana'])
    expect(issues).toEqual([
      { path: 'NOA_API_TOKENS', message: 'entry 2: expected name:role:token; found fewer than three fields' },
      {
        path: 'NOA_API_TOKENS',
        message: 'entry 3 (ops): unknown role "root"; allowed: viewer, operator, admin',
      },
      {
        path: 'NOA_API_TOKENS',
        message:
          'entry 4 (short): the token must be at least 16 characters without spaces (e.g. `openssl rand -hex 32`)',
      },
      {
        path: 'NOA_API_TOKENS',
        message:
          'entry 5 (grafana): the name is already used by entry 1 (grafana); each holder needs a name of their own',
      },
      {
        path: 'NOA_API_TOKENS',
        message:
          'entry 6 (other): the same token as entry 1 (grafana); each token must be unique, or a write could not say who made it',
      },
      {
        path: 'NOA_API_TOKENS',
        message:
          'entry 7 (me): the same token as NOA_API_TOKEN (admin); each token must be unique, or a write could not say who made it',
      },
      {
        path: 'NOA_API_TOKENS',
        message: 'entry 8: is empty; expected name:role:token (remove the extra comma)',
      },
      {
        path: 'NOA_API_TOKENS',
        message:
          'entry 9: the name must be 1 to 64 letters, digits, ".", "_", "@" or "-", starting with a letter or digit',
      },
    ])
    const text = JSON.stringify(issues)
    for (const token of [secret, A, B, C]) expect(text).not.toContain(token)
  })

  it('should refuse a name NOA_API_TOKEN already holds', () => {
    expect(parseApiTokens({ NOA_API_TOKEN: 'x', NOA_API_TOKENS: `admin:viewer:${A}` }).issues).toEqual([
      {
        path: 'NOA_API_TOKENS',
        message:
          'entry 1 (admin): the name is already used by NOA_API_TOKEN (admin); each holder needs a name of their own',
      },
    ])
  })

  it("should make a bad list a problem of the configuration, with the file's others", () => {
    const result = validateConfig({ metrics: { collectInterval: 'fast' } }, { NOA_API_TOKENS: `x:boss:${A}` })
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.issues.map((i) => i.path).sort()).toEqual(['NOA_API_TOKENS', 'metrics.collectInterval'])
  })
})
