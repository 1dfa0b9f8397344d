import type { LiveConnection } from '../data/sse.ts'
import { formatClock } from '../format.ts'

/**
 * Says whether what is on screen is live. When the stream is down the last values
 * stay and this says since when they are.
 */
export function ConnectionBanner({
  connection,
  updatedAt,
  error,
}: {
  connection: LiveConnection
  /** Epoch ms of the newest data on screen. */
  updatedAt: number | undefined
  /** The last fetch error, if any. */
  error?: string | undefined
}) {
  const live = connection.state === 'open' && !error
  if (live)
    return (
      <p className="conn conn-live" role="status" data-testid="connection">
        <span aria-hidden="true" className="dot" /> Live
      </p>
    )
  const what =
    connection.state === 'connecting' && !updatedAt ? 'Connecting to the agent…' : 'Agent unreachable'
  return (
    <p className="conn conn-stale" role="status" data-testid="connection">
      <span aria-hidden="true">⚠ </span>
      {what}
      {updatedAt ? ` — stale, showing values from ${formatClock(updatedAt)}` : ''}
      {connection.state === 'closed' ? '; reconnecting' : ''}
    </p>
  )
}
