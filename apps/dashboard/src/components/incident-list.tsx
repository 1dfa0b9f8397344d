import type { IncidentState, IncidentSummary } from '../data/types.ts'
import { formatAgo, formatDateTime, formatDuration } from '../format.ts'
import { Badge } from './status-badge.tsx'

const STATE_LOOK: Record<IncidentState, { icon: string; tone: string; label: string }> = {
  open: { icon: '●', tone: 'bad', label: 'Open' },
  acknowledged: { icon: '✋', tone: 'warn', label: 'Acknowledged' },
  resolved: { icon: '✓', tone: 'ok', label: 'Resolved' },
}

/** An incident's state as a badge: icon, colour and word. */
export function IncidentStateBadge({ state }: { state: IncidentState }) {
  const look = STATE_LOOK[state] ?? STATE_LOOK.open
  return <Badge look={look} />
}

/** Incidents newest first: state, service, title, when, for how long, who acknowledged. */
export function IncidentList({ incidents, now }: { incidents: readonly IncidentSummary[]; now: number }) {
  return (
    <table className="table">
      <thead>
        <tr>
          <th scope="col">State</th>
          <th scope="col">Service</th>
          <th scope="col">Incident</th>
          <th scope="col">Opened</th>
          <th scope="col">Lasted</th>
          <th scope="col">Acknowledged by</th>
        </tr>
      </thead>
      <tbody>
        {incidents.map((i) => (
          <tr key={i.id} data-testid={`incident-${i.id}`}>
            <td>
              <IncidentStateBadge state={i.state} />
            </td>
            <td>
              <a href={`#/services/${encodeURIComponent(i.service)}`}>{i.service}</a>
            </td>
            <td>
              <a href={`#/incidents/${encodeURIComponent(i.id)}`}>{i.title || i.id}</a>{' '}
              <span className={`chip${i.severity === 'critical' ? ' chip-critical' : ' chip-warn'}`}>
                {i.severity}
              </span>
            </td>
            <td>
              <time dateTime={new Date(i.openedAt).toISOString()} title={formatDateTime(i.openedAt)}>
                {formatAgo(i.openedAt, now)}
              </time>
            </td>
            <td>{formatDuration((i.resolvedAt ?? now) - i.openedAt)}</td>
            <td>{i.acknowledgedBy ?? '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
