import { useState } from 'react'
import { IncidentList } from '../components/incident-list.tsx'
import { useIncidents } from '../data/incidents.ts'
import { useNow } from '../data/now.ts'
import type { IncidentState } from '../data/types.ts'

const FILTERS: Array<{ value: IncidentState | ''; label: string }> = [
  { value: '', label: 'All' },
  { value: 'open', label: 'Open' },
  { value: 'acknowledged', label: 'Acknowledged' },
  { value: 'resolved', label: 'Resolved' },
]

/** The Incidents page: every incident newest first, live as they open, change and resolve. */
export function IncidentsPage() {
  const [state, setState] = useState<IncidentState | ''>('')
  const list = useIncidents(state ? { state } : {})
  const now = useNow()
  const incidents = list.data?.incidents ?? []
  return (
    <>
      <div className="section-head">
        <h2 className="section-title">Incidents</h2>
        <label>
          State{' '}
          <select value={state} onChange={(e) => setState(e.target.value as IncidentState | '')}>
            {FILTERS.map((f) => (
              <option key={f.value} value={f.value}>
                {f.label}
              </option>
            ))}
          </select>
        </label>
        {list.error ? (
          <p className="muted" role="status">
            <span aria-hidden="true">⚠ </span>
            {list.data ? `May be stale: ${list.error}` : list.error}
          </p>
        ) : null}
      </div>
      {!list.data ? (
        list.error ? null : (
          <p className="muted" role="status">
            Loading…
          </p>
        )
      ) : incidents.length === 0 ? (
        <section className="panel">
          <h3 className="panel-title">No incidents{state ? ` ${state}` : ''}</h3>
          <p className="muted">
            An incident opens when a service leaves healthy or a critical alert about it fires, and resolves
            when it is healthy again.
          </p>
        </section>
      ) : (
        <IncidentList incidents={incidents} now={now} />
      )}
    </>
  )
}
