import { useCallback } from 'react'
import type { ApiResult } from './api.ts'
import type { Resource } from './resource.ts'
import { upsert, useResource } from './resource.ts'
import { useLive, useSseEvent } from './sse.ts'
import { useToken } from './token.ts'
import type { IncidentBody, IncidentState, IncidentsBody } from './types.ts'
import { useCan } from './whoami.ts'

/** Incidents asked for per page. */
export const INCIDENTS_PAGE = 50

const noToken = { ok: false, status: 0, error: 'Enter an API token first.', retryable: false } as const

/**
 * `/api/incidents`, newest first, optionally of one state or service; an `incident` event puts
 * the incident it is about first (or in its place), or out of the list when it no longer matches.
 *
 * @example
 * ```ts
 * const open = useIncidents({ state: 'open' })
 * ```
 */
export function useIncidents(filter: { state?: IncidentState; service?: string; limit?: number } = {}) {
  const query = new URLSearchParams({ limit: String(filter.limit ?? INCIDENTS_PAGE) })
  if (filter.state) query.set('state', filter.state)
  if (filter.service) query.set('service', filter.service)
  const list = useResource<IncidentsBody>(`/api/incidents?${query}`, {
    refreshMs: 30_000,
    pollWhenOffline: true,
  })
  useSseEvent('incident', ({ incident }) => {
    const matches =
      (!filter.state || incident.state === filter.state) &&
      (!filter.service || incident.service === filter.service)
    list.mutate((body) => {
      if (!body) return body
      const others = body.incidents.filter((i) => i.id !== incident.id)
      return { ...body, incidents: matches ? upsert(body.incidents, incident, (i) => i.id) : others }
    })
  })
  return list
}

/** One incident with its timeline, fetched again when an `incident` event is about it. */
export function useIncident(id: string): Resource<IncidentBody> {
  const incident = useResource<IncidentBody>(`/api/incidents/${encodeURIComponent(id)}`, {
    refreshMs: 30_000,
    pollWhenOffline: true,
  })
  // The timeline is bounded and elided by the agent: fetched again rather than patched here.
  useSseEvent('incident', (e) => {
    if (e.incident.id === id) incident.reload()
  })
  return incident
}

/** Acknowledge an incident and add notes, sent with the session's token. */
export interface IncidentActions {
  /** Whether the token may acknowledge and add notes (an operator's or above, as the agent says). */
  canAct: boolean
  acknowledge(id: string, note?: string): Promise<ApiResult<IncidentBody>>
  addNote(id: string, text: string): Promise<ApiResult<IncidentBody>>
}

/**
 * The incident page's writes: `POST /api/incidents/:id/ack` and `POST /api/incidents/:id/notes`.
 *
 * @example
 * ```ts
 * const { canAct, acknowledge } = useIncidentActions() // canAct: the token may acknowledge
 * ```
 */
export function useIncidentActions(): IncidentActions {
  const { api } = useLive()
  const [token] = useToken()
  const acknowledge = useCallback(
    async (id: string, note?: string) =>
      token
        ? api.post<IncidentBody>(`/api/incidents/${encodeURIComponent(id)}/ack`, note ? { note } : {}, token)
        : noToken,
    [api, token],
  )
  const addNote = useCallback(
    async (id: string, text: string) =>
      token
        ? api.post<IncidentBody>(`/api/incidents/${encodeURIComponent(id)}/notes`, { text }, token)
        : noToken,
    [api, token],
  )
  const can = useCan()
  return { canAct: token !== '' && can.acknowledge, acknowledge, addNote }
}
