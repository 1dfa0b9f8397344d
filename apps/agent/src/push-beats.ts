import { createHash } from 'node:crypto'
import { errorMessage, type Logger } from '@noa/core'
import type { Beat, HealthMonitor, PushChecker } from '@noa/health'
import type { Counter } from '@noa/metrics'

/** What became of a beat: taken for a service, or no push check has that token. */
export type BeatOutcome = { service: string } | undefined

/** Takes the beats of push checks (`POST /api/push/:token`) for the health monitor. */
export interface PushBeats {
  /** Records a beat for the service whose push check has `token`; undefined when none has. */
  beat(token: string, beat: Beat): BeatOutcome
}

const digest = (token: string) => createHash('sha256').update(token).digest('base64url')

/**
 * Beats for push checks. Tokens are looked up by their SHA-256, so no token is compared
 * character by character, and the table follows the monitor's services (a reload adds and
 * removes push checks). A beat that says `down`, or any beat of a service that is not healthy,
 * runs its check at once: the state follows the job, not the next interval.
 */
export function createPushBeats(
  health: HealthMonitor,
  push: PushChecker,
  counted: Counter<'result'>,
  logger: Logger,
): PushBeats {
  let table:
    | { from: HealthMonitor['services']; services: Map<string, { service: string; token: string }> }
    | undefined
  const services = () => {
    if (table?.from !== health.services) {
      const map = new Map<string, { service: string; token: string }>()
      for (const s of health.services)
        if (s.check.type === 'push') map.set(digest(s.check.token), { service: s.name, token: s.check.token })
      table = { from: health.services, services: map }
    }
    return table.services
  }
  return {
    beat(token, beat) {
      const found = services().get(digest(token))
      counted.inc({ result: found ? 'accepted' : 'unknown' })
      if (!found) return undefined
      push.beat(found.token, beat)
      const { service } = found
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
