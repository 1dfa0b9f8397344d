import type { Clock, HealingSkip, LeaseStore, Logger, Timer } from '@noa/core'
import { brandError, errorMessage, NoaError } from '@noa/core'

/** Why a run could not take its service, typed, with words for people. */
export interface LockRefusal {
  skip: Extract<HealingSkip, 'locked' | 'lease-held' | 'lease-unavailable' | 'closed'>
  reason: string
}

/** Options of {@link createServiceLock}. */
export interface ServiceLockOptions {
  /** With a lease store, one agent of several acts on a service at a time. */
  leases?: LeaseStore
  agentId: string
  ttlMs: number
  clock: Clock
  logger: Logger
}

/** The abort reason of a run whose lease another agent took, or could not be renewed in time. */
export class LeaseLostError extends NoaError {
  static {
    brandError(LeaseLostError, 'LeaseLostError')
  }

  constructor(message: string) {
    super(message, { code: 'ERR_LEASE_LOST' })
  }
}

/**
 * One healing per service at a time: in this process by a lock, across agents by a lease
 * renewed while the run lasts. A lease that is lost (another agent holds it, or it could not
 * be renewed before it ran out) aborts the run's signal, so its remaining steps do not act.
 */
export interface ServiceLock {
  isLocked(service: string): boolean
  /** Resolves once no run holds `service` (at once when none does) or the lock is closed. */
  waitFree(service: string): Promise<void>
  /**
   * Runs `body` holding `service`, with a signal aborted when the lease is lost or the lock
   * closes. Refuses at once when the service is held here or by another agent.
   */
  run<T>(
    service: string,
    useLease: boolean,
    body: (signal: AbortSignal) => Promise<T>,
  ): Promise<{ ok: true; value: T } | ({ ok: false } & LockRefusal)>
  /** Aborts every run and wakes every waiter. */
  close(): void
}

/** Creates the service lock of an engine. */
export function createServiceLock(options: ServiceLockOptions): ServiceLock {
  const held = new Map<string, AbortController>()
  const waiters = new Map<string, Array<() => void>>()
  let closed = false

  async function take(leases: LeaseStore, service: string): Promise<true | LockRefusal> {
    const { agentId, ttlMs, clock } = options
    try {
      if (await leases.acquireLease(leaseName(service), agentId, ttlMs, clock.now())) return true
      return { skip: 'lease-held', reason: `another agent is healing ${service}` }
    } catch (e) {
      return { skip: 'lease-unavailable', reason: `cannot take the lease of ${service}: ${errorMessage(e)}` }
    }
  }

  /**
   * Renews the lease every third of its TTL. A renewal that another agent refuses loses the
   * lease at once; a renewal that fails (store down) is retried until the lease would run out
   * before the next try, and then the run is aborted: after that, another agent may act.
   */
  function keep(leases: LeaseStore, service: string, controller: AbortController): Timer {
    const { agentId, ttlMs, clock, logger } = options
    const every = Math.max(1, Math.floor(ttlMs / 3))
    let heldUntil = clock.now() + ttlMs
    const lose = (why: string) => {
      logger.error('healing lease lost; the healing stops here', { service, error: why })
      controller.abort(new LeaseLostError(`lost the lease of ${service}: ${why}`))
    }
    let timer: Timer
    const tick = () => {
      const now = clock.now()
      leases.acquireLease(leaseName(service), agentId, ttlMs, now).then(
        (renewed) => {
          if (controller.signal.aborted) return
          if (!renewed) return lose('another agent holds it now')
          heldUntil = now + ttlMs
          timer = clock.setTimeout(tick, every)
        },
        (e) => {
          if (controller.signal.aborted) return
          logger.warn('cannot renew a healing lease', { service, error: errorMessage(e) })
          if (clock.now() + every >= heldUntil)
            return lose(`it could not be renewed before it ran out (${errorMessage(e)})`)
          timer = clock.setTimeout(tick, every)
        },
      )
    }
    timer = clock.setTimeout(tick, every)
    return { cancel: () => timer.cancel() }
  }

  return {
    isLocked: (service) => held.has(service),
    async waitFree(service) {
      while (held.has(service) && !closed)
        await new Promise<void>((resolve) => {
          const list = waiters.get(service) ?? []
          list.push(resolve)
          waiters.set(service, list)
        })
    },
    async run(service, useLease, body) {
      if (closed) return { ok: false, skip: 'closed', reason: 'the healing engine is closing' }
      if (held.has(service))
        return { ok: false, skip: 'locked', reason: `a healing of ${service} is already running` }
      const controller = new AbortController()
      held.set(service, controller)
      const leases = useLease ? options.leases : undefined
      let renewal: Timer | undefined
      try {
        if (leases) {
          const taken = await take(leases, service)
          if (taken !== true) return { ok: false, ...taken }
          renewal = keep(leases, service, controller)
        }
        return { ok: true, value: await body(controller.signal) }
      } finally {
        renewal?.cancel()
        held.delete(service)
        const woken = waiters.get(service) ?? []
        waiters.delete(service)
        for (const wake of woken) wake()
        if (leases && renewal)
          await leases
            .releaseLease(leaseName(service), options.agentId)
            .catch((e) =>
              options.logger.warn('cannot release a healing lease', { service, error: errorMessage(e) }),
            )
      }
    },
    close() {
      closed = true
      for (const c of held.values()) c.abort(new Error('the healing engine is closing'))
      for (const list of waiters.values()) for (const wake of list) wake()
      waiters.clear()
    },
  }
}

/** The lease that makes one agent the healer of a service. */
export const leaseName = (service: string): string => `healing:${service}`
