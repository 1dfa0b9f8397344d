import type { ConfigIssue } from '@noa/core'

/** What a token may do, each role everything the one before may: viewer < operator < admin. */
export const ROLES = ['viewer', 'operator', 'admin'] as const
export type Role = (typeof ROLES)[number]

/** One API token: who holds it (recorded with every write they make) and what it may do. */
export interface ApiToken {
  name: string
  role: Role
  token: string
}

/** The name of `NOA_API_TOKEN`'s holder, an admin. */
export const LEGACY_TOKEN_NAME = 'admin'

/** Shortest token of `NOA_API_TOKENS`: 16 characters of `openssl rand -hex 16` is 64 bits. */
export const MIN_TOKEN_LENGTH = 16

const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/

/**
 * The API tokens of the environment: `NOA_API_TOKEN` (an admin named `admin`, as before roles)
 * and `NOA_API_TOKENS`, a comma-separated list of `name:role:token` (the token is everything
 * after the second colon). Strict: a malformed entry, an unknown role, a short token, a name or
 * a token used twice is a problem of the configuration, listed with the file's others. No
 * problem ever quotes a token or an entry (which holds one): entries are named by position and name.
 *
 * @example
 * ```ts
 * parseApiTokens({ NOA_API_TOKENS: 'grafana:viewer:0f3c…,oncall:operator:9a1b…' }).tokens
 * // [{ name: 'grafana', role: 'viewer', token: '0f3c…' }, { name: 'oncall', role: 'operator', token: '9a1b…' }]
 * ```
 */
export function parseApiTokens(env: Readonly<Record<string, string | undefined>>): {
  tokens: ApiToken[]
  issues: ConfigIssue[]
} {
  const tokens: ApiToken[] = []
  const issues: ConfigIssue[] = []
  const where = new Map<ApiToken, string>()
  const legacy = env.NOA_API_TOKEN
  if (legacy) {
    const t: ApiToken = { name: LEGACY_TOKEN_NAME, role: 'admin', token: legacy }
    tokens.push(t)
    where.set(t, `NOA_API_TOKEN (${LEGACY_TOKEN_NAME})`)
  }
  const list = env.NOA_API_TOKENS
  if (list !== undefined && list.trim() !== '') {
    list.split(',').forEach((raw, i) => {
      const at = `entry ${i + 1}`
      const fail = (message: string) => issues.push({ path: 'NOA_API_TOKENS', message: `${at}: ${message}` })
      const entry = raw.trim()
      if (entry === '') return fail('is empty; expected name:role:token (remove the extra comma)')
      const first = entry.indexOf(':')
      const second = first === -1 ? -1 : entry.indexOf(':', first + 1)
      if (second === -1) return fail('expected name:role:token; found fewer than three fields')
      const name = entry.slice(0, first)
      const role = entry.slice(first + 1, second)
      const token = entry.slice(second + 1)
      if (!NAME.test(name))
        return fail(
          'the name must be 1 to 64 letters, digits, ".", "_", "@" or "-", starting with a letter or digit',
        )
      const label = `${at} (${name})`
      if (!(ROLES as readonly string[]).includes(role))
        return issues.push({
          path: 'NOA_API_TOKENS',
          message: `${label}: unknown role ${JSON.stringify(role.slice(0, 32))}; allowed: ${ROLES.join(', ')}`,
        })
      if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token))
        return issues.push({
          path: 'NOA_API_TOKENS',
          message: `${label}: the token must be at least ${MIN_TOKEN_LENGTH} characters without spaces (e.g. \`openssl rand -hex 32\`)`,
        })
      const t: ApiToken = { name, role: role as Role, token }
      const sameName = tokens.find((o) => o.name === name)
      const sameToken = tokens.find((o) => o.token === token)
      if (sameName)
        return issues.push({
          path: 'NOA_API_TOKENS',
          message: `${label}: the name is already used by ${where.get(sameName)}; each holder needs a name of their own`,
        })
      if (sameToken)
        return issues.push({
          path: 'NOA_API_TOKENS',
          message: `${label}: the same token as ${where.get(sameToken)}; each token must be unique, or a write could not say who made it`,
        })
      tokens.push(t)
      where.set(t, label)
    })
  }
  return { tokens, issues }
}
