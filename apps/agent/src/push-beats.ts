import { errorMessage, type Logger } from '@noa/core'
import { type Beat, beatKey, type HealthMonitor, type PushChecker } from '@noa/health'
import type { Counter } from '@noa/metrics'
import type { BeatStore } from '@noa/store'

/** What became of a beat: taken for a service, or no push check has that token. */
export type BeatOutcome = { service: string } | undefined

/** Takes the beats of push checks (`POST /api/push/:token`) for the health monitor. */
export interface PushBeats {
  /** Records a beat for the service whose push check has `token`; undefined when none has. */
  beat(token: string, beat: Beat): Promise<BeatOutcome>
}

/** What {@link createPushBeats} works with. */
export interface PushBeatsDeps {
  health: HealthMonitor
  push: PushChecker
  /** Where the beat is kept for the agent that checks the service, and for the next start. */
  store: BeatStore
  /** noa_push_beats_total by result: accepted, unknown, unstored. */
  counted: Counter<'result'>
  logger: Logger
}

/**
 * Beats for push checks. Tokens are looked up by their SHA-256, so no token is compared
 * character by character, and the table follows the monitor's services (a reload adds and
 * removes push checks). Each beat is kept here and in the store, where the agent that checks
 * the service reads it (in a cluster a job may reach any agent) and the next start finds it.
 * A beat that cannot be stored still counts here: it is counted as unstored and logged. A
 * beat that says `down`, or any beat of a service that is not healthy, runs its check at once
 * when this agent checks it: the state follows the job, not the next interval.
 */
export function createPushBeats({ health, push, store, counted, logger }: PushBeatsDeps): PushBeats {
  let table:
    | { from: HealthMonitor['services']; services: Map<string, { service: string; token: string }> }
    | undefined
  const services = () => {
    if (table?.from !== health.services) {
      const map = new Map<string, { service: string; token: string }>()
      for (const s of health.services)
        if (s.check.type === 'push')
          map.set(beatKey(s.check.token), { service: s.name, token: s.check.token })
      table = { from: health.services, services: map }
    }
    return table.services
  }
  return {
    async beat(token, beat) {
      const key = beatKey(token)
      const found = services().get(key)
      counted.inc({ result: found ? 'accepted' : 'unknown' })
      if (!found) return undefined
      push.beat(found.token, beat)
      const { service } = found
      const kept = push.lastBeat(found.token)!
      try {
        await store.saveBeat(key, {
          at: kept.at,
          status: kept.status,
          ...(kept.message === undefined ? {} : { message: kept.message }),
        })
      } catch (error) {
        counted.inc({ result: 'unstored' })
        logger.warn('a beat is kept by this agent only: the store cannot take it', {
          service,
          error: errorMessage(error),
        })
      }
      if (
        (beat.status === 'down' || health.status(service).state !== 'healthy') &&
        health.checksHere(service)
      )
        health
          .checkNow(service)
          .catch((error) =>
            logger.warn('cannot check a pushed service', { service, error: errorMessage(error) }),
          )
      return { service }
    },
  }
}
