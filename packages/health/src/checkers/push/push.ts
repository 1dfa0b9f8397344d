import { type Clock, systemClock } from '@noa/core'
import type { Checker, CheckOutcome } from '../../checker.ts'
import { errorOutcome } from '../../checker.ts'
import { type Beat, MAX_BEAT_MESSAGE, type ReceivedBeat } from './beats.ts'
import type { PushCheckOptions } from './schema.ts'

/** The `push` checker, and the door its beats come in by. */
export interface PushChecker extends Checker<PushCheckOptions> {
  /** Records a beat for the checks with this token. */
  beat(token: string, beat?: Beat): void
  /** The last beat of a token, if one came since this checker was made. */
  lastBeat(token: string): Readonly<ReceivedBeat> | undefined
}

/** Options of {@link createPushChecker}. */
export interface PushCheckerOptions {
  /** The clock beats are stamped with and ages read from. @default systemClock */
  clock?: Clock
}

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`

/**
 * The `push` checker: each run reads the last beat of the check's token. Before a first beat
 * the period and grace count from the first run (an agent that just started gives its jobs one
 * period to beat). Beats are kept in memory, one per token.
 *
 * @example
 * ```ts
 * const push = createPushChecker()
 * const monitor = createHealthMonitor({ services, checkers: { push } })
 * push.beat(process.env.NOA_PUSH_TOKEN_BACKUP!, { status: 'up', message: 'backup done' })
 * ```
 */
export function createPushChecker(options: PushCheckerOptions = {}): PushChecker {
  const clock = options.clock ?? systemClock
  const beats = new Map<string, ReceivedBeat>()
  /** When each token's check first ran: the start of its first period. */
  const since = new Map<string, number>()
  return {
    beat(token, beat = {}) {
      const message = beat.message?.slice(0, MAX_BEAT_MESSAGE)
      beats.set(token, { at: clock.now(), status: beat.status ?? 'up', message })
    },
    lastBeat: (token) => beats.get(token),
    run(target, { signal }) {
      if (signal.aborted) return Promise.resolve(errorOutcome(signal.reason, signal))
      return Promise.resolve(judge(target, beats.get(target.token), since, clock.now()))
    },
    close() {
      beats.clear()
      since.clear()
    },
  }
}

function judge(
  target: PushCheckOptions,
  last: ReceivedBeat | undefined,
  since: Map<string, number>,
  now: number,
): CheckOutcome {
  const allowed = target.period + target.grace
  const expected = `a beat every ${seconds(target.period)} (+${seconds(target.grace)} grace)`
  if (!last) {
    let first = since.get(target.token)
    if (first === undefined) {
      first = now
      since.set(target.token, now)
    }
    const waited = now - first
    if (waited <= allowed)
      return {
        state: 'healthy',
        message: `no beat yet; the first is due within ${seconds(allowed - waited)}`,
        details: { waitedMs: waited },
      }
    return {
      state: 'unhealthy',
      message: `no beat in ${seconds(waited)} since noa started; expected ${expected}`,
      details: { waitedMs: waited },
      retryable: false,
    }
  }
  const ageMs = now - last.at
  const said = last.message ? `: ${last.message}` : ''
  const details = { lastBeatAt: new Date(last.at).toISOString(), sinceLastBeatMs: ageMs }
  if (last.status === 'down')
    return { state: 'unhealthy', message: `the last beat said down${said}`, details, retryable: false }
  if (ageMs > allowed)
    return {
      state: 'unhealthy',
      message: `no beat for ${seconds(ageMs)}; expected ${expected}`,
      details,
      retryable: false,
    }
  return { state: 'healthy', message: `last beat ${seconds(ageMs)} ago${said}`, details }
}
