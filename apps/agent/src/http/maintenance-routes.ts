import { MAINTENANCE_WINDOW_LIMITS } from '@noa/store'
import type { Context, Hono, MiddlewareHandler } from 'hono'
import { z } from 'zod'
import { MaintenanceRefusal, type MaintenanceState } from '../maintenance/windows.ts'
import type { AgentApi } from './agent-api.ts'
import type { MaintenanceBody, MaintenanceListBody } from './api-types.ts'
import { actorOf } from './auth.ts'
import { limitParam, unknownOrRepeated } from './query-params.ts'

/** Windows one `GET /api/maintenance` lists when not asked, and at most. */
export const MAINTENANCE_PAGE_DEFAULT = 100
export const MAINTENANCE_PAGE_MAX = 500

const STATES: readonly MaintenanceState[] = ['active', 'upcoming', 'ended']
const ms = z.number().int().min(0).max(8.64e15)
const name = z.string().min(1).max(MAINTENANCE_WINDOW_LIMITS.name)

/** The body of `POST /api/maintenance`: times in epoch ms; `startsAt` defaults to now. */
const openBody = z.strictObject({
  services: z.array(name).max(MAINTENANCE_WINDOW_LIMITS.names),
  tags: z.array(name).max(MAINTENANCE_WINDOW_LIMITS.names).optional(),
  startsAt: ms.optional(),
  endsAt: ms,
  reason: z.string().trim().min(1, 'say why').max(MAINTENANCE_WINDOW_LIMITS.reason),
})

/** What the maintenance routes need from `createApp`: the agent, the write guard and its body helpers. */
export interface MaintenanceRoutesDeps<E extends object> {
  agent: AgentApi
  /** Rate limit, bearer token and body cap of every write. */
  guard: readonly MiddlewareHandler<E>[]
  readJson(c: Context): Promise<{ ok: true; value: unknown } | { ok: false; res: Response }>
  issuesOf(error: z.ZodError): string
}

/** `?state=&limit=` of `GET /api/maintenance`, or the first problem in words. */
function listQuery(params: Record<string, string[]>): { states: MaintenanceState[]; limit: number } | string {
  const problem = unknownOrRepeated(params, ['state', 'limit'], ['limit'])
  if (problem) return problem
  const states = (params.state ?? []).flatMap((s) => s.split(','))
  for (const s of states)
    if (!(STATES as readonly string[]).includes(s))
      return `state: expected ${STATES.join(', ')}; found ${JSON.stringify(s.slice(0, 64))}`
  const limit = limitParam(params.limit?.[0], MAINTENANCE_PAGE_DEFAULT, MAINTENANCE_PAGE_MAX)
  if (typeof limit === 'string') return limit
  return {
    states: states.length > 0 ? ([...new Set(states)] as MaintenanceState[]) : ['active', 'upcoming'],
    limit,
  }
}

/**
 * Maintenance windows (API.md): `GET /api/maintenance` lists them, `POST /api/maintenance` opens
 * or plans one and `DELETE /api/maintenance/:id` ends one early (writes: token required, the
 * token's holder recorded as who did it).
 */
export function registerMaintenanceRoutes<E extends object>(
  app: Hono<E>,
  deps: MaintenanceRoutesDeps<E>,
): void {
  const { agent, guard, readJson, issuesOf } = deps
  const refused = (c: Context, error: unknown) => {
    if (!(error instanceof MaintenanceRefusal)) throw error
    return c.json({ error: error.message }, error.status)
  }
  app.get('/api/maintenance', async (c) => {
    const q = listQuery(c.req.queries())
    if (typeof q === 'string') return c.json({ error: q }, 400)
    const body: MaintenanceListBody = { maintenance: await agent.maintenanceWindows(q.states, q.limit) }
    return c.json(body)
  })
  app.post('/api/maintenance', ...(guard as [MiddlewareHandler<E>]), async (c) => {
    const body = await readJson(c)
    if (!body.ok) return body.res
    const parsed = openBody.safeParse(body.value)
    if (!parsed.success) return c.json({ error: issuesOf(parsed.error) }, 400)
    const { tags, startsAt, ...rest } = parsed.data
    try {
      const maintenance = await agent.openMaintenance(
        { ...rest, ...(tags ? { tags } : {}), ...(startsAt !== undefined ? { startsAt } : {}) },
        actorOf(c),
      )
      return c.json({ maintenance } satisfies MaintenanceBody, 201)
    } catch (error) {
      return refused(c, error)
    }
  })
  app.delete('/api/maintenance/:id', ...(guard as [MiddlewareHandler<E>]), async (c) => {
    try {
      const maintenance = await agent.endMaintenance(c.req.param('id'), actorOf(c))
      return c.json({ maintenance } satisfies MaintenanceBody)
    } catch (error) {
      return refused(c, error)
    }
  })
}
