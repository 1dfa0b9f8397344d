import { createHash, timingSafeEqual } from 'node:crypto'
import type { Context, MiddlewareHandler } from 'hono'
import { type ApiToken, LEGACY_TOKEN_NAME, ROLES, type Role } from '../config/api-tokens.ts'
import { PUBLIC_PATHS } from './status-page-routes.ts'

export { type ApiToken, LEGACY_TOKEN_NAME, ROLES, type Role } from '../config/api-tokens.ts'

const digest = (value: string) => createHash('sha256').update(value).digest()

/** The name a write is recorded under when its token carries none (NOA_API_TOKEN). */
export const DEFAULT_ACTOR = LEGACY_TOKEN_NAME

/** Who made this request, as its token names them; writes record it. */
export function actorOf(c: Context): string {
  return (c.get('actor' as never) as string | undefined) ?? DEFAULT_ACTOR
}

/** The role of this request's token, or undefined when it came without one. */
export function roleOf(c: Context): Role | undefined {
  return c.get('role' as never) as Role | undefined
}

/** Whether `role` may do what `needed` allows (viewer < operator < admin). */
export const allows = (role: Role | undefined, needed: Role): boolean =>
  role !== undefined && ROLES.indexOf(role) >= ROLES.indexOf(needed)

/** What each role may write, as `GET /api/whoami` answers it. */
export const ABILITIES = {
  heal: 'operator',
  silence: 'operator',
  approve: 'operator',
  maintenance: 'operator',
  acknowledge: 'operator',
  reload: 'admin',
  drill: 'admin',
} as const satisfies Record<string, Role>
export type Ability = keyof typeof ABILITIES

/** `{ heal: true, silence: false, ... }` for a role (all false without one). */
export function abilitiesOf(role: Role | undefined): Record<Ability, boolean> {
  return Object.fromEntries(
    Object.entries(ABILITIES).map(([ability, needed]) => [ability, allows(role, needed)]),
  ) as Record<Ability, boolean>
}

/** A token's holder: their name and role. */
export interface Principal {
  name: string
  role: Role
}

/** The configured tokens, kept as digests only. */
export interface TokenBook {
  /** How many tokens there are; with none every write is closed. */
  readonly size: number
  /** The holder of `presented`, comparing with every token in constant time. */
  identify(presented: string): Principal | undefined
}

/**
 * The tokens as SHA-256 digests. `identify` compares the presented token's digest with every
 * one (no early exit, fixed length), so the time taken says neither which token nor how much of it matched.
 */
export function createTokenBook(tokens: readonly ApiToken[]): TokenBook {
  const entries = tokens.map((t) => ({ name: t.name, role: t.role, digest: digest(t.token) }))
  return {
    size: entries.length,
    identify(presented) {
      const d = digest(presented)
      let found: Principal | undefined
      for (const e of entries)
        if (timingSafeEqual(d, e.digest) && !found) found = { name: e.name, role: e.role }
      return found
    },
  }
}

/** The bearer token of a request's `Authorization` header, if it has one. */
function bearerOf(c: Context): string | undefined {
  const match = /^Bearer\s+(.+)$/i.exec(c.req.header('authorization') ?? '')
  return match ? match[1]!.trim() : undefined
}

function unauthorized(c: Context) {
  c.header('www-authenticate', 'Bearer realm="noa"')
  return c.json({ error: 'a valid bearer token is required' }, 401)
}

const noTokens = (c: Context, what: string) =>
  c.json(
    {
      error: `${what} disabled: no API token is configured (set NOA_API_TOKEN or NOA_API_TOKENS)`,
    },
    403,
  )

/** Records who the request is from for the routes behind (`actorOf`, `roleOf`). */
function remember(c: Context, who: Principal): void {
  c.set('actor' as never, who.name as never)
  c.set('role' as never, who.role as never)
}

