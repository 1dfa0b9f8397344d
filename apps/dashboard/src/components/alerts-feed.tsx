import { useState } from 'react'
import type { ApiResult } from '../data/api.ts'
import type { AlertRecord, Silence } from '../data/types.ts'
import { formatAgo, formatValue } from '../format.ts'

// Glyphs every system font has (headless Chromium draws no emoji).
const SEVERITY_ICON = { critical: '✕', warning: '!', info: 'i' } as const

/** Options of {@link AlertsFeed}. */
export interface AlertsFeedProps {
  alerts: readonly AlertRecord[]
  silences?: readonly Silence[]
  /** Show the silence action (a token is set). */
  canAct: boolean
  onSilence?: (alert: AlertRecord, minutes: number, comment: string) => Promise<ApiResult<unknown>>
  /** At most this many, newest first. @default 20 */
  limit?: number
  now?: number
}

function isSilenced(alert: AlertRecord, silences: readonly Silence[], now: number): boolean {
  const labels: Record<string, string> = { alertname: alert.rule, ...alert.labels }
  return silences.some(
    (s) =>
      s.startsAt <= now &&
      s.endsAt > now &&
      s.matchers.every((m) => {
        const value = labels[m.name] ?? ''
        if (!m.isRegex) return value === m.value
        try {
          return new RegExp(`^(?:${m.value})$`).test(value)
        } catch {
          return false
        }
      }),
  )
}

function SilenceForm({
  alert,
  onSilence,
}: {
  alert: AlertRecord
  onSilence: NonNullable<AlertsFeedProps['onSilence']>
}) {
  const [open, setOpen] = useState(false)
  const [minutes, setMinutes] = useState(60)
  const [comment, setComment] = useState('')
  const [message, setMessage] = useState<string>()
  if (!open)
    return (
      <button type="button" className="btn btn-small" onClick={() => setOpen(true)}>
        Silence…
      </button>
    )
  const id = `silence-${alert.fingerprint}`
  return (
    <form
      className="inline-form"
      aria-label={`Silence ${alert.rule}`}
      onSubmit={(event) => {
        event.preventDefault()
        void onSilence(alert, minutes, comment || 'silenced from the dashboard').then((res) => {
          setMessage(res.ok ? `Silenced for ${minutes} min.` : res.error)
          if (res.ok) setOpen(false)
        })
      }}
    >
      <label htmlFor={`${id}-for`}>For</label>
      <select id={`${id}-for`} value={minutes} onChange={(e) => setMinutes(Number(e.target.value))}>
        <option value={30}>30 min</option>
        <option value={60}>1 h</option>
        <option value={240}>4 h</option>
        <option value={1440}>24 h</option>
      </select>
      <label htmlFor={`${id}-why`}>Comment</label>
      <input id={`${id}-why`} value={comment} onChange={(e) => setComment(e.target.value)} />
      <button type="submit" className="btn btn-small">
        Silence
      </button>
      <button type="button" className="btn btn-small" onClick={() => setOpen(false)}>
        Cancel
      </button>
      {message ? <output className="form-message">{message}</output> : null}
    </form>
  )
}

/** The recent alerts feed, newest first, firing ones on top. */
export function AlertsFeed(props: AlertsFeedProps) {
  const now = props.now ?? Date.now()
  const order = { firing: 0, pending: 1, resolved: 2, inactive: 3 } as const
  const alerts = [...props.alerts]
    .sort((a, b) => order[a.state] - order[b.state] || b.updatedAt - a.updatedAt)
    .slice(0, props.limit ?? 20)
  return (
    <section className="panel" aria-labelledby="alerts-title">
      <h2 id="alerts-title" className="panel-title">
        Recent alerts
      </h2>
      {alerts.length === 0 ? (
        <p className="muted">No alerts. Rules live under alerting.rules in the configuration.</p>
      ) : (
        <ul className="feed" aria-live="polite">
          {alerts.map((a) => {
            const silenced = isSilenced(a, props.silences ?? [], now)
            return (
              <li
                key={a.fingerprint}
                className={`feed-item sev-${a.severity}`}
                data-testid={`alert-${a.rule}`}
              >
                <div className="feed-head">
                  <span aria-hidden="true">{SEVERITY_ICON[a.severity]}</span>
                  <strong>{a.rule}</strong>
                  <span className="chip">{a.severity}</span>
                  <span className={`chip state-${a.state}`}>{a.state}</span>
                  {silenced ? <span className="chip">silenced</span> : null}
                  <time className="muted" dateTime={new Date(a.updatedAt).toISOString()}>
                    {formatAgo(a.updatedAt, now)}
                  </time>
                </div>
                {a.annotations.summary || a.annotations.description ? (
                  <p>{a.annotations.summary ?? a.annotations.description}</p>
                ) : null}
                <p className="muted labels">
                  {Object.entries(a.labels)
                    .map(([k, v]) => `${k}=${v}`)
                    .join(' ')}
                  {a.value !== undefined ? ` · value ${formatValue(a.value)}` : ''}
                </p>
                {props.canAct && props.onSilence && a.state !== 'resolved' && !silenced ? (
                  <SilenceForm alert={a} onSilence={props.onSilence} />
                ) : null}
              </li>
            )
          })}
        </ul>
      )}
    </section>
  )
}
