/**
 * The incident timeline as the status page reads it: only what it shows. The incident view
 * (issue 19, item 5) provides it; until it is wired the page shows no incidents.
 */
export interface StatusPageIncident {
  id: string
  service: string
  title: string
  severity: string
  state: 'open' | 'acknowledged' | 'resolved'
  openedAt: number
  resolvedAt?: number
  events: ReadonlyArray<{ at: number; kind: string; text: string; by?: string }>
}

/** Where the page gets incidents from: those of `services` opened or open since `since`, newest first. */
export interface StatusPageIncidents {
  incidents(query: { services: string[]; since: number; limit: number }): Promise<StatusPageIncident[]>
}

/** No incident source yet: the page shows none. */
export const NO_INCIDENTS: StatusPageIncidents = Object.freeze({ incidents: async () => [] })
