import type { HealthState } from '@noa/core'
import { decodeServiceCursor, type FleetFilter, HEALTH_STATES } from './fleet-index.ts'

/** Most services one page of `GET /api/services` holds, and how many it holds unless asked. */
export const FLEET_PAGE_MAX = 1000
export const FLEET_PAGE_DEFAULT = 100

const KNOWN = ['state', 'critical', 'tag', 'group', 'q', 'cursor', 'limit'] as const
// The same words the configuration allows for tags and groups (config/schema.ts).
const LABEL = /^[A-Za-z0-9._:/-]{1,64}$/
const MAX_TAGS = 32

/** `GET /api/services`' query as the index takes it, or the first problem in words. */
export type FleetQuery =
  | { ok: true; filter: FleetFilter; page: { limit: number; after?: string } }
  | { ok: false; error: string }

/** Values of a repeatable parameter, each possibly a comma list (`?tag=a&tag=b,c`). */
const listOf = (values: readonly string[] | undefined) =>
  (values ?? []).flatMap((v) => v.split(',')).filter((v) => v !== '')

/**
 * Reads `?state=&critical=&tag=&group=&q=&cursor=&limit=` (every parameter of `c.req.queries()`).
 * A parameter the route does not know, a value out of its range or a cursor this API did not
 * make is a problem, so that a typo never silently answers the whole fleet.
 */
export function parseFleetQuery(params: Record<string, string[]>): FleetQuery {
  const fail = (error: string): FleetQuery => ({ ok: false, error })
  for (const key of Object.keys(params))
    if (!(KNOWN as readonly string[]).includes(key))
      return fail(`${JSON.stringify(key.slice(0, 64))}: unknown parameter; allowed: ${KNOWN.join(', ')}`)
  const single = (key: (typeof KNOWN)[number]): string | undefined | FleetQuery => {
    const values = params[key]
    if (values === undefined) return undefined
    if (values.length > 1) return fail(`${key}: expected one value; found ${values.length}`)
    return values[0]
  }
  const filter: FleetFilter = {}

  const states = listOf(params.state)
  for (const state of states)
    if (!(HEALTH_STATES as readonly string[]).includes(state))
      return fail(`state: expected ${HEALTH_STATES.join(', ')}; found ${JSON.stringify(state.slice(0, 64))}`)
  if (states.length > 0) filter.states = new Set(states as HealthState[])

  const critical = single('critical')
  if (typeof critical === 'object') return critical
  if (critical !== undefined) {
    if (critical !== 'true' && critical !== 'false')
      return fail(`critical: expected true or false; found ${JSON.stringify(critical.slice(0, 64))}`)
    filter.critical = critical === 'true'
  }

  const tags = listOf(params.tag)
  if (tags.length > MAX_TAGS) return fail(`tag: at most ${MAX_TAGS} tags; found ${tags.length}`)
  for (const tag of tags)
    if (!LABEL.test(tag))
      return fail(`tag: expected a tag of the configuration; found ${JSON.stringify(tag.slice(0, 64))}`)
  if (tags.length > 0) filter.tags = [...new Set(tags)]

  const group = single('group')
  if (typeof group === 'object') return group
  if (group !== undefined) {
    if (!LABEL.test(group))
      return fail(`group: expected a group of the configuration; found ${JSON.stringify(group.slice(0, 64))}`)
    filter.group = group
  }

  const q = single('q')
  if (typeof q === 'object') return q
  if (q !== undefined && q !== '') {
    // A service name is at most 64 characters: a longer part of one matches nothing.
    if (q.length > 64) return fail(`q: expected at most 64 characters; found ${q.length}`)
    filter.q = q
  }

  const limitText = single('limit')
  if (typeof limitText === 'object') return limitText
  let limit = FLEET_PAGE_DEFAULT
  if (limitText !== undefined) {
    const n = Number(limitText)
    if (!/^\d+$/.test(limitText) || n < 1 || n > FLEET_PAGE_MAX)
      return fail(
        `limit: expected a whole number from 1 to ${FLEET_PAGE_MAX}; found ${JSON.stringify(limitText.slice(0, 64))}`,
      )
    limit = n
  }

  const cursor = single('cursor')
  if (typeof cursor === 'object') return cursor
  if (cursor === undefined || cursor === '') return { ok: true, filter, page: { limit } }
  const after = decodeServiceCursor(cursor)
  if (after === undefined) return fail('cursor: not a cursor of this API; pass back the `next` of a page')
  return { ok: true, filter, page: { limit, after } }
}
