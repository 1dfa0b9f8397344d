import { NoaError } from './errors.ts'

/** How retry delays grow. */
export interface BackoffOptions {
  /** Delay before the first retry, in ms. @default 1000 */
  initialMs?: number
  /** Upper bound of any delay, in ms. @default 30000 */
  maxMs?: number
  /** Growth per attempt. @default 2 */
  factor?: number
  /**
   * Fraction of each delay that is randomised, from 0 (none) to 1 (full jitter).
   * A delay `d` becomes a uniform value in `[d * (1 - jitter), d]`. @default 0.2
   */
  jitter?: number
}

/** A validated backoff policy. */
export interface Backoff {
  /** Delay in ms before retry number `attempt` (0 for the first retry). */
  delay(attempt: number): number
  readonly options: Readonly<Required<BackoffOptions>>
}

/**
 * Builds an exponential backoff with jitter, so that retries of many clients spread out
 * instead of arriving together. Options are checked here, not at first use.
 *
 * @example
 * ```ts
 * const backoff = createBackoff({ initialMs: 500, maxMs: 10_000 })
 * await clock.sleep(backoff.delay(attempt))
 * ```
 */
export function createBackoff(options: BackoffOptions = {}, random: () => number = Math.random): Backoff {
  const resolved = { initialMs: 1000, maxMs: 30_000, factor: 2, jitter: 0.2, ...options }
  const problems: string[] = []
  if (!(resolved.initialMs >= 0)) problems.push(`initialMs must be >= 0, got ${resolved.initialMs}`)
  if (!(resolved.maxMs >= resolved.initialMs))
    problems.push(`maxMs must be >= initialMs (${resolved.initialMs}), got ${resolved.maxMs}`)
  if (!(resolved.factor >= 1)) problems.push(`factor must be >= 1, got ${resolved.factor}`)
  if (!(resolved.jitter >= 0 && resolved.jitter <= 1))
    problems.push(`jitter must be between 0 and 1, got ${resolved.jitter}`)
  if (problems.length > 0)
    throw new NoaError(`invalid backoff: ${problems.join('; ')}`, { code: 'ERR_BACKOFF' })
  return {
    options: Object.freeze(resolved),
    delay(attempt) {
      const n = Math.max(0, Math.floor(attempt))
      const base = Math.min(resolved.maxMs, resolved.initialMs * resolved.factor ** n)
      return Math.round(base * (1 - resolved.jitter * random()))
    },
  }
}

/** A uniform random delay in `[0, maxMs)`, used to spread the first run of many schedules. */
export function jitterDelay(maxMs: number, random: () => number = Math.random): number {
  return Math.floor(Math.max(0, maxMs) * random())
}
