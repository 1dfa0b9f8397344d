import type { Hono } from 'hono'
import type { AgentApi } from './agent-api.ts'
import { limitParam, unknownOrRepeated } from './query-params.ts'

/** How many services one page of `GET /api/slos` holds when not asked, and at most. */
export const SLOS_PAGE_DEFAULT = 100
export const SLOS_PAGE_MAX = 1000

const KNOWN = ['limit', 'after', 'spent'] as const

/** `?limit=&after=&spent=` of `GET /api/slos`, or the first problem in words. */
function slosPage(
  params: Record<string, string[]>,
): { limit: number; after?: string; spent?: boolean } | string {
  const problem = unknownOrRepeated(params, KNOWN)
  if (problem) return problem
  const limit = limitParam(params.limit?.[0], SLOS_PAGE_DEFAULT, SLOS_PAGE_MAX)
  if (typeof limit === 'string') return limit
  const spentText = params.spent?.[0]
  if (spentText !== undefined && spentText !== 'true' && spentText !== 'false')
    return `spent: expected true or false; found ${JSON.stringify(spentText.slice(0, 64))}`
  const after = params.after?.[0]
  if (after !== undefined && after.length > 256)
    return 'after: expected a service name (at most 256 characters)'
  return { limit, ...(after ? { after } : {}), ...(spentText === 'true' ? { spent: true } : {}) }
}

/** What the SLO routes need from `createApp`. */
export interface SloRoutesDeps {
  agent: AgentApi
}

/**
 * `GET /api/slos` (API.md): every service with an SLO, its objectives, error budget left and
 * burn rates, as the agent last computed them (on its timer, never in the request); a page of
 * at most 1,000 services in name order, `?spent=true` for the spent budgets only.
 */
export function registerSloRoutes<E extends object>(app: Hono<E>, deps: SloRoutesDeps): void {
  const { agent } = deps
  app.get('/api/slos', (c) => {
    const page = slosPage(c.req.queries())
    if (typeof page === 'string') return c.json({ error: page }, 400)
    return c.json(agent.slos(page))
  })
}
