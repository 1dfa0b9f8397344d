import { createHash, timingSafeEqual } from 'node:crypto'
import type { Context, MiddlewareHandler } from 'hono'

const digest = (value: string) => createHash('sha256').update(value).digest()

/** The name a write is recorded under when its token carries none (NOA_API_TOKEN). */
export const DEFAULT_ACTOR = 'admin'

/** Who made this request, as its token names them; writes record it. */
export function actorOf(c: Context): string {
  return (c.get('actor' as never) as string | undefined) ?? DEFAULT_ACTOR
}

/**
 * Guards write endpoints with `Authorization: Bearer <token>`. With no token configured
 * the endpoints are closed (403), never open. Tokens are compared in constant time.
 */
export function requireToken(token: string | undefined): MiddlewareHandler {
  const expected = token ? digest(token) : undefined
  return async function requireTokenMiddleware(c, next) {
    if (!expected) {
      return c.json(
        { error: 'write endpoints are disabled: no API token is configured (set NOA_API_TOKEN)' },
        403,
      )
    }
    const header = c.req.header('authorization') ?? ''
    const match = /^Bearer\s+(.+)$/i.exec(header)
    if (!match || !timingSafeEqual(digest(match[1]!.trim()), expected)) {
      c.header('www-authenticate', 'Bearer realm="noa"')
      return c.json({ error: 'a valid bearer token is required' }, 401)
    }
    c.set('actor' as never, DEFAULT_ACTOR as never)
    await next()
  }
}
