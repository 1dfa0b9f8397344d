import { type Clock, type HealingTrigger, type HealthState, isDown, type Timer } from '@noa/core'
import type { ProcessExit } from './executors/local/local.ts'
import type { Guards } from './guards.ts'

/** What a retry of an open circuit repeats. */
export interface RetryOf {
  trigger: HealingTrigger
  exit?: ProcessExit
}

/** What {@link createCircuitTimers} drives. */
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
export interface CircuitTimers {
  /** Remembers what the next retry of `service` repeats (the action the circuit held back). */
  remember(service: string, what: RetryOf): void
  /** What the checks see: a healthy service starts its stable period, a down one ends it. */
  health(service: string, state: HealthState): void
  /**
   * Makes sure the next retry of an open circuit is scheduled; `next` moves on to the next
   * (longer) wait, after a retry ran. Returns when it is due, undefined when none will come.
   */
  schedule(service: string, next: boolean): number | undefined
  /** Cancels every timer; nothing is scheduled after. */
  stop(): void
}

/** Creates the circuit timers of an engine. */
export function createCircuitTimers(deps: CircuitTimersDeps): CircuitTimers {
  const { guards, clock } = deps
  const retries = new Map<string, Timer>()
  const stable = new Map<string, Timer>()
  const healthOf = new Map<string, HealthState>()
  const retryOf = new Map<string, RetryOf>()
  let stopped = false

  function fire(service: string): void {
    retries.delete(service)
    if (stopped || !guards.isOpen(service)) return
    // Healthy now: the stable period decides; if it falls again its trigger schedules a retry.
    if (healthOf.get(service) === 'healthy') return
    const attempt = guards.snapshot(service, clock.now()).retries
    deps.retry(service, retryOf.get(service) ?? { trigger: 'service-down' }, attempt)
  }

  function armStable(service: string): void {
    const at = guards.stableAt(service)
    if (at === undefined || stable.has(service) || guards.settled(service)) return
    stable.set(
      service,
      clock.setTimeout(() => onStable(service), Math.max(0, at - clock.now())),
    )
  }

  function onStable(service: string): void {
    stable.delete(service)
    if (!guards.closeIfStable(service, clock.now())) {
      // A timer can fire a millisecond before the wall clock says the period is over (timers
      // run on the monotonic clock); health events come only on changes, so a service that
      // stays healthy would keep its circuit open for good. Try again when it is due.
      if (healthOf.get(service) === 'healthy') armStable(service)
      return
    }
    retries.get(service)?.cancel()
    retries.delete(service)
    retryOf.delete(service)
    deps.closed(service)
  }

  return {
    remember(service, what) {
      retryOf.set(service, what)
    },
    health(service, state) {
      if (stopped) return
      healthOf.set(service, state)
      if (state === 'healthy') {
        guards.healthy(service, clock.now())
        armStable(service)
      } else if (isDown(state)) {
        guards.down(service)
        stable.get(service)?.cancel()
        stable.delete(service)
      }
    },
    schedule(service, next) {
      if (stopped) return undefined
      const now = clock.now()
      const current = guards.snapshot(service, now)
      if (current.circuit === 'closed') return undefined
      if (!next && retries.has(service)) return current.nextRetryAt
      retries.get(service)?.cancel()
      const at =
        !next && current.nextRetryAt !== undefined && current.nextRetryAt > now
          ? current.nextRetryAt
          : guards.scheduleRetry(service, now)
      if (at === undefined) return undefined
      retries.set(
        service,
        clock.setTimeout(() => fire(service), at - now),
      )
      return at
    },
    stop() {
      stopped = true
      for (const timers of [retries, stable]) {
        for (const t of timers.values()) t.cancel()
        timers.clear()
      }
    },
  }
}
