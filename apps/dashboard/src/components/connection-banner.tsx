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
  if (connection.live && !error)
    return (
      <p className="conn conn-live" role="status" data-testid="connection">
        <span aria-hidden="true" className="dot" /> Live
      </p>
    )
  const from = updatedAt ? ` — stale, showing values from ${formatClock(updatedAt)}` : ''
  let text: string
  if (error) text = `Agent unreachable${from}; reconnecting`
  else if (!updatedAt) text = 'Connecting to the agent…'
  else text = `No live stream; refreshing by polling (last update ${formatClock(updatedAt)})`
  return (
    <p className="conn conn-stale" role="status" data-testid="connection">
      <span aria-hidden="true">⚠ </span>
      {text}
    </p>
  )
}
