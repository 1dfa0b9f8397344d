import { useIncidents } from '../data/incidents.ts'

/** A link to the service's incident while one is open or acknowledged; nothing otherwise. */
export function OpenIncidentLink({ service }: { service: string }) {
  const latest = useIncidents({ service, limit: 1 }).data?.incidents[0]
  if (!latest || latest.state === 'resolved') return null
  return (
    <a className="chip chip-critical" href={`#/incidents/${encodeURIComponent(latest.id)}`}>
      {latest.state === 'acknowledged' ? 'Incident (acknowledged)' : 'Open incident'}
    </a>
  )
}