/**
 * Guards an endpoint with `Authorization: Bearer <token>` of at least `role`: 401 without a
 * token or with a wrong one, 403 naming the role needed when the token's is lower, 403 when no
 * token is configured at all (closed, never open). Sets the actor (`actorOf(c)`) to the token's name.
 *
 * @example
 * ```ts
 * app.post('/api/heal/:service', requireRole(book, 'operator'), heal)
 * ```
 */
export function requireRole(book: TokenBook, role: Role): MiddlewareHandler {
  return async function requireRoleMiddleware(c, next) {
    if (book.size === 0) return noTokens(c, 'write endpoints are')
    const presented = bearerOf(c)
    const who = presented === undefined ? undefined : book.identify(presented)
    if (!who) return unauthorized(c)
    if (!allows(who.role, role))
      return c.json(
        {
          error: `this needs the ${role} role or above; the token of ${JSON.stringify(who.name)} has the ${who.role} role`,
          required: role,
          role: who.role,
        },
        403,
      )
    remember(c, who)
    await next()
  }
}

/**
 * Reads that need no token wherever the agent listens: the health probe (answered in part to a
 * caller without one), push beats (their token is in the path), the public status page. Another
 * route that must stay public is added here, and only here.
 */
export const PUBLIC_READS: readonly string[] = ['/api/health', ...PUBLIC_PATHS]
/** Prefixes of {@link PUBLIC_READS}. */
export const PUBLIC_READ_PREFIXES: readonly string[] = ['/api/push/']

export const isPublicRead = (path: string): boolean =>
  PUBLIC_READS.includes(path) || PUBLIC_READ_PREFIXES.some((p) => path.startsWith(p))

/** `127.0.0.0/8`, `::1` and `localhost`: a bind address only this machine reaches. */
export function isLoopback(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)
}

/** Options of {@link requireReader}. */
export interface ReaderOptions {
  /** Reads need a viewer token (the agent listens beyond this machine). */
  closed: boolean
  /** The one path that may carry the token as `?token=` (EventSource cannot set a header). */
  queryTokenPath?: string
}

/**
 * Guards the reads (GET and HEAD of `/api/*` and `/metrics`, except {@link isPublicRead}): when
 * `closed`, a viewer token or above is needed (401 without one); on loopback reads stay open.
 * Either way a token that is presented must be valid (401 otherwise, so a mistyped token is
 * noticed), and its holder is remembered for `GET /api/whoami`. Writes are left to {@link requireRole}.
 */
export function requireReader(book: TokenBook, options: ReaderOptions): MiddlewareHandler {
  return async function requireReaderMiddleware(c, next) {
    const method = c.req.method
    const path = c.req.path
    if (method !== 'GET' && method !== 'HEAD') return next()
    if (path !== '/metrics' && !path.startsWith('/api/')) return next()
    if (isPublicRead(path)) {
      // Open to all; a valid token still says who asks (the health probe answers them in full).
      const presented = bearerOf(c)
      const who = presented === undefined ? undefined : book.identify(presented)
      if (who) remember(c, who)
      return next()
    }
    let presented = bearerOf(c)
    // Never logged: the access log does not exist, and errors log the path without its query.
    if (presented === undefined && path === options.queryTokenPath) presented = c.req.query('token')
    if (presented === undefined || presented === '') {
      if (!options.closed) return next()
      if (book.size === 0) return noTokens(c, 'reads from beyond this machine are')
      return unauthorized(c)
    }
    const who = book.identify(presented)
    if (!who) return unauthorized(c)
    remember(c, who)
    await next()
  }
}

/** `GET /api/whoami`: who the token is and what it may do; `anonymous` without one. */
export function whoami(c: Context): {
  name: string | null
  role: Role | 'anonymous'
  can: Record<Ability, boolean>
} {
  const role = roleOf(c)
  return {
    name: role ? actorOf(c) : null,
    role: role ?? 'anonymous',
    can: abilitiesOf(role),
  }
}

/** A write guard of the given role (rate limit, token, body cap), as `createApp` builds it for routes. */
export type GuardFor = (role: Role, maxBody?: number) => readonly MiddlewareHandler[]
