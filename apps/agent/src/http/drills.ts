import { errorMessage, type Logger } from '@noa/core'
import { DRILL_LIMITS, type DrillCursor, isStoreError } from '@noa/store'
import type { Context, Hono, MiddlewareHandler } from 'hono'
import { z } from 'zod'
import { DRILL_FAULTS, type DrillFault } from '../drill/types.ts'
import type { AgentApi } from './agent-api.ts'
import type { DrillBody, DrillsBody } from './api-types.ts'
import { actorOf } from './auth.ts'
import { decodeCursor, encodeCursor } from './cursor.ts'
import { limitParam, unknownOrRepeated } from './query-params.ts'

/**
 * Largest body of `POST /api/drills` (or `api.bodyLimit` when larger): a run of 1,000 results
 * (`DRILL_LIMITS.results`) with a few actions each is about 400 KiB; 64 KiB held about 300.
 */
export const DRILL_BODY_BYTES = 2 * 1024 * 1024

/** How many runs one page of `GET /api/drills` holds when not asked, and at most. */
export const DRILLS_PAGE_DEFAULT = 50
export const DRILLS_PAGE_MAX = 200

const ms = z.number().min(0).max(8.64e15)
const elapsed = ms.nullable()
const count = z.number().int().min(0)
const drillResult = z.strictObject({
  fault: z.enum(DRILL_FAULTS as [DrillFault, ...DrillFault[]]),
  service: z.string().min(1).max(DRILL_LIMITS.service),
  outcome: z.enum(['healed', 'escalated', 'failed']),
  detectMs: elapsed,
  alertMs: elapsed,
  repairMs: elapsed,
  actions: z.array(z.string().min(1).max(DRILL_LIMITS.action)).max(DRILL_LIMITS.actions),
  doubleActions: count,
  falseAlerts: count,
  round: count,
  detail: z.string().max(DRILL_LIMITS.detail).optional(),
})
/** The body of `POST /api/drills`: the run without its id, which the agent gives it. */
const drillBody = z
  .strictObject({
    startedAt: ms,
    finishedAt: ms,
    results: z.array(drillResult).max(DRILL_LIMITS.results),
  })
  .refine((run) => run.finishedAt >= run.startedAt, {
    path: ['finishedAt'],
    message: 'must not be before startedAt',
  })

/** The opaque `nextCursor` of a page: the place in the list of the last run it shows. */
function encodeDrillCursor(cursor: DrillCursor): string {
  return encodeCursor('d', `${cursor.startedAt}:${cursor.id}`)
}

/** The run a cursor names the place of, or undefined when it is not one this API made. */
function decodeDrillCursor(cursor: string): DrillCursor | undefined {
  const m = /^(\d{1,16}):(.{1,128})$/s.exec(decodeCursor('d', cursor) ?? '')
  return m ? { startedAt: Number(m[1]), id: m[2]! } : undefined
}

const KNOWN = ['limit', 'cursor'] as const

/** `?limit=&cursor=` of `GET /api/drills`, or the first problem in words. */
function drillsPage(params: Record<string, string[]>): { limit: number; before?: DrillCursor } | string {
  const problem = unknownOrRepeated(params, KNOWN)
  if (problem) return problem
  const limit = limitParam(params.limit?.[0], DRILLS_PAGE_DEFAULT, DRILLS_PAGE_MAX)
  if (typeof limit === 'string') return limit
  const cursor = params.cursor?.[0]
  if (cursor === undefined || cursor === '') return { limit }
  const before = decodeDrillCursor(cursor)
  if (!before) return 'cursor: not a cursor of this API; pass back the `nextCursor` of a page'
  return { limit, before }
}

/** What the drill routes need from `createApp`: the agent, the write guard and its body helpers. */
export interface DrillRoutesDeps<E extends object> {
  agent: AgentApi
  /** Rate limit, bearer token (an admin's) and body cap of every write. */
  guard: readonly MiddlewareHandler<E>[]
  readJson(c: Context): Promise<{ ok: true; value: unknown } | { ok: false; res: Response }>
  issuesOf(error: z.ZodError): string
  /** Where a recorded run, and a run the store could not keep, are logged. */
  logger: Logger
}

/**
 * The drill records (API.md): `POST /api/drills` keeps a run of `noa drill` (a write: token
 * required) and sends it as a `drill` event; `GET /api/drills` pages them newest first;
 * `GET /api/drills/:id` gives one.
 */
export function registerDrillRoutes<E extends object>(app: Hono<E>, deps: DrillRoutesDeps<E>): void {
  const { agent, guard, readJson, issuesOf, logger } = deps
  app.get('/api/drills', async (c) => {
    const page = drillsPage(c.req.queries())
    if (typeof page === 'string') return c.json({ error: page }, 400)
    const { drills, next } = await agent.drills(page)
    const body: DrillsBody = { drills, ...(next ? { nextCursor: encodeDrillCursor(next) } : {}) }
    return c.json(body)
  })
  app.get('/api/drills/:id', async (c) => {
    const id = c.req.param('id')
    const drill = id.length <= DRILL_LIMITS.id ? await agent.drill(id) : undefined
    if (!drill) return c.json({ error: `unknown drill ${JSON.stringify(id.slice(0, DRILL_LIMITS.id))}` }, 404)
    return c.json({ drill } satisfies DrillBody)
  })
  app.post('/api/drills', ...(guard as [MiddlewareHandler<E>]), async (c) => {
    const body = await readJson(c)
    if (!body.ok) return body.res
    const parsed = drillBody.safeParse(body.value)
    if (!parsed.success) return c.json({ error: issuesOf(parsed.error) }, 400)
    try {
      const drill = await agent.saveDrill({ ...parsed.data, recordedBy: actorOf(c) })
      const outcomes = { healed: 0, escalated: 0, failed: 0 }
      for (const r of drill.results) outcomes[r.outcome]++
      logger.info('drill recorded', {
        id: drill.id,
        by: drill.recordedBy,
        results: drill.results.length,
        ...outcomes,
      })
      return c.json({ drill } satisfies DrillBody, 201)
    } catch (error) {
      if (!isStoreError(error)) throw error
      logger.error('a drill run could not be stored', { error: errorMessage(error) })
      return c.json({ error: 'the drill cannot be stored now; try again when the store is back' }, 503)
    }
  })
}
