import type { Incident } from '@noa/store'
import type { IncidentSseEvent, IncidentSummary } from '../http/api-types.ts'
import type { IncidentTrackerEvents } from './tracker.ts'

/** An incident without its timeline, as lists and events show it: its size and latest entry instead. */
export function incidentSummary(incident: Incident): IncidentSummary {
  const { events, ...rest } = incident
  const last = events.at(-1)
  return { ...rest, eventCount: events.length, ...(last ? { lastEvent: last } : {}) }
}

/** The `incident` SSE event: what happened, the incident in brief and the entry just added. */
export function incidentEvent(e: IncidentTrackerEvents['incident']): IncidentSseEvent {
  return { change: e.change, incident: incidentSummary(e.incident), event: e.event }
}
