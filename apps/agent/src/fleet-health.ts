import { isDown, type OverallStatus } from '@noa/core'

/**
 * Whether a service counts as down for the fleet: down (`unhealthy` or `error`) and not covered
 * by a maintenance window. Planned work is not an outage: the service keeps its real state in
 * every answer (marked `maintenance`), but it makes neither the overall status, nor
 * `criticalDown`, nor a group's or tag's `down` count worse. The one rule behind `/api/status`,
 * `/api/summary`, the `summary` event and the status page's banner.
 *
 * @example
 * ```ts
 * countsAsDown('error', false) // true
 * countsAsDown('error', true) // false: in maintenance
 * ```
 */
export function countsAsDown(state: string | undefined, inMaintenance: boolean): boolean {
  return isDown(state) && !inMaintenance
}

/** A fleet in the tallies its overall status is made of, each service counted by {@link countsAsDown}. */
export interface FleetTally {
  total: number
  /** Services that count as down. */
  down: number
  /** Critical services that count as down. */
  criticalDown: number
  unknown: number
}

/**
 * The fleet's overall status from its tallies: `unhealthy` when a critical service counts as
 * down, `degraded` when only others do, `unknown` while a service has no result yet (or there is
 * none), `healthy` otherwise. `@noa/health`'s `overallStatus` with the maintenance rule: kept
 * as counts, so an answer reads no list.
 *
 * @example
 * ```ts
 * overallOf({ total: 3, down: 1, criticalDown: 0, unknown: 0 }) // 'degraded'
 * ```
 */
export function overallOf(tally: FleetTally): OverallStatus {
  if (tally.total === 0) return 'unknown'
  if (tally.criticalDown > 0) return 'unhealthy'
  if (tally.down > 0) return 'degraded'
  return tally.unknown > 0 ? 'unknown' : 'healthy'
}

/**
 * The tallies of a list of services (a health summary's), each counted by {@link countsAsDown}.
 *
 * @example
 * ```ts
 * overallOf(tallyOf(summary.services, (name) => windows.covering(name) !== undefined))
 * ```
 */
export function tallyOf(
  services: readonly { service: string; state: string; critical: boolean }[],
  inMaintenance: (service: string) => boolean,
): FleetTally {
  const tally = { total: services.length, down: 0, criticalDown: 0, unknown: 0 }
  for (const s of services)
    if (countsAsDown(s.state, inMaintenance(s.service))) {
      tally.down++
      if (s.critical) tally.criticalDown++
    } else if (s.state === 'unknown') tally.unknown++
  return tally
}
