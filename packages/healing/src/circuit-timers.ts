import type { Clock, HealingTrigger, HealthState, Timer } from '@noa/core'
import type { ProcessExit } from './executors/local/local.ts'
import type { Guards } from './guards.ts'

/** What a retry of an open circuit repeats. */
export interface RetryOf {
  trigger: HealingTrigger
  exit?: ProcessExit
}

/** What {@link CircuitTimers} drives. */
export interface CircuitTimersDeps {
  guards: Guards
  clock: Clock
  /** Runs the circuit's retry of `service`. */
  retry(service: string, what: RetryOf, attempt: number): void
  /** The service stayed healthy for the stable period and its circuit closed. */
  closed(service: string): void
}

/**
 * The timers of the services' circuits: the next retry of each open circuit (CrashLoopBackOff)
 * and the stable period of each healthy service that has counts to reset.
 */
export class CircuitTimers {
  readonly #deps: CircuitTimersDeps
  readonly #retries = new Map<string, Timer>()
  readonly #stable = new Map<string, Timer>()
  readonly #health = new Map<string, HealthState>()
  readonly #retryOf = new Map<string, RetryOf>()
  #stopped = false

  constructor(deps: CircuitTimersDeps) {
    this.#deps = deps
  }

  /** Remembers what the next retry of `service` repeats (the action the circuit held back). */
  remember(service: string, what: RetryOf): void {
    this.#retryOf.set(service, what)
  }

  /** What the checks see: a healthy service starts its stable period, a down one ends it. */
  health(service: string, state: HealthState): void {
    if (this.#stopped) return
    const { guards, clock } = this.#deps
    this.#health.set(service, state)
    if (state === 'healthy') {
      guards.healthy(service, clock.now())
      const at = guards.stableAt(service)
      if (at === undefined || this.#stable.has(service) || guards.settled(service)) return
      this.#stable.set(
        service,
        clock.setTimeout(() => this.#onStable(service), Math.max(0, at - clock.now())),
      )
    } else if (state === 'unhealthy' || state === 'error') {
      guards.down(service)
      this.#stable.get(service)?.cancel()
      this.#stable.delete(service)
    }
  }

  /**
   * Makes sure the next retry of an open circuit is scheduled; `next` moves on to the next
   * (longer) wait, after a retry ran. Returns when it is due, undefined when none will come.
   */
  schedule(service: string, next: boolean): number | undefined {
    if (this.#stopped) return undefined
    const { guards, clock } = this.#deps
    const now = clock.now()
    const current = guards.snapshot(service, now)
    if (current.circuit === 'closed') return undefined
    if (!next && this.#retries.has(service)) return current.nextRetryAt
    this.#retries.get(service)?.cancel()
    const at =
      !next && current.nextRetryAt !== undefined && current.nextRetryAt > now
        ? current.nextRetryAt
        : guards.scheduleRetry(service, now)
    if (at === undefined) return undefined
    this.#retries.set(
      service,
      clock.setTimeout(() => this.#fire(service), at - now),
    )
    return at
  }

  stop(): void {
    this.#stopped = true
    for (const timers of [this.#retries, this.#stable]) {
      for (const t of timers.values()) t.cancel()
      timers.clear()
    }
  }

  #fire(service: string): void {
    this.#retries.delete(service)
    const { guards, clock } = this.#deps
    if (this.#stopped || !guards.isOpen(service)) return
    // Healthy now: the stable period decides; if it falls again its trigger schedules a retry.
    if (this.#health.get(service) === 'healthy') return
    const attempt = guards.snapshot(service, clock.now()).retries
    this.#deps.retry(service, this.#retryOf.get(service) ?? { trigger: 'service-down' }, attempt)
  }

  #onStable(service: string): void {
    this.#stable.delete(service)
    if (!this.#deps.guards.closeIfStable(service, this.#deps.clock.now())) return
    this.#retries.get(service)?.cancel()
    this.#retries.delete(service)
    this.#retryOf.delete(service)
    this.#deps.closed(service)
  }
}
