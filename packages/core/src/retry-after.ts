/**
 * The wait an HTTP `Retry-After` header asks for (delay-seconds or an HTTP date), in ms from
 * `now`, capped at `maxMs` so a peer cannot park a sender for a day; undefined when the header
 * is absent, unreadable or in the past.
 *
 * @example
 * ```ts
 * const wait = retryAfterMs(response.headers.get('retry-after'), clock.now())
 * await clock.sleep(Math.max(backoff.delay(attempt), wait ?? 0))
 * ```
 */
export function retryAfterMs(
  header: string | null | undefined,
  now: number,
  maxMs = 300_000,
): number | undefined {
  const text = header?.trim()
  if (!text) return undefined
  const ms = /^\d+$/.test(text) ? Number(text) * 1000 : Date.parse(text) - now
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, maxMs) : undefined
}
