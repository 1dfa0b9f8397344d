import type { AlertEngine } from '@noa/alerts'
import type { Registry } from '@noa/metrics'
import type { IncidentTracker } from './tracker.ts'

/** The incident tracker's figures on `/metrics`: what is open, and what was refused, elided or not saved. */
export function registerIncidentMetrics(
  registry: Registry,
  incidents: IncidentTracker,
  alerts: AlertEngine,
): void {
  const counter = (name: string, help: string, value: () => number) =>
    registry.counter({ name, help, collect: (c) => c.inc(value() - (c.get() ?? 0)) })
  registry.gauge({
    name: 'noa_incidents_open',
    help: 'Incidents open or acknowledged now',
    collect: (gauge) => gauge.set(incidents.stats().open),
  })
  counter(
    'noa_incidents_refused_total',
    'Incidents not opened because as many as allowed were open',
    () => incidents.stats().refused,
  )
  counter(
    'noa_incident_events_elided_total',
    'Timeline events left out of long incidents (the first and the latest are kept)',
    () => incidents.stats().elided,
  )
  counter(
    'noa_incident_save_failures_total',
    'Incident writes the store refused or failed (the incident stays in memory)',
    () => incidents.stats().saveFailures,
  )
  counter(
    'noa_notifications_held_total',
    'Reminders of firing alerts not sent because their incident was acknowledged',
    () => alerts.stats().repeatsHeld,
  )
}
