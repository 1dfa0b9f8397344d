import { useState } from 'react'
import type { ApiResult } from '../data/api.ts'
import type { Approval } from '../data/types.ts'
import { formatAgo, formatClock } from '../format.ts'

/** Options of {@link Approvals}. */
export interface ApprovalsProps {
  approvals: readonly Approval[]
  canAct: boolean
  /** What to say instead of the buttons when `canAct` is false. @default 'Enter an API token to approve or reject.' */
  cannot?: string
  onDecide: (id: string, decision: 'approve' | 'reject') => Promise<ApiResult<unknown>>
  now?: number
}

/** Pending approvals (a rollback waiting for a human), with approve and reject when a token is set. */
export function Approvals({ approvals, canAct, cannot, onDecide, now }: ApprovalsProps) {
  const [messages, setMessages] = useState<Record<string, string>>({})
  const [busy, setBusy] = useState<string>()
  const pending = approvals.filter((a) => a.status === 'pending')
  const decide = (id: string, decision: 'approve' | 'reject') => {
    setBusy(id)
    void onDecide(id, decision).then((res) => {
      setBusy(undefined)
      setMessages((m) => ({
        ...m,
        [id]: res.ok ? `${decision === 'approve' ? 'Approved' : 'Rejected'}.` : res.error,
      }))
    })
  }
  return (
    <section className="panel" aria-labelledby="approvals-title">
      <h2 id="approvals-title" className="panel-title">
        Pending approvals{' '}
        {pending.length > 0 ? <span className="chip chip-warn">{pending.length}</span> : null}
      </h2>
      {pending.length === 0 ? (
        <p className="muted">Nothing waits for a decision.</p>
      ) : (
        <ul className="feed">
          {pending.map((a) => (
            <li key={a.id} className="feed-item" data-testid={`approval-${a.id}`}>
              <div className="feed-head">
                <strong>
                  {a.action} {a.service}
                </strong>
                <span className="muted">requested {formatAgo(a.requestedAt, now)}</span>
                <span className="muted">expires at {formatClock(a.expiresAt)}</span>
              </div>
              <p>{a.reason}</p>
              {canAct ? (
                <div className="actions">
                  <button
                    type="button"
                    className="btn btn-ok"
                    disabled={busy === a.id}
                    onClick={() => decide(a.id, 'approve')}
                  >
                    Approve {a.action} of {a.service}
                  </button>
                  <button
                    type="button"
                    className="btn btn-bad"
                    disabled={busy === a.id}
                    onClick={() => decide(a.id, 'reject')}
                  >
                    Reject
                  </button>
                </div>
              ) : (
                <p className="muted">{cannot ?? 'Enter an API token to approve or reject.'}</p>
              )}
              {messages[a.id] ? (
                <output className="form-message" aria-live="polite">
                  {messages[a.id]}
                </output>
              ) : null}
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}
