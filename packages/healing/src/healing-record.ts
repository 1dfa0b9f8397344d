import type { HealingOutcome, HealingRecord, HealingSkip, HealingTrigger, HealthState } from '@noa/core'
import { createId } from '@noa/core'

/** What every healing record says: which service, why, how, when and by whom. */
export interface RecordFields {
  service: string
  trigger: HealingTrigger
  /** The strategy that ran, or would have: `none` when no strategy answers the trigger. */
  strategy: string
  /** Epoch ms; also seeds the record's id. */
  startedAt: number
  outcome: HealingOutcome
  dryRun: boolean
  agentId: string
  reason?: string | undefined
  skip?: HealingSkip | undefined
  /** Set for a record that ends as it is made (a refusal). */
  endedAt?: number | undefined
  /** The person who asked for it, when one did. */
  requestedBy?: string | undefined
}

/**
 * The one place a healing record is made, for a healing that starts (`running`) and for one
 * refused before it acted (the lock, the lease or a guard said no; it ends as it starts).
 */
export function createHealingRecord(fields: RecordFields): HealingRecord {
  const record: HealingRecord = {
    id: createId('heal', fields.startedAt),
    service: fields.service,
    trigger: fields.trigger,
    strategy: fields.strategy,
    startedAt: fields.startedAt,
    ...(fields.endedAt === undefined ? {} : { endedAt: fields.endedAt }),
    outcome: fields.outcome,
    steps: [],
    dryRun: fields.dryRun,
    ...(fields.reason ? { reason: fields.reason } : {}),
    ...(fields.skip ? { skip: fields.skip } : {}),
    agentId: fields.agentId,
    ...(fields.requestedBy ? { requestedBy: fields.requestedBy } : {}),
  }
  return record
}

/** How a healing ended, besides its outcome. */
export interface RecordEnd {
  /** Why; a succeeded record without one drops the reason it started with. */
  reason?: string | undefined
  healthBefore?: HealthState | undefined
  healthAfter?: HealthState | undefined
  skip?: HealingSkip | undefined
}

/** The ended copy of `record`, with the steps given (the record's own when none are). */
export function endRecord(
  record: HealingRecord,
  outcome: HealingOutcome,
  endedAt: number,
  end: RecordEnd = {},
  steps: HealingRecord['steps'] = record.steps,
): HealingRecord {
  const done: HealingRecord = { ...record, steps: [...steps], outcome, endedAt }
  if (end.healthBefore) done.healthBefore = end.healthBefore
  if (end.reason) done.reason = end.reason
  else if (outcome === 'succeeded') delete done.reason
  if (end.healthAfter) done.healthAfter = end.healthAfter
  if (end.skip) done.skip = end.skip
  return done
}
