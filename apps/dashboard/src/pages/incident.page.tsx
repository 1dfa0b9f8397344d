import { useState } from 'react'
import { IncidentStateBadge } from '../components/incident-list.tsx'
import { IncidentTimeline } from '../components/incident-timeline.tsx'
import { useActions } from '../data/actions.ts'
import { useIncident, useIncidentActions } from '../data/incidents.ts'
import { useNow } from '../data/now.ts'
import { formatAgo, formatDateTime } from '../format.ts'

/** One incident: what it is about, its timeline, and (with a token) acknowledge it and add notes. */
export function IncidentPage({ id }: { id: string }) {
  const resource = useIncident(id)
  const actions = useIncidentActions()
  const { cannot } = useActions()
  const now = useNow()
  const [ackNote, setAckNote] = useState('')
  const [note, setNote] = useState('')
  const [message, setMessage] = useState<string>()
  const [busy, setBusy] = useState(false)
  const back = (
    <a href="#/incidents" className="back">
      ← All incidents
    </a>
  )
  const incident = resource.data?.incident
  if (!incident)
    return (
      <>
        {back}
        <p role="status" className="muted">
          {resource.error ?? `Loading incident ${id}…`}
        </p>
      </>
    )
  const act = (write: () => Promise<{ ok: boolean; error?: string }>, done: string, clear: () => void) => {
    setBusy(true)
    void write().then((res) => {
      setBusy(false)
      setMessage(res.ok ? done : res.error)
      if (res.ok) {
        clear()
        resource.reload()
      }
    })
  }
  return (
    <>
      {back}
      <header className="service-head">
        <h2 className="section-title">{incident.title || incident.id}</h2>
        <IncidentStateBadge state={incident.state} />
        <span className={`chip${incident.severity === 'critical' ? ' chip-critical' : ' chip-warn'}`}>
          {incident.severity}
        </span>
        <a href={`#/services/${encodeURIComponent(incident.service)}`}>{incident.service}</a>
        <span className="muted" title={formatDateTime(incident.openedAt)}>
          opened {formatAgo(incident.openedAt, now)}
        </span>
        {incident.resolvedAt ? (
          <span className="muted" title={formatDateTime(incident.resolvedAt)}>
            resolved {formatAgo(incident.resolvedAt, now)}
          </span>
        ) : null}
        {incident.acknowledgedBy ? (
          <span className="muted">acknowledged by {incident.acknowledgedBy}</span>
        ) : null}
      </header>
      {actions.canAct ? (
        <section className="panel" aria-label="Respond">
          {incident.state === 'open' ? (
            <form
              className="actions"
              onSubmit={(e) => {
                e.preventDefault()
                act(
                  () => actions.acknowledge(incident.id, ackNote.trim() || undefined),
                  'Acknowledged: reminders stop until it resolves.',
                  () => setAckNote(''),
                )
              }}
            >
              <label>
                Note{' '}
                <input
                  value={ackNote}
                  maxLength={1000}
                  onChange={(e) => setAckNote(e.target.value)}
                  placeholder="What you are doing"
                />
              </label>
              <button type="submit" className="btn btn-ok" disabled={busy}>
                Acknowledge
              </button>
            </form>
          ) : null}
          <form
            className="actions"
            onSubmit={(e) => {
              e.preventDefault()
              if (note.trim())
                act(
                  () => actions.addNote(incident.id, note.trim()),
                  'Note added.',
                  () => setNote(''),
                )
            }}
          >
            <label>
              Add a note <input value={note} maxLength={1000} onChange={(e) => setNote(e.target.value)} />
            </label>
            <button type="submit" className="btn" disabled={busy || note.trim() === ''}>
              Add note
            </button>
          </form>
          {message ? (
            <output className="form-message" aria-live="polite">
              {message}
            </output>
          ) : null}
        </section>
      ) : (
        <p className="muted">{cannot('acknowledge', 'acknowledge this incident or add notes')}</p>
      )}
      <section className="panel" aria-labelledby="timeline-title">
        <h2 id="timeline-title" className="panel-title">
          Timeline <span className="chip">{incident.events.length}</span>
        </h2>
        <IncidentTimeline events={incident.events} now={now} />
      </section>
    </>
  )
}
