import { INCIDENT_LIMITS, type IncidentCursor, type IncidentState, isStoreError } from '@noa/store'
import type { Context, Hono, MiddlewareHandler } from 'hono'
import { z } from 'zod'
import type { IncidentRefusal } from '../incident/tracker.ts'
import type { AgentApi, IncidentPage } from './agent-api.ts'
import type { IncidentBody, IncidentsBody } from './api-types.ts'
import { actorOf } from './auth.ts'
import { decodeCursor, encodeCursor } from './cursor.ts'
import { limitParam, unknownOrRepeated } from './query-params.ts'

/** How many incidents one page of `GET /api/incidents` holds when not asked, and at most. */
export const INCIDENTS_PAGE_DEFAULT = 50
export const INCIDENTS_PAGE_MAX = 200

/** Longest note a person may add (an acknowledgement's or a timeline note). */
export const INCIDENT_NOTE_MAX = 1000

const STATES = ['open', 'acknowledged', 'resolved'] as const
const KNOWN = ['limit', 'cursor', 'service', 'state'] as const

const ackBody = z.strictObject({ note: z.string().max(INCIDENT_NOTE_MAX).optional() })
const noteBody = z.strictObject({
  text: z.string().trim().min(1, 'a note needs some text').max(INCIDENT_NOTE_MAX),
})

/** The opaque `nextCursor` of a page: the place in the list of the last incident it shows. */
function encodeIncidentCursor(cursor: IncidentCursor): string {
  return encodeCursor('i', `${cursor.openedAt}:${cursor.id}`)
}

function decodeIncidentCursor(cursor: string): IncidentCursor | undefined {
  const m = /^(\d{1,16}):(.{1,128})$/s.exec(decodeCursor('i', cursor) ?? '')
  return m ? { openedAt: Number(m[1]), id: m[2]! } : undefined
}

/** `?limit=&cursor=&service=&state=` of `GET /api/incidents`, or the first problem in words. */
function incidentsPage(params: Record<string, string[]>): IncidentPage | string {
  const problem = unknownOrRepeated(params, KNOWN)
  if (problem) return problem
  const limit = limitParam(params.limit?.[0], INCIDENTS_PAGE_DEFAULT, INCIDENTS_PAGE_MAX)
  if (typeof limit === 'string') return limit
  const page: IncidentPage = { limit }
  const state = params.state?.[0]
  if (state !== undefined) {
    if (!(STATES as readonly string[]).includes(state))
      return `state: expected one of ${STATES.join(', ')}; found ${JSON.stringify(state.slice(0, 64))}`
    page.state = state as IncidentState
  }
  const service = params.service?.[0]
  if (service !== undefined) {
    if (service === '' || service.length > INCIDENT_LIMITS.service)
      return `service: expected a service name of 1 to ${INCIDENT_LIMITS.service} characters`
    page.service = service
  }
  const cursor = params.cursor?.[0]
  if (cursor !== undefined && cursor !== '') {
    const before = decodeIncidentCursor(cursor)
    if (!before) return 'cursor: not a cursor of this API; pass back the `nextCursor` of a page'
    page.before = before
  }
  return page
}

/** What the incident routes need from `createApp`: the agent, the write guard and its body helpers. */
export interface IncidentRoutesDeps<E extends object> {
  agent: AgentApi
  /** Rate limit, bearer token and body cap of every write. */
  guard: readonly MiddlewareHandler<E>[]
  readJson(c: Context): Promise<{ ok: true; value: unknown } | { ok: false; res: Response }>
  issuesOf(error: z.ZodError): string
}

const REFUSED: Record<IncidentRefusal, [status: 404 | 409, message: (id: string) => string]> = {
  unknown: [404, (id) => `unknown incident ${JSON.stringify(id.slice(0, INCIDENT_LIMITS.id))}`],
  resolved: [409, (id) => `incident ${id} is resolved`],
  acknowledged: [409, (id) => `incident ${id} is already acknowledged`],
  full: [409, (id) => `incident ${id} holds as many notes as it may`],
}

/**
 * The incident view (API.md): `GET /api/incidents` pages incidents newest first (filtered by
 * service and state), `GET /api/incidents/:id` gives one with its timeline; writes (token
 * required, recorded under the token's holder): `POST /api/incidents/:id/ack` acknowledges one
 * (its alerts' reminders stop until it resolves), `POST /api/incidents/:id/notes` adds a note.
 */
export function registerIncidentRoutes<E extends object>(app: Hono<E>, deps: IncidentRoutesDeps<E>): void {
  const { agent, guard, readJson, issuesOf } = deps
  const answer = (c: Context, id: string, result: Awaited<ReturnType<AgentApi['acknowledgeIncident']>>) => {
    if (typeof result === 'string') {
      const [status, message] = REFUSED[result]
      return c.json({ error: message(id) }, status)
    }
    return c.json({ incident: result } satisfies IncidentBody)
  }
  const stored = async (c: Context, write: () => Promise<Response>) => {
    try {
      return await write()
    } catch (error) {
      if (!isStoreError(error)) throw error
      return c.json({ error: 'the incident cannot be read now; try again when the store is back' }, 503)
    }
  }

  app.get('/api/incidents', async (c) => {
    const page = incidentsPage(c.req.queries())
    if (typeof page === 'string') return c.json({ error: page }, 400)
    return stored(c, async () => {
      const { incidents, next } = await agent.incidents(page)
      const body: IncidentsBody = { incidents, ...(next ? { nextCursor: encodeIncidentCursor(next) } : {}) }
      return c.json(body)
    })
  })
  app.get('/api/incidents/:id', async (c) => {
    const id = c.req.param('id')
    return stored(c, async () => {
      const incident = id.length <= INCIDENT_LIMITS.id ? await agent.incident(id) : undefined
      if (!incident) return c.json({ error: REFUSED.unknown[1](id) }, 404)
      return c.json({ incident } satisfies IncidentBody)
    })
  })
  app.post('/api/incidents/:id/ack', ...(guard as [MiddlewareHandler<E>]), async (c) => {
    const id = c.req.param('id')
    const body = await readJson(c)
    if (!body.ok) return body.res
    const parsed = ackBody.safeParse(body.value)
    if (!parsed.success) return c.json({ error: issuesOf(parsed.error) }, 400)
    if (id.length > INCIDENT_LIMITS.id) return c.json({ error: REFUSED.unknown[1](id) }, 404)
    return stored(c, async () =>
      answer(c, id, await agent.acknowledgeIncident(id, actorOf(c), parsed.data.note)),
    )
  })
  app.post('/api/incidents/:id/notes', ...(guard as [MiddlewareHandler<E>]), async (c) => {
    const id = c.req.param('id')
    const body = await readJson(c)
    if (!body.ok) return body.res
    const parsed = noteBody.safeParse(body.value)
    if (!parsed.success) return c.json({ error: issuesOf(parsed.error) }, 400)
    if (id.length > INCIDENT_LIMITS.id) return c.json({ error: REFUSED.unknown[1](id) }, 404)
    return stored(c, async () => answer(c, id, await agent.noteIncident(id, actorOf(c), parsed.data.text)))
  })
}
