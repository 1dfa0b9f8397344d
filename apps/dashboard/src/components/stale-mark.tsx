import { staleness } from '../data/stale.ts'
import { formatAgo, formatDuration } from '../format.ts'

/** Options of {@link StaleMark}. */
export interface StaleMarkProps {
  /** When the value shown was collected (epoch ms). */
  at: number | undefined
  /** How often it is collected, ms. */
  intervalMs: number | undefined
  now: number
}

/**
 * A visible "stale" marker beside a value older than two intervals of its collection, its age
 * in the title; nothing while the value is fresh or its age is not known.
 *
 * @example
 * ```tsx
 * <StaleMark at={metrics.at} intervalMs={metrics.intervalMs} now={now} />
 * ```
 */
export function StaleMark({ at, intervalMs, now }: StaleMarkProps) {
  const age = staleness(at, intervalMs, now)
  if (!age?.stale || at === undefined || intervalMs === undefined) return null
  const title = `Collected ${formatAgo(at, now)}; expected every ${formatDuration(intervalMs)}`
  return (
    <span className="chip chip-warn stale-mark" title={title} data-testid="stale">
      stale<span className="sr-only">: {title}</span>
    </span>
  )
}
