import type { AlertEngine } from '@noa/alerts'
import type { Clock, LeaseStore, Logger } from '@noa/core'
import { errorMessage } from '@noa/core'

/** The lease that picks the one agent of a shared store that evaluates rules and notifies. */
export const ALERTING_LEASE = 'alerting'

/** Options of {@link AlertingLeader}. */
export interface AlertingLeaderOptions {
  alerts: AlertEngine
  /** A shared store's leases; without them this agent alone alerts. */
  leases: LeaseStore | undefined
  agentId: string
  ttlMs: number
  clock: Clock
  logger: Logger
  /** Called when this agent takes the lease, to judge at once what went down meanwhile. */
  onLead(): Promise<void>
}

/**
 * Decides which agent evaluates rules and delivers notifications. Alone, this one; on a
 * shared store, the holder of the `alerting` lease, so an incident is notified once however
 * many agents share the store. On taking the lease the engine reloads the alert state and
 * its worker resumes the shared outbox; on losing it, the worker stops.
 */
export class AlertingLeader {
  readonly #o: AlertingLeaderOptions
  #leading = false
  #stopped = false

  constructor(options: AlertingLeaderOptions) {
    this.#o = options
  }

  /** Whether this agent evaluates the rules and delivers notifications now. */
  get leading(): boolean {
    return !this.#o.leases || this.#leading
  }

  /** How often the lease is renewed, in ms. */
  get renewEvery(): number {
    return Math.max(100, Math.floor(this.#o.ttlMs / 3))
  }

  /** Starts alerting alone, or takes the lease if it is free. */
  async start(): Promise<void> {
    if (this.#o.leases) await this.claim()
    else await this.#o.alerts.start()
  }

  /** Takes or renews the lease, and starts or stops alerting when that changed. */
  async claim(): Promise<void> {
    const { leases, alerts, agentId, ttlMs, clock, logger } = this.#o
    if (!leases || this.#stopped) return
    let held = false
    try {
      held = await leases.acquireLease(ALERTING_LEASE, agentId, ttlMs, clock.now())
    } catch (e) {
      logger.warn('cannot renew the alerting lease', { error: errorMessage(e) })
    }
    if (held === this.#leading || this.#stopped) return
    this.#leading = held
    if (held) {
      logger.info('alerting lease taken: this agent evaluates rules and delivers notifications', { agentId })
      await alerts.start()
      await this.#o.onLead()
    } else {
      logger.warn('alerting lease lost: another agent notifies', { agentId })
      await alerts.worker.stop()
    }
  }

  /** Stops alerting and gives the lease up so another agent takes over at once. */
  async stop(): Promise<void> {
    this.#stopped = true
    await this.#o.alerts.stop()
    const { leases, agentId, logger } = this.#o
    if (!leases || !this.#leading) return
    await leases
      .releaseLease(ALERTING_LEASE, agentId)
      .catch((e) => logger.warn('cannot release the alerting lease', { error: errorMessage(e) }))
  }
}
