import type { IncidentEvent, IncidentEventKind } from '../data/types.ts'
import { formatAgo, formatDateTime } from '../format.ts'
import { Badge } from './status-badge.tsx'

/** How each kind of timeline entry looks: an icon, a tone (colour) and a label read out with it. */
export const EVENT_LOOK: Record<IncidentEventKind, { icon: string; tone: string; label: string }> = {
  state: { icon: '◉', tone: 'bad', label: 'State' },
  alert: { icon: '🔔', tone: 'warn', label: 'Alert' },
  notification: { icon: '✉', tone: 'none', label: 'Notified' },
  healing: { icon: '⟳', tone: 'ok', label: 'Healing' },
  approval: { icon: '⏸', tone: 'warn', label: 'Approval' },
  maintenance: { icon: '🛠', tone: 'none', label: 'Maintenance' },
  acknowledged: { icon: '✋', tone: 'ok', label: 'Acknowledged' },
  note: { icon: '✎', tone: 'none', label: 'Note' },
  resolved: { icon: '✓', tone: 'ok', label: 'Resolved' },
}

/** An incident's timeline, oldest first: what happened, who did it, when. */
export function IncidentTimeline({ events, now }: { events: readonly IncidentEvent[]; now?: number }) {
  return (
    <ol className="timeline" aria-label="Timeline">
      {events.map((e, i) => {
        const elided = e.kind === 'note' && e.ref === 'elided' && !e.by
        const look = EVENT_LOOK[e.kind] ?? EVENT_LOOK.note
        return (
          // biome-ignore lint/suspicious/noArrayIndexKey: entries have no id; the list only grows at its end
          <li key={i} className={`timeline-item incident-event kind-${e.kind}`} data-testid="incident-event">
            <div className="feed-head">
              {elided ? (
                <span className="muted">⋯ {e.text}</span>
              ) : (
                <>
                  <Badge look={look} />
                  <span>{e.text}</span>
                  {e.by ? <span className="chip">by {e.by}</span> : null}
                </>
              )}
              <time className="muted" dateTime={new Date(e.at).toISOString()} title={formatDateTime(e.at)}>
                {formatAgo(e.at, now)}
              </time>
            </div>
          </li>
        )
      })}
    </ol>
  )
}
