import type { Clock } from '@noa/core'

/** Options of {@link createRateLimiter}. */
export interface RateLimiterOptions {
  /** Requests allowed per window. */
  limit: number
  /** Window length in ms. */
  windowMs: number
  clock: Clock
  /** Clients tracked at most; the oldest are forgotten beyond it. @default 10000 */
  maxClients?: number
}

/** A token bucket per client key: `take(key)` is true while the client is within its rate. */
export interface RateLimiter {
  take(key: string): boolean
  /** Ms until the next request of `key` would be allowed. */
  retryAfterMs(key: string): number
}

/**
 * Token buckets keyed by client, refilled continuously at `limit / windowMs`, with a
 * bounded number of tracked clients so a flood of addresses cannot grow memory.
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { limit, windowMs, clock, maxClients = 10_000 } = options
  const rate = limit / windowMs
  const buckets = new Map<string, { tokens: number; at: number }>()
  const refill = (key: string) => {
    const now = clock.monotonic()
    let bucket = buckets.get(key)
    if (!bucket) {
      if (buckets.size >= maxClients) buckets.delete(buckets.keys().next().value as string)
      bucket = { tokens: limit, at: now }
      buckets.set(key, bucket)
    }
    bucket.tokens = Math.min(limit, bucket.tokens + (now - bucket.at) * rate)
    bucket.at = now
    return bucket
  }
  return {
    take(key) {
      const bucket = refill(key)
      if (bucket.tokens < 1) return false
      bucket.tokens -= 1
      return true
    },
    retryAfterMs(key) {
      const bucket = refill(key)
      return bucket.tokens >= 1 ? 0 : Math.ceil((1 - bucket.tokens) / rate)
    },
  }
}
