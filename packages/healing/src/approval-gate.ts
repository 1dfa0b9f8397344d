import type { Approval, ApprovalDecision, ApprovalStore, Clock } from '@noa/core'
import { createId, errorMessage } from '@noa/core'
import type { ApprovalResult } from './strategy.ts'

/** Options of {@link createApprovalGate}. */
export interface ApprovalGateOptions {
  /** Where approvals live; without one, every approval asked for is refused. */
  store: ApprovalStore | undefined
  clock: Clock
  /** How long a new approval stays pending before it expires. */
  timeoutMs: number
  /** How often a waiting healing reads its approval again (a decision made by another agent). */
  pollMs: number
  /** Called with a newly created approval. */
  requested(approval: Approval): void
}

/**
 * Where a healing that needs a person's approval waits: it asks once, then waits for a
 * decision, the expiry or the end of the engine. A decision made through the gate wakes its
 * waiter at once; one made elsewhere (another agent, the store directly) is read at the next
 * poll.
 */
export interface ApprovalGate {
  /**
   * Waits for a person to decide on `action` for `service`. A pending approval for the same
   * service and action that has not expired is waited on again instead of asking twice, so an
   * approval asked before the agent restarted can still be decided and acted on. Never throws:
   * a store that fails ends as `rejected` with the error.
   */
  wait(service: string, action: string, reason: string, signal: AbortSignal): Promise<ApprovalResult>
  /** Decides a pending approval and wakes the healing waiting for it; undefined when unknown or already decided. */
  decide(id: string, decision: ApprovalDecision): Promise<Approval | undefined>
  /** Ends every wait as `interrupted`: the approvals stay pending, for the next start. */
  close(): void
}

/**
 * Creates the approval gate of an engine.
 *
 * @example
 * ```ts
 * const gate = createApprovalGate({ store, clock, timeoutMs: 3_600_000, pollMs: 1000, requested: notify })
 * const { status } = await gate.wait('api', 'rollback', 'deployment failed', signal)
 * ```
 */
export function createApprovalGate(options: ApprovalGateOptions): ApprovalGate {
  const { store, clock } = options
  /** Wakers by approval id: a decision made through this gate wakes its waiter at once. */
  const waiters = new Map<string, () => void>()
  let closed = false

  async function create(service: string, action: string, reason: string): Promise<Approval> {
    const requestedAt = clock.now()
    const fresh: Approval = {
      id: createId('appr', requestedAt),
      service,
      action,
      reason,
      requestedAt,
      expiresAt: requestedAt + options.timeoutMs,
      status: 'pending',
    }
    await store!.createApproval(fresh)
    options.requested(fresh)
    return fresh
  }

  return {
    async wait(service, action, reason, signal) {
      if (!store)
        return { status: 'rejected', error: 'approval required, but no approval store is configured' }
      let approval: Approval
      try {
        approval =
          (await pendingFor(store, service, action, clock.now())) ?? (await create(service, action, reason))
      } catch (e) {
        return { status: 'rejected', error: `cannot create the approval: ${errorMessage(e)}` }
      }
      try {
        for (;;) {
          const current = await store.getApproval(approval.id)
          if (current && current.status !== 'pending') return { status: current.status, approval: current }
          // Stopping is not a decision: the approval stays pending and is waited on again at the next start.
          if (closed || signal.aborted) return { status: 'interrupted', approval }
          const remaining = approval.expiresAt - clock.now()
          if (remaining <= 0) {
            const expired = await store.decideApproval(approval.id, { status: 'expired', at: clock.now() })
            if (expired) return { status: 'expired', approval: expired }
            continue // decided at the last moment: read it above
          }
          const wake = new AbortController()
          waiters.set(approval.id, () => wake.abort())
          await clock.sleep(Math.min(remaining, options.pollMs), wake.signal).catch(() => {})
        }
      } catch (e) {
        return { status: 'rejected', error: `approval store failed: ${errorMessage(e)}` }
      } finally {
        waiters.delete(approval.id)
      }
    },
    async decide(id, decision) {
      if (!store) return undefined
      const decided = await store.decideApproval(id, decision)
      waiters.get(id)?.()
      return decided
    },
    close() {
      closed = true
      for (const wake of waiters.values()) wake()
    },
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
