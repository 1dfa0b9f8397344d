import type { Clock, HealingRecord, HealthState, Logger } from '@noa/core'
import { createCircuitTimers, type RetryOf } from './circuit-timers.ts'
import type { ProcessExit } from './executors/local/local.ts'
import { createGuards, type GuardSnapshot, type Guards, type GuardVerdict } from './guards.ts'
import type { ResolvedSelfHealing } from './options.ts'
import type { HealingEscalation, Incident, Strategy } from './strategy.ts'

/** The engine's view of one service, for rules, the API and tests. */
export interface ServiceGuardState extends GuardSnapshot {
  /** The restart budget was spent: the service runs degraded until it is stable again. */
  degraded: boolean
  /** The latest healing failed and the service has not been healthy since. */
  healingFailed: boolean
}

/** The guard state of a service no guard has counted anything of. */
const UNTOUCHED: Readonly<ServiceGuardState> = Object.freeze({
  restartsInWindow: 0,
  consecutive: 0,
  failures: 0,
  circuit: 'closed',
  retries: 0,
  degraded: false,
  healingFailed: false,
})

/** Options of {@link createGuardGate}. */
export interface GuardGateOptions {
  options: ResolvedSelfHealing
  clock: Clock
  logger: Logger
  /** Runs the retry of an open circuit (a healing with `retry` set). */
  retry(service: string, what: RetryOf, attempt: number): void
  /** Something a person should know. */
  escalate(escalation: Omit<HealingEscalation, 'at'>): void
  /** The service stayed healthy for the stable period: its circuit closed. */
  recovered(info: { service: string; at: number }): void
}

/**
 * The guards step of a healing, and what follows from its answers: the restart budget, the
 * cooldown and the circuit of each service (see {@link Guards}), the retries of open circuits,
 * and the degraded and failed marks. A refusal that spends the budget degrades the service and
 * escalates once; a healing that fails is counted and may open the circuit.
 */
export interface GuardGate {
  /** The counts themselves, for the run context (a strategy that restarts other services). */
  readonly guards: Guards
  /** May `strategy` act now for `incident`? `retry`: the circuit's own retry. */
  check(strategy: Strategy, incident: Incident, retry: boolean): GuardVerdict
  /**
   * Follows a refusal up (after its record is saved): remembers what the circuit's retry
   * repeats and schedules it; when this refusal spent the budget, marks the service
   * degraded and escalates. True when the caller should degrade the service now.
   */
  refused(incident: Incident, verdict: Extract<GuardVerdict, { allowed: false }>, at: number): boolean
  /** A healing that acted ended: counts it, escalates a failure, opens the circuit after too many. */
  settle(strategy: Strategy, incident: Incident, finished: HealingRecord): void
  /** A supervised process exited: a run longer than the stable period was a recovery. */
  exited(exit: ProcessExit): void
  /** A retry of the open circuit ran: the next one waits longer. */
  retried(service: string): void
  state(service: string): Readonly<ServiceGuardState>
  /** What the checks see: a healthy service clears its failed mark and starts its stable period. */
  noteHealth(service: string, state: HealthState): void
  /** Cancels every timer. */
  stop(): void
}

/** Creates the guards of an engine from `selfHealing`. */
export function createGuardGate(gate: GuardGateOptions): GuardGate {
  const { options, clock, logger, escalate } = gate
  const { circuitBreaker: circuit } = options
  const guards = createGuards({
    maxRestarts: options.maxRestarts,
    restartWindowMs: options.restartWindow,
    maxConsecutive: options.strategies.serviceRestart.maxConsecutive,
    circuitThreshold: circuit.failureThreshold,
    retryInitialMs: circuit.retryInitial,
    retryMaxMs: circuit.coolOff,
    stablePeriodMs: circuit.stablePeriod,
    onBudgetSpent: options.onBudgetSpent,
  })
  const degraded = new Set<string>()
  const failed = new Set<string>()
  const circuits = createCircuitTimers({
    guards,
    clock,
    retry: gate.retry,
    closed: (service) => {
      degraded.delete(service)
      logger.info('service stable again: circuit closed', { service })
      gate.recovered({ service, at: clock.now() })
    },
  })
  const remember = (incident: Incident) =>
    circuits.remember(incident.service, {
      trigger: incident.trigger,
      ...(incident.exit ? { exit: incident.exit } : {}),
    })
  const inSeconds = (at: number, now: number) => Math.round((at - now) / 1000)

  return {
    guards,
    check: (strategy, incident, retry) =>
      guards.check(incident.service, {
        now: clock.now(),
        restarts: strategy.restarts,
        cooldownMs: strategy.cooldown?.(options) ?? 0,
        retry,
        manual: incident.trigger === 'manual',
      }),
    refused(incident, verdict, at) {
      const { service } = incident
      if (verdict.skip === 'cooldown') return false
      remember(incident)
      if (!verdict.opened) {
        circuits.schedule(service, false)
        return false
      }
      // The budget is spent: degrade once, tell a person, and keep retrying with backoff.
      degraded.add(service)
      const nextRetryAt = circuits.schedule(service, false)
      escalate({
        service,
        severity: 'critical',
        kind: 'budget-spent',
        message:
          nextRetryAt === undefined
            ? `${verdict.reason}; no more restarts until a person acts (selfHealing.onBudgetSpent is "stop")`
            : `${verdict.reason}; retrying with backoff, next in ${inSeconds(nextRetryAt, at)} s`,
        ...(nextRetryAt === undefined ? {} : { nextRetryAt }),
      })
      return true
    },
    settle(strategy, incident, finished) {
      const { service } = incident
      const { outcome } = finished
      if (outcome !== 'succeeded' && outcome !== 'failed') return
      const opened = guards.settle(service, outcome === 'succeeded', clock.now())
      if (strategy.name === 'graceful-degradation') {
        if (outcome === 'succeeded') degraded.add(service)
        return
      }
      if (outcome === 'succeeded') {
        failed.delete(service)
        return
      }
      failed.add(service)
      escalate({
        service,
        severity: 'warning',
        kind: 'healing-failed',
        message: `healing ${strategy.name} of ${service} failed: ${finished.reason ?? 'no reason given'}`,
      })
      if (!opened) return
      remember(incident)
      const nextRetryAt = circuits.schedule(service, false)
      escalate({
        service,
        severity: 'critical',
        kind: 'circuit-open',
        message: `healings of ${service} failed ${circuit.failureThreshold} times in a row; circuit open${
          nextRetryAt === undefined ? '' : `, next retry in ${inSeconds(nextRetryAt, clock.now())} s`
        }`,
        ...(nextRetryAt === undefined ? {} : { nextRetryAt }),
      })
    },
    exited(exit) {
      if (exit.uptimeMs >= circuit.stablePeriod) guards.recovered(exit.service)
    },
    retried: (service) => void circuits.schedule(service, true),
    state(service) {
      const isDegraded = degraded.has(service)
      const healingFailed = failed.has(service)
      // A service never restarted and never failed gets one shared frozen answer: the agent
      // reads every service's guard at each metrics round, and at 10,000 services two objects
      // a read were garbage every few seconds.
      if (!isDegraded && !healingFailed && guards.untouched(service)) return UNTOUCHED
      return { ...guards.snapshot(service, clock.now()), degraded: isDegraded, healingFailed }
    },
    noteHealth(service, state) {
      if (state === 'healthy') failed.delete(service)
      circuits.health(service, state)
    },
    stop: () => circuits.stop(),
  }
}
