import type { Incident } from '@noa/store'
import type { StatusPageIncident, StatusPageIncidents } from './incidents.ts'

/** What the status page needs of the incident tracker. */
export interface IncidentReader {
  list(query: { limit: number; before?: { openedAt: number; id: string } }): Promise<Incident[]>
  openFor(service: string): Incident | undefined
}

/** Incidents read per page, and pages at most, when looking for the public ones. */
const PAGE = 200
const PAGES = 5

/**
 * The incidents of public services as the public reads them: what happened to which service and
 * when, in words of the page's own. The timeline's texts stay inside the team: a check's message
 * names addresses and errors, a note is a person's words to colleagues, who acknowledged is a name.
 */
export function publicIncidents(tracker: IncidentReader): StatusPageIncidents {
  return {
    async incidents({ services, since, limit }) {
      const wanted = new Set(services)
      const found = new Map<string, Incident>()
      // Open ones first, whenever they opened.
      for (const service of services) {
        const open = tracker.openFor(service)
        if (open) found.set(open.id, open)
      }
      let before: { openedAt: number; id: string } | undefined
      for (let page = 0; page < PAGES && found.size < limit; page++) {
        const list = await tracker.list({ limit: PAGE, ...(before ? { before } : {}) })
        for (const incident of list)
          if (wanted.has(incident.service) && (incident.resolvedAt ?? Number.POSITIVE_INFINITY) >= since)
            found.set(incident.id, incident)
        const last = list.at(-1)
        if (list.length < PAGE || !last || last.openedAt < since) break
        before = { openedAt: last.openedAt, id: last.id }
      }
      return [...found.values()]
        .sort((a, b) => b.openedAt - a.openedAt)
        .slice(0, limit)
        .map(toPublic)
    },
  }
}

function toPublic(incident: Incident): StatusPageIncident {
  const { service } = incident
  const events: StatusPageIncident['events'][number][] = [
    { at: incident.openedAt, kind: 'investigating', text: `We are looking into a problem with ${service}.` },
  ]
  if (incident.acknowledgedAt !== undefined)
    events.push({ at: incident.acknowledgedAt, kind: 'identified', text: 'The team is working on it.' })
  for (const e of incident.events)
    if (e.kind === 'maintenance') events.push({ at: e.at, kind: 'maintenance', text: 'Planned maintenance.' })
  if (incident.resolvedAt !== undefined)
    events.push({ at: incident.resolvedAt, kind: 'resolved', text: `${service} is working normally again.` })
  return {
    id: incident.id,
    service,
    title: incident.severity === 'critical' ? `${service} outage` : `${service} degraded`,
    severity: incident.severity,
    state: incident.state,
    openedAt: incident.openedAt,
    ...(incident.resolvedAt === undefined ? {} : { resolvedAt: incident.resolvedAt }),
    events,
  }
}
