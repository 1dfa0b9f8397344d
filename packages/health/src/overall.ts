import { type HealthState, isDown, type OverallStatus } from '@noa/core'

/**
 * The fleet's status: `unhealthy` when a critical service is down, `degraded` when only
 * non-critical ones are, `unknown` while a service has no result and none is down, else `healthy`.
 *
 * @example
 * ```ts
 * overallStatus([{ state: 'error', critical: false }, { state: 'healthy', critical: true }]) // 'degraded'
 * ```
 */
export function overallStatus(
  services: ReadonlyArray<{ state: HealthState; critical: boolean }>,
): OverallStatus {
  let status: OverallStatus = services.length === 0 ? 'unknown' : 'healthy'
  for (const s of services) {
    if (isDown(s.state)) {
      if (s.critical) return 'unhealthy'
      status = 'degraded'
    } else if (s.state === 'unknown' && status === 'healthy') status = 'unknown'
  }
  return status
}
