import { type HealingRecord, type HealingStep, isDown } from '@noa/core'
import type { DrillEvent } from './measure.ts'
import type { DrillFault } from './types.ts'

/**
 * What tells, for one faulted service, that noa saw the fault and that it is over. The events
 * are the drill's, from the fault on.
 */
export interface FaultSigns {
  /** Epoch ms noa first saw the fault on `service`; undefined while it has not. */
  seen(events: readonly DrillEvent[], service: string): number | undefined
  /** Epoch ms the fault was over on `service` (after `seenAt`); undefined while it is not. */
  over(events: readonly DrillEvent[], service: string, seenAt: number): number | undefined
  /** Why a fault seen is not over, for the result's detail. */
  notOver: string
}

/** A healing that did not act is no action. */
export const NOT_ACTED: ReadonlySet<HealingRecord['outcome']> = new Set(['skipped', 'dry-run'])

/** Steps that look and wait (probes, `wait <n> ms`) but do not act on the service. */
const LOOKS = /^(check|wait) /

/** Whether a healing step acted on its service (a restart, a stop, a rollback), not only looked. */
export const actingStep = (step: HealingStep) => !LOOKS.test(step.name)

/**
 * Whether a healing record acted on its service (or is acting). An interrupted one acted only
 * if it got past looking (its agent killed mid-healing may have restarted nothing).
 */
export const acted = (record: HealingRecord) =>
  !NOT_ACTED.has(record.outcome) &&
  !record.dryRun &&
  (record.outcome !== 'interrupted' || record.steps.some(actingStep))

/** Whether a healing has not ended: acting, or waiting for a person's approval (a rollback). */
export const inFlight = (record: HealingRecord) =>
  record.outcome === 'running' || record.outcome === 'awaiting-approval'

type Change = Extract<DrillEvent, { type: 'change' }>
const changesOf = (events: readonly DrillEvent[], service: string) =>
  events.filter((e): e is Change => e.type === 'change' && e.service === service)

/**
 * Faults that take the service down (crash, hang, slow, errors, a stopped dependency, a crash
 * loop): seen at its first down state, over at its last healthy state after it.
 */
const downSigns: FaultSigns = {
  seen: (events, service) => changesOf(events, service).find((c) => isDown(c.to))?.at,
  over(events, service, seenAt) {
    return changesOf(events, service)
      .filter((c) => c.at >= seenAt && c.to === 'healthy')
      .at(-1)?.at
  },
  notOver: 'not healthy again',
}

/** The last record of each healing of `service` (the stream sends one as it starts, steps and ends). */
function healingsOf(events: readonly DrillEvent[], service: string): HealingRecord[] {
  const last = new Map<string, HealingRecord>()
  for (const e of events)
    if (e.type === 'healing' && e.record.service === service) last.set(e.record.id, e.record)
  return [...last.values()]
}

/**
 * Faults that change no health state (a memory growth, a bad deploy whose requests fail while
 * its health check passes): seen at the first alert that fires for the service or the first
 * healing that acts on it, whichever comes first; over once every alert that fired for it
 * resolved (its rule's condition no longer holds: the memory is back under the threshold), the
 * healings that acted ended (a rollback once approved and verified), and the service, if it
 * went down meanwhile (a restart), is healthy again. Over at the last of these.
 */
const alertSigns: FaultSigns = {
  seen(events, service) {
    const times = events.flatMap((e) =>
      (e.type === 'alert' && e.state === 'firing' && e.service === service) ||
      (e.type === 'healing' && e.record.service === service && acted(e.record))
        ? [e.at]
        : [],
    )
    return times.length > 0 ? Math.min(...times) : undefined
  },
  over(events, service, seenAt) {
    const open = new Set<string>()
    let last = seenAt
    for (const e of events) {
      if (e.type !== 'alert' || e.service !== service) continue
      if (e.state === 'firing') open.add(e.fingerprint)
      else if (e.state === 'resolved' && open.delete(e.fingerprint)) last = Math.max(last, e.at)
    }
    if (open.size > 0) return undefined
    for (const record of healingsOf(events, service).filter(acted)) {
      if (inFlight(record)) return undefined
      last = Math.max(last, record.endedAt ?? record.startedAt)
    }
    const changes = changesOf(events, service).filter((c) => c.at >= seenAt)
    const lastDown = changes.findLastIndex((c) => isDown(c.to))
    if (lastDown >= 0) {
      const healthy = changes.slice(lastDown).find((c) => c.to === 'healthy')
      if (!healthy) return undefined
      last = Math.max(last, healthy.at)
    }
    return last
  },
  notOver: 'its alerts did not resolve with the service healthy',
}

/** The signs of `fault`: the one place that says how each fault shows. */
export function signsOf(fault: DrillFault): FaultSigns {
  return fault === 'memory' || fault === 'bad-deploy' ? alertSigns : downSigns
}
