import { createHash } from 'node:crypto'
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

/**
 * Beats kept where every agent sees them (the noa agent's store): a beat taken by one agent
 * counts for the agent that checks the service, and for this one after a restart.
 */
export interface SharedBeats {
  /** The last beat stored under `key` (see {@link beatKey}); rejects when it cannot be read now. */
  lastBeat(key: string): Promise<Readonly<ReceivedBeat> | undefined>
}

/** Options of {@link createPushChecker}. */
export interface PushCheckerOptions {
  /** The clock beats are stamped with and ages read from. @default systemClock */
  clock?: Clock
  /** Beats taken elsewhere, read at each run beside this checker's own; the later one counts. */
  shared?: SharedBeats
}

/** The key a token's beats are shared under: its SHA-256, so no token is ever stored. */
export function beatKey(token: string): string {
  return createHash('sha256').update(token).digest('base64url')
}

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`

/**
 * The `push` checker: each run reads the last beat of the check's token. Before a first beat
 * the period and grace count from the first run (an agent that just started gives its jobs one
 * period to beat). Beats are kept in memory, one per token, and read from `shared` when given
 * (a shared store that cannot be read leaves this checker's own beats to judge by).
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
  const keys = new Map<string, string>()
  const keyOf = (token: string) => {
    let key = keys.get(token)
    if (key === undefined) {
      key = beatKey(token)
      keys.set(token, key)
    }
    return key
  }
  const latest = async (token: string) => {
    const own = beats.get(token)
    if (!options.shared) return own
    let stored: Readonly<ReceivedBeat> | undefined
    try {
      stored = await options.shared.lastBeat(keyOf(token))
    } catch {
      return own // the store is down (the agent alerts on that): this agent's beats still count
    }
    return stored && (!own || stored.at > own.at) ? stored : own
  }
  return {
    beat(token, beat = {}) {
      const message = beat.message?.slice(0, MAX_BEAT_MESSAGE)
      beats.set(token, { at: clock.now(), status: beat.status ?? 'up', message })
    },
    lastBeat: (token) => beats.get(token),
    async run(target, { signal }) {
      if (signal.aborted) return errorOutcome(signal.reason, signal)
      const last = await latest(target.token)
      return judge(target, last, since, clock.now())
    },
    close() {
      beats.clear()
      since.clear()
      keys.clear()
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
