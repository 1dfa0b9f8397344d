import type { HealingRecord } from '@noa/core'
import { acted, signsOf } from './signs.ts'
import type { DrillFault, DrillResult } from './types.ts'

/** What a drill saw of the agent, from its event stream (times are the agent's, epoch ms). */
export type DrillEvent =
  | { type: 'change'; at: number; service: string; to: string }
  | { type: 'alert'; at: number; fingerprint: string; rule: string; state: string; service?: string }
  | { type: 'healing'; at: number; record: HealingRecord }
  | { type: 'escalation'; at: number; service: string; kind: string }
  /** noa asked a person to allow an action (a rollback): `at` is when it asked. */
  | { type: 'approval'; at: number; id: string; service: string; action: string; status: string }

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

/**
 * Turns what a drill saw into its result: time to detect (the fault to when noa first saw it on
 * a faulted service), to alert (to the first firing alert in scope), to repair (to when it was
 * over on every faulted service it was seen on), the healings that acted in scope, the repairs
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

  // What tells that the fault was seen and is over depends on the fault (see signs.ts): a down
  // state and a healthy one for most, a firing alert and its resolution for a memory growth.
  const signs = signsOf(o.fault)
  const seenAt = new Map<string, number>()
  const overAt = new Map<string, number>()
  for (const service of o.faulted) {
    const seen = signs.seen(after, service)
    if (seen === undefined) continue
    seenAt.set(service, seen)
    const over = signs.over(after, service, seen)
    if (over !== undefined) overAt.set(service, over)
  }
  const detectMs = seenAt.size > 0 ? Math.min(...seenAt.values()) - o.faultAt : null
  const repaired = seenAt.size > 0 && overAt.size === seenAt.size
  const repairMs = repaired ? Math.max(...overAt.values()) - o.faultAt : null

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
  const acting = [...healings.values()].filter(acted)
  const actions = acting.map((r) => `${r.service}: ${r.strategy} (${r.trigger}) ${r.outcome}`)
  // degrading a service whose restart budget is spent answers the budget, not the fault again
  const repairs = acting.filter((r) => r.trigger !== 'max-restarts')
  const doubleActions = Math.max(0, repairs.length - o.injections)

  // an approval noa asks for is a person's decision too: unless the drill gave it and the
  // fault was repaired, the drill ends with noa waiting for a person
  const escalations = after.flatMap((e) =>
    e.type === 'escalation' && scope.has(e.service)
      ? [`${e.service} ${e.kind}`]
      : e.type === 'approval' && scope.has(e.service)
        ? [`${e.service} ${e.action} awaits approval`]
        : [],
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
          : `${signs.notOver}${o.gaveUp ? ` (${o.gaveUp})` : ''}`
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
