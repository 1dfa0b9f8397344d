import type {
  ApprovalStore,
  HealingAudit,
  HealingRecord,
  HealingTrigger,
  LeaseStore,
  Logger,
} from '@noa/core'
import { errorMessage } from '@noa/core'
import { endRecord } from './healing-record.ts'
import { leaseName } from './service-lock.ts'

/** What a starting engine needs to clean up after a crash. */
export interface CrashRecoveryDeps {
  audit: HealingAudit | undefined
  leases: LeaseStore | undefined
  approvals: ApprovalStore | undefined
  agentId: string
  now: number
  logger: Logger
  /** Saves, logs and announces a record closed as interrupted. */
  finished(record: HealingRecord): Promise<void>
}

/**
 * Closes as `interrupted` the healings a crash left `running` or awaiting approval. With
 * several agents, a healing whose service lease another live agent holds is left to it; this
 * agent's own lease (same agent id) is released. Returns the records closed.
 */
export async function closeInterrupted(deps: CrashRecoveryDeps): Promise<HealingRecord[]> {
  const { audit, leases, agentId, now, logger } = deps
  if (!audit) return []
  const closed: HealingRecord[] = []
  try {
    for (const outcome of ['running', 'awaiting-approval'] as const) {
      const left = (await audit.healings({ outcome, limit: 1000 })).filter((r) => r.outcome === outcome)
      for (const record of left) {
        if (leases) {
          const holder = await leases.leaseHolder(leaseName(record.service), now)
          if (holder && holder.holder !== agentId) continue
          if (holder) await leases.releaseLease(leaseName(record.service), agentId)
        }
        const done = endRecord(record, 'interrupted', now, {
          reason:
            outcome === 'running'
              ? 'the agent stopped before this healing ended'
              : 'the agent stopped while this healing awaited approval; the approval stays pending',
        })
        await deps.finished(done)
        closed.push(done)
      }
    }
  } catch (e) {
    logger.error('cannot close the healings left running by a crash', { error: errorMessage(e) })
  }
  if (closed.length > 0)
    logger.warn('healings left running by a crash closed as interrupted', { count: closed.length })
  return closed
}

/**
 * The healings to run again because they wait for a still-pending approval, so a decision
 * taken after a restart is acted on: one per service and action, with the trigger of the
 * interrupted record (or the trigger whose strategy is the approval's action).
 */
export async function approvalsToResume(
  deps: Pick<CrashRecoveryDeps, 'approvals' | 'now' | 'logger'>,
  interrupted: readonly HealingRecord[],
  knows: (service: string) => boolean,
  triggerFor: (action: string) => HealingTrigger | undefined,
): Promise<Array<{ trigger: HealingTrigger; service: string; approvalId: string }>> {
  const store = deps.approvals
  if (!store) return []
  try {
    const pending = (await store.approvals({ status: 'pending', limit: 100 })).filter(
      (a) => a.expiresAt > deps.now,
    )
    const resume = new Map<string, { trigger: HealingTrigger; service: string; approvalId: string }>()
    for (const approval of pending) {
      const key = `${approval.service}\u0000${approval.action}`
      if (resume.has(key) || !knows(approval.service)) continue
      const trigger =
        interrupted.find((r) => r.service === approval.service && r.strategy === approval.action)?.trigger ??
        triggerFor(approval.action)
      if (trigger) resume.set(key, { trigger, service: approval.service, approvalId: approval.id })
    }
    return [...resume.values()]
  } catch (e) {
    deps.logger.error('cannot resume the pending approvals', { error: errorMessage(e) })
    return []
  }
}
