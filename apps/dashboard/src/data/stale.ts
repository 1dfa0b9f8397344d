/** A value older than this many intervals of its collection is stale. */
export const STALE_INTERVALS = 2

/**
 * How old a value collected at `at` is, and whether it is stale: older than
 * {@link STALE_INTERVALS} intervals. Undefined when the time or the interval is not known.
 *
 * @example
 * ```ts
 * staleness(now - 25_000, 10_000, now) // { stale: true, ageMs: 25_000 }
 * ```
 */
export function staleness(
  at: number | undefined,
  intervalMs: number | undefined,
  now: number,
): { stale: boolean; ageMs: number } | undefined {
  if (at === undefined || !Number.isFinite(at) || !intervalMs || intervalMs <= 0) return undefined
  const ageMs = Math.max(0, now - at)
  return { stale: ageMs > STALE_INTERVALS * intervalMs, ageMs }
}
