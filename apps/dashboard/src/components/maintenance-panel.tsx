import { useState } from 'react'
import type { ApiResult } from '../data/api.ts'
import type { MaintenanceWindow } from '../data/types.ts'
import { formatDateTime } from '../format.ts'

/** What the panel needs: the service, its open window if any, and the two actions. */
export interface MaintenancePanelProps {
  service: string
  /** The open window that covers the service. */
  window: MaintenanceWindow | undefined
  canAct: boolean
  onStart(service: string, minutes: number, reason: string): Promise<ApiResult<unknown>>
  onEnd(id: string): Promise<ApiResult<unknown>>
  /** Called after an action the agent accepted, to read the service again. */
  onChanged?: () => void
}

const DURATIONS = [15, 30, 60, 120, 240] as const

/**
 * A service's maintenance: the open window (why, until when, who) with a button to end it, or a
 * small form to open one. While it is open noa sends no alert and heals nothing of the service.
 */
export function MaintenancePanel({
  service,
  window,
  canAct,
  onStart,
  onEnd,
  onChanged,
}: MaintenancePanelProps) {
  const [minutes, setMinutes] = useState<number>(30)
  const [reason, setReason] = useState('')
  const [busy, setBusy] = useState(false)
  const [message, setMessage] = useState<string>()
  const act = (call: Promise<ApiResult<unknown>>, done: string) => {
    setBusy(true)
    void call.then((res) => {
      setBusy(false)
      setMessage(res.ok ? done : res.error)
      if (res.ok) {
        setReason('')
        onChanged?.()
      }
    })
  }
  return (
    <section className="panel" aria-labelledby="maintenance-title" data-testid="maintenance-panel">
      <h2 id="maintenance-title" className="panel-title">
        Maintenance
      </h2>
      {window ? (
        <div>
          <p>
            <span className="chip chip-maintenance">Maintenance</span> {window.reason}
          </p>
          <p className="muted">
            Until {window.endsAt === null ? 'further notice' : formatDateTime(window.endsAt)}, opened by{' '}
            {window.createdBy}. No alert is sent and nothing is healed; checks still run.
          </p>
          {canAct && window.source === 'api' ? (
            <button
              type="button"
              className="btn"
              disabled={busy}
              onClick={() => act(onEnd(window.id), 'Maintenance ended.')}
            >
              End maintenance
            </button>
          ) : window.source === 'config' ? (
            <p className="muted">This window comes from the config file.</p>
          ) : null}
        </div>
      ) : canAct ? (
        <form
          className="maintenance-form"
          aria-label="Start maintenance"
          onSubmit={(event) => {
            event.preventDefault()
            act(onStart(service, minutes, reason.trim()), 'Maintenance started.')
          }}
        >
          <label htmlFor="maintenance-minutes">For</label>
          <select
            id="maintenance-minutes"
            value={minutes}
            onChange={(e) => setMinutes(Number(e.target.value))}
          >
            {DURATIONS.map((m) => (
              <option key={m} value={m}>
                {m < 60 ? `${m} min` : `${m / 60} h`}
              </option>
            ))}
          </select>
          <label htmlFor="maintenance-reason" className="sr-only">
            Reason
          </label>
          <input
            id="maintenance-reason"
            placeholder="Why (e.g. disk swap)"
            value={reason}
            maxLength={2000}
            onChange={(e) => setReason(e.target.value)}
          />
          <button type="submit" className="btn" disabled={busy || reason.trim() === ''}>
            Start maintenance
          </button>
        </form>
      ) : (
        <p className="muted">Not in maintenance. Enter an API token to start a maintenance window.</p>
      )}
      {message ? (
        <output className="form-message" aria-live="polite">
          {message}
        </output>
      ) : null}
    </section>
  )
}
