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
  if (list === undefined || list.trim() === '') return { tokens, issues }
  for (const [i, raw] of list.split(',').entries()) {
    const entry = readEntry(raw, `entry ${i + 1}`, tokens, where)
    if (typeof entry === 'string') issues.push({ path: 'NOA_API_TOKENS', message: entry })
    else {
      tokens.push(entry.token)
      where.set(entry.token, entry.label)
    }
  }
  return { tokens, issues }
}

/** One `name:role:token` entry, or what is wrong with it (never quoting the entry). */
function readEntry(
  raw: string,
  at: string,
  tokens: readonly ApiToken[],
  where: ReadonlyMap<ApiToken, string>,
): { token: ApiToken; label: string } | string {
  const entry = raw.trim()
  if (entry === '') return `${at}: is empty; expected name:role:token (remove the extra comma)`
  const first = entry.indexOf(':')
  const second = first === -1 ? -1 : entry.indexOf(':', first + 1)
  if (second === -1) return `${at}: expected name:role:token; found fewer than three fields`
  const name = entry.slice(0, first)
  const role = entry.slice(first + 1, second)
  const token = entry.slice(second + 1)
  if (!NAME.test(name))
    return `${at}: the name must be 1 to 64 letters, digits, ".", "_", "@" or "-", starting with a letter or digit`
  const label = `${at} (${name})`
  if (!(ROLES as readonly string[]).includes(role))
    return `${label}: unknown role ${JSON.stringify(role.slice(0, 32))}; allowed: ${ROLES.join(', ')}`
  if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token))
    return `${label}: the token must be at least ${MIN_TOKEN_LENGTH} characters without spaces (e.g. \`openssl rand -hex 32\`)`
  const sameName = tokens.find((o) => o.name === name)
  if (sameName)
    return `${label}: the name is already used by ${where.get(sameName)}; each holder needs a name of their own`
  const sameToken = tokens.find((o) => o.token === token)
  if (sameToken)
    return `${label}: the same token as ${where.get(sameToken)}; each token must be unique, or a write could not say who made it`
  return { token: { name, role: role as Role, token }, label }
}
