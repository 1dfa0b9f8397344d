import type { Approval, ApprovalStore, Clock } from '@noa/core'
import { createId, errorMessage } from '@noa/core'
import type { ApprovalResult } from './strategy.ts'

/** What {@link waitForApproval} needs. */
export interface ApprovalWaitDeps {
  store: ApprovalStore | undefined
  clock: Clock
  timeoutMs: number
  pollMs: number
  /** Wakers by approval id: a decision made through this engine wakes its waiter at once. */
  waiters: Map<string, () => void>
  /** Called with a newly created approval. */
  requested(approval: Approval): void
  /** True once the engine closes: a waiting approval then expires. */
  closed(): boolean
}

/**
 * Waits for a person to decide on `action` for `service`. A pending approval for the same
 * service and action that has not expired is waited on again instead of asking twice, so an
 * approval asked before the agent restarted can still be decided and acted on.
 */
export async function waitForApproval(
  deps: ApprovalWaitDeps,
  service: string,
  action: string,
  reason: string,
  signal: AbortSignal,
): Promise<ApprovalResult> {
  const { store, clock } = deps
  if (!store) return { status: 'rejected', error: 'approval required, but no approval store is configured' }
  let approval: Approval
  try {
    approval = (await pendingFor(store, service, action, clock.now())) ?? (await create())
  } catch (e) {
    return { status: 'rejected', error: `cannot create the approval: ${errorMessage(e)}` }
  }
  async function create(): Promise<Approval> {
    const requestedAt = clock.now()
    const fresh: Approval = {
      id: createId('appr', requestedAt),
      service,
      action,
      reason,
      requestedAt,
      expiresAt: requestedAt + deps.timeoutMs,
      status: 'pending',
    }
    await store!.createApproval(fresh)
    deps.requested(fresh)
    return fresh
  }
  try {
    for (;;) {
      const current = await store.getApproval(approval.id)
      if (current && current.status !== 'pending') return { status: current.status, approval: current }
      // Stopping is not a decision: the approval stays pending and is waited on again at the next start.
      if (deps.closed() || signal.aborted) return { status: 'interrupted', approval }
      const remaining = approval.expiresAt - clock.now()
      if (remaining <= 0) {
        const expired = await store.decideApproval(approval.id, { status: 'expired', at: clock.now() })
        if (expired) return { status: 'expired', approval: expired }
        continue // decided at the last moment: read it above
      }
      const wake = new AbortController()
      deps.waiters.set(approval.id, () => wake.abort())
      await clock.sleep(Math.min(remaining, deps.pollMs), wake.signal).catch(() => {})
    }
  } catch (e) {
    return { status: 'rejected', error: `approval store failed: ${errorMessage(e)}` }
  } finally {
    deps.waiters.delete(approval.id)
  }
}

async function pendingFor(
  store: ApprovalStore,
  service: string,
  action: string,
  now: number,
): Promise<Approval | undefined> {
  const pending = await store.approvals({ service, status: 'pending', limit: 100 })
  return pending.find((a) => a.action === action && a.expiresAt > now)
}
