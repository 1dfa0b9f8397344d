import { type HealingRecord, isDown } from '@noa/core'
import type { DrillFault, DrillResult } from './types.ts'

/** What a drill saw of the agent, from its event stream (times are the agent's, epoch ms). */
export type DrillEvent =
  | { type: 'change'; at: number; service: string; to: string }
  | { type: 'alert'; at: number; fingerprint: string; rule: string; state: string; service?: string }
  | { type: 'healing'; at: number; record: HealingRecord }
  | { type: 'escalation'; at: number; service: string; kind: string }

/** One drill's facts, for {@link measureDrill}. */
export interface DrillObservation {
  fault: DrillFault
  /** The service the drill was about (for dependency-down: the dependent). */
  service: string
  round: number
  /** Epoch ms the fault was injected (the first injection, for a fault made of several). */
  faultAt: number
  /** The services the fault was injected into. */
  faulted: readonly string[]
  /** Every service the fault may rightly touch: the faulted ones and what depends on them. */
  scope: readonly string[]
  /** How many times the fault was injected (a crash loop kills several times): the actions it deserves. */
  injections: number
  events: readonly DrillEvent[]
  /** Why the drill stopped waiting, when it was not because the service was healthy again. */
  gaveUp?: string
}

/** A healing that did not act is no action. */
const NOT_ACTED = new Set(['skipped', 'dry-run'])

/**
 * Turns what a drill saw into its result: time to detect (the fault to the first down state of
 * a faulted service), to alert (to the first firing alert in scope), to repair (to every faulted
 * service healthy again after it was seen down), the healings that acted in scope, the repairs
 * over one per injection (double actions; the degradation of a service whose restart budget is
 * spent is no repair), the alerts that fired for services outside the scope
 * (false alerts) and the outcome: healed when repaired, escalated when noa asked a person
 * (an escalation or a `service-degraded` alert) instead, failed otherwise.
 *
 * @example
 * ```ts
 * const result = measureDrill({ fault: 'crash', service: 'api', round: 0, faultAt, faulted: ['api'],
 *   scope: ['api'], injections: 1, events })
 * ```
 */
export function measureDrill(o: DrillObservation): DrillResult {
  const scope = new Set(o.scope)
  const after = o.events.filter((e) => e.at >= o.faultAt)

  const downAt = new Map<string, number>()
  const healthyAt = new Map<string, number>()
  for (const e of after) {
    if (e.type !== 'change' || !o.faulted.includes(e.service)) continue
    if (isDown(e.to) && !downAt.has(e.service)) downAt.set(e.service, e.at)
    else if (e.to === 'healthy' && downAt.has(e.service)) healthyAt.set(e.service, e.at)
  }
  const firstDown = Math.min(...downAt.values())
  const detectMs = downAt.size > 0 ? firstDown - o.faultAt : null
  const repaired = downAt.size > 0 && [...downAt.keys()].every((s) => healthyAt.has(s))
  const repairMs = repaired ? Math.max(...healthyAt.values()) - o.faultAt : null

  const firing = after.filter(
    (e): e is Extract<DrillEvent, { type: 'alert' }> => e.type === 'alert' && e.state === 'firing',
  )
  const inScope = firing.filter((a) => a.service !== undefined && scope.has(a.service))
  const alertMs = inScope.length > 0 ? Math.min(...inScope.map((a) => a.at)) - o.faultAt : null
  const falseAlerts = new Set(
    firing.filter((a) => a.service !== undefined && !scope.has(a.service)).map((a) => a.fingerprint),
  ).size

  // The stream sends a healing each time it starts, steps and ends: its last record counts.
  const healings = new Map<string, HealingRecord>()
  for (const e of after)
    if (e.type === 'healing' && scope.has(e.record.service)) healings.set(e.record.id, e.record)
  const acted = [...healings.values()].filter((r) => !NOT_ACTED.has(r.outcome) && !r.dryRun)
  const actions = acted.map((r) => `${r.service}: ${r.strategy} (${r.trigger}) ${r.outcome}`)
  // degrading a service whose restart budget is spent answers the budget, not the fault again
  const repairs = acted.filter((r) => r.trigger !== 'max-restarts')
  const doubleActions = Math.max(0, repairs.length - o.injections)

  const escalations = after.flatMap((e) =>
    e.type === 'escalation' && scope.has(e.service) ? [`${e.service} ${e.kind}`] : [],
  )
  const escalated = escalations.length > 0 || inScope.some((a) => a.rule === 'service-degraded')

  const outcome = repaired ? 'healed' : escalated ? 'escalated' : 'failed'
  const detail =
    outcome === 'healed'
      ? undefined
      : detectMs === null
        ? `the fault was not detected${o.gaveUp ? ` (${o.gaveUp})` : ''}`
        : outcome === 'escalated'
          ? `noa escalated to a person${escalations.length > 0 ? ` (${[...new Set(escalations)].join(', ')})` : ''}`
          : `not healthy again${o.gaveUp ? ` (${o.gaveUp})` : ''}`
  return {
    fault: o.fault,
    service: o.service,
    outcome,
    detectMs,
    alertMs,
    repairMs,
    actions,
    doubleActions,
    falseAlerts,
    round: o.round,
    ...(detail ? { detail } : {}),
  }
}
