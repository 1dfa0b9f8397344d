import type { CheckResult, Clock, HealingRecord, HealingTrigger, Logger, Timer } from '@noa/core'
import { errorMessage, isDown } from '@noa/core'
import type { HealingEngine, ProcessExit } from '@noa/healing'
import type { HealthChange, HealthMonitor } from '@noa/health'

/**
 * Why the router started no healing:
 * - `healing-off`: self-healing is disabled, or this agent does not run the healing component
 * - `no-executor`: the service has nothing noa can act through
 * - `supervisor-restarts`: the service is down because its process exited, and that exit is restarted
 * - `same-incident`: the service is already down and this fault is being handled
 * - `dependency-down`: a dependency is down; it is healed first, the service after it recovers
 * - `flapping`: the service keeps changing state; restarting it would add to the churn
 * - `no-target`: a rule asked for a healing that no service can receive
 * - `checked-elsewhere`: another agent sharing the fleet checks and heals this service
 * - `slo-budget-spent`: the healing is a risky one (rollback, scale-up) and the service's error
 *   budget is spent with `slo.holdRiskyHealing` on: a person decides
 * - `maintenance`: a maintenance window covers the service: people are working on it, so noa
 *   neither heals it nor restarts its exited process; what is still down when the window ends is healed then
 */
export type NoHealing =
  | 'healing-off'
  | 'no-executor'
  | 'supervisor-restarts'
  | 'same-incident'
  | 'dependency-down'
  | 'flapping'
  | 'no-target'
  | 'checked-elsewhere'
  | 'slo-budget-spent'
  | 'maintenance'

/** What made the router decide. */
export type DecisionEvent =
  | 'state-change'
  | 'process-exit'
  | 'rule'
  | 'dependency-recovered'
  | 'restart-unverified'
  | 'lease-retry'
  | 'flapping-stopped'
  | 'maintenance-ended'

/** One decision: a healing started, or the typed reason none was. */
export type Decision = {
  event: DecisionEvent
  service: string
  trigger: HealingTrigger
  at: number
} & ({ heal: true } | { heal: false; reason: NoHealing })

/** What the router reads and drives. */
export interface IncidentRouterDeps {
  health: HealthMonitor
  healing: HealingEngine
  /** False when self-healing is off or this agent does not run the healing component. */
  enabled: boolean
  /**
   * How long after a supervisor's restart the service must answer before it counts as a hang:
   * at least this, three check intervals of the service, and 10 s (a slow start is not a hang).
   */
  verifyAfterMs: number
  /** Wait before trying again a healing left to an agent that may have died. */
  leaseRetryMs: number
  clock: Clock
  logger: Logger
  /** Every decision, for the event stream, counters and logs. */
  decided(decision: Decision): void
  /** Whether this agent checks the service, and so heals it when down (agents sharing a fleet). @default every service */
  owns?: (service: string) => boolean
  /**
   * Whether the healing of `service` for `trigger` is held: a risky strategy (rollback,
   * scale-up) while the service's error budget is spent (see slo/hold.ts). @default never
   */
  holds?: (service: string, trigger: HealingTrigger) => boolean
  /** Whether a maintenance window covers the service now: then nothing heals it. @default never */
  inMaintenance?: (service: string) => boolean
}

/** An open incident: a service went down and has not been healthy since. */
interface Incident {
  /** What took the service down: its process exited (the supervisor restarts it) or a check failed. */
  cause: 'process-exit' | 'check'
  /** Held back until the dependencies that block it recover. */
  waitingFor?: readonly string[]
  /** Held back while the service flapped: healed when it stops flapping, if still down. */
  heldForFlapping?: boolean
}

/**
 * A check can see a supervised process gone (connection refused) a moment before its
 * supervisor reports the exit. A down state of a supervised service is judged this long after
 * it is seen, so an exit that arrives meanwhile is taken as the cause: one fault, one action.
 */
export const EXIT_SETTLE_MS = 200

/**
 * The one place that decides which healing runs for a state change, a process exit or a
 * firing rule, and why none does. One fault gives one action:
 *
 * - A supervised process that exits is restarted by its supervisor (`process-exit`) at once.
 *   The state change that exit causes starts nothing more; if the restarted process still does
 *   not answer after a start-up grace (see `verifyAfterMs`) it is treated as a hang.
 * - A service that goes down (unhealthy or in error) gets one `service-down` healing for the
 *   whole incident, which ends when it is healthy again. Further changes and rule actions for
 *   the same incident start nothing.
 * - Dependency first: a service whose dependency is down is not restarted for it; the
 *   dependency's own incident heals it, and the service is healed when it recovers (if it
 *   has not recovered on its own by then: the healing checks first).
 * - A flapping service is alerted, not churned; if it is still down once it stops flapping,
 *   its incident is healed then.
 * - A rule's heal action for another trigger (high error rate, memory leak, high load,
 *   deployment failure) heals its service, or, for a fleet-wide rule, the services whose
 *   strategy for the trigger applies to them.
 *
 * Guards (cooldown, budget, circuit), locks and leases are the healing engine's; its skipped
 * records carry their own typed reasons.
 */
export class IncidentRouter {
  readonly #deps: IncidentRouterDeps
  readonly #incidents = new Map<string, Incident>()
  readonly #timers = new Map<string, Timer>()
  #stopped = false

  constructor(deps: IncidentRouterDeps) {
    this.#deps = deps
  }

  /**
   * A supervisor saw its process exit: restart it, and report the exit to the checks. The
   * report comes a turn later, so the state change it causes (stored, published, judged by the
   * rules) does not hold up the restart; its incident is already this exit's.
   */
  processExited(exit: ProcessExit): Decision {
    const service = exit.service
    this.#incidents.set(service, { cause: 'process-exit' })
    this.#deps.clock.setTimeout(() => this.#reportExit(exit), 0)
    const blocked = this.#cannotHeal(service)
    if (blocked) return this.#decide('process-exit', service, 'process-exit', blocked)
    this.#heal('process-exit', service, 'process-exit', { exit }, (record) => {
      if (record.outcome === 'succeeded') this.#verify(service)
    })
    return this.#decide('process-exit', service, 'process-exit')
  }

  #reportExit(exit: ProcessExit): void {
    const { health } = this.#deps
    if (this.#stopped || !health.running || !health.services.some((s) => s.name === exit.service)) return
    health.report(exit.service, {
      state: 'error',
      message: exit.signal
        ? `process exited on ${exit.signal}`
        : exit.code === null
          ? 'process exited (adopted from an earlier agent: exit status unknown)'
          : `process exited with code ${exit.code}`,
      details: { cause: 'process-exit', exitCode: exit.code, signal: exit.signal },
      retryable: false,
    })
  }

  /** A service's reported state changed; the decision, unless it waits for an exit to settle. */
  stateChanged(change: HealthChange): Decision | undefined {
    const { service } = change
    this.#deps.healing.noteHealth(service, change.to)
    if (!isDown(change.to)) {
      this.#incidents.delete(service)
      this.#cancel(service)
      if (change.to === 'healthy') this.#dependencyRecovered(service)
      return undefined
    }
    const open = this.#incidents.get(service)
    if (open)
      return this.#decide(
        'state-change',
        service,
        'service-down',
        open.cause === 'process-exit' ? 'supervisor-restarts' : 'same-incident',
      )
    this.#incidents.set(service, { cause: 'check' })
    if (this.#deps.healing.executor(service)?.type !== 'local')
      return this.#down('state-change', service, 'service-down', change.result)
    this.#after(service, EXIT_SETTLE_MS, () => {
      const incident = this.#incidents.get(service)
      if (incident?.cause === 'check') this.#down('state-change', service, 'service-down', change.result)
    })
    return undefined
  }

  /**
   * A service stopped flapping: the incident held back while it flapped is healed now, if the
   * service is still down (a flapping service that then hangs would otherwise keep an open
   * incident that no further change reopens).
   */
  flappingStopped(service: string): Decision | undefined {
    const incident = this.#incidents.get(service)
    if (!incident?.heldForFlapping) return undefined
    incident.heldForFlapping = false
    if (!isDown(this.#deps.health.status(service).state)) return undefined
    return this.#down('flapping-stopped', service, 'service-down')
  }

  /** A firing rule asked for a healing; without a service, the trigger's capable services get it. */
  ruleFired(trigger: HealingTrigger, service: string | undefined): Decision[] {
    const targets = service ? [service] : this.#deps.healing.targets(trigger)
    if (targets.length === 0) return [this.#decide('rule', service ?? '*', trigger, 'no-target')]
    return targets.map((target) => this.#ruleFor(trigger, target))
  }

  /**
   * A maintenance window stopped covering the service: the incident it held back (a process
   * that exited, a service that went down) is healed now if the service is still down.
   */
  maintenanceEnded(service: string): Decision | undefined {
    const incident = this.#incidents.get(service)
    if (!incident || !isDown(this.#deps.health.status(service).state)) return undefined
    incident.cause = 'check'
    incident.heldForFlapping = false
    return this.#down('maintenance-ended', service, 'service-down')
  }

  /** Cancels pending verifications and retries. */
  stop(): void {
    this.#stopped = true
    for (const t of this.#timers.values()) t.cancel()
    this.#timers.clear()
  }

  #ruleFor(trigger: HealingTrigger, service: string): Decision {
    const open = this.#incidents.get(service)
    if (trigger === 'dependency-failure') {
      // Dependency first: the rule's healing goes to what blocks the service.
      const blockers = this.#deps.health.status(service).blockedBy
      const first = blockers[0]
      if (!first || this.#incidents.has(first)) return this.#decide('rule', service, trigger, 'same-incident')
      this.#incidents.set(first, { cause: 'check' })
      return this.#down('rule', first, 'service-down')
    }
    if (open) return this.#decide('rule', service, trigger, 'same-incident')
    if (trigger === 'service-down') {
      this.#incidents.set(service, { cause: 'check' })
      return this.#down('rule', service, trigger)
    }
    const blocked = this.#cannotHeal(service) ?? this.#held(service, trigger)
    if (blocked) return this.#decide('rule', service, trigger, blocked)
    this.#heal('rule', service, trigger, {})
    return this.#decide('rule', service, trigger)
  }

  /** A new incident of a down service: heal it unless something says not to. */
  #down(event: DecisionEvent, service: string, trigger: HealingTrigger, result?: CheckResult): Decision {
    const status = this.#deps.health.status(service)
    const incident = this.#incidents.get(service)
    // A service down is healed by the agent that checks it; a rule's other healings (a leak,
    // a high load) by the agent that judges the rules, the one that saw them.
    const reason =
      (this.#deps.owns?.(service) === false ? 'checked-elsewhere' : undefined) ??
      this.#cannotHeal(service) ??
      this.#held(service, trigger) ??
      (status.flapping ? 'flapping' : undefined) ??
      (status.blockedBy.length > 0 ? 'dependency-down' : undefined)
    if (reason === 'dependency-down' && incident) incident.waitingFor = status.blockedBy
    if (reason === 'flapping' && incident) incident.heldForFlapping = true
    if (reason) return this.#decide(event, service, trigger, reason)
    this.#heal(event, service, trigger, result ? { result } : {})
    return this.#decide(event, service, trigger)
  }

  /** A service recovered: the incidents that waited for it are healed now, if still down. */
  #dependencyRecovered(dependency: string): void {
    const { health } = this.#deps
    for (const [service, incident] of this.#incidents) {
      if (!incident.waitingFor?.includes(dependency)) continue
      const status = health.status(service)
      if (!isDown(status.state) || status.blockedBy.length > 0) continue
      incident.waitingFor = undefined
      this.#down('dependency-recovered', service, 'service-down')
    }
  }

  /**
   * After a supervisor's restart, checks the service soon and again with doubling waits (250 ms,
   * 500 ms, 1 s, ... up to its check interval), so its recovery is seen as soon as it answers,
   * not a check interval after a slow start. An answer ends the exit's incident and these
   * checks, also when no change says so: while the service flaps its state is held, and an
   * incident left open would take its next fault (a hang) for this exit, which the supervisor
   * already restarted. Still down after `verifyAfterMs`, it is a hang.
   */
  #verify(service: string): void {
    const { health, clock } = this.#deps
    const incident = this.#incidents.get(service)
    if (!health.running || !incident) return
    const interval = health.services.find((s) => s.name === service)?.interval ?? 0
    const verifyAfterMs = Math.max(this.#deps.verifyAfterMs, 3 * interval, 10_000)
    const deadline = clock.now() + verifyAfterMs
    const soon = (wait: number): void =>
      this.#after(service, Math.min(wait, deadline - clock.now()), async () => {
        const result = await health.checkNow(service).catch(() => undefined)
        // a recovery, a new exit or a new incident took over meanwhile
        if (this.#incidents.get(service) !== incident || incident.cause !== 'process-exit') return
        if (result?.state === 'healthy') {
          this.#incidents.delete(service)
          return
        }
        if (clock.now() < deadline) {
          soon(Math.max(250, Math.min(wait * 2, interval || verifyAfterMs)))
          return
        }
        if (!result || !isDown(result.state)) return
        incident.cause = 'check'
        this.#down('restart-unverified', service, 'service-down', result)
      })
    soon(250)
  }

  #heal(
    event: DecisionEvent,
    service: string,
    trigger: HealingTrigger,
    options: { exit?: ProcessExit; result?: CheckResult },
    then?: (record: HealingRecord) => void,
  ): void {
    const { healing, logger } = this.#deps
    healing.heal(trigger, service, options).then(
      (record) => {
        // The agent that holds the service's lease heals it; if that agent dies mid-healing its
        // lease runs out, so try again while the incident lasts: exactly one survivor takes over.
        if (record.skip === 'lease-held') this.#retryForLease(service, trigger)
        then?.(record)
      },
      (e) => logger.error('healing failed', { service, event, error: errorMessage(e) }),
    )
  }

  #retryForLease(service: string, trigger: HealingTrigger): void {
    this.#after(service, this.#deps.leaseRetryMs, () => {
      if (!this.#incidents.has(service) || !isDown(this.#deps.health.status(service).state)) return
      if (this.#deps.inMaintenance?.(service))
        return void this.#decide('lease-retry', service, trigger, 'maintenance')
      this.#heal('lease-retry', service, trigger, {})
      this.#decide('lease-retry', service, trigger)
    })
  }

  #cannotHeal(service: string): NoHealing | undefined {
    if (!this.#deps.enabled) return 'healing-off'
    if (!this.#deps.healing.executor(service)) return 'no-executor'
    if (this.#deps.inMaintenance?.(service)) return 'maintenance'
    return undefined
  }

  #held(service: string, trigger: HealingTrigger): NoHealing | undefined {
    return this.#deps.holds?.(service, trigger) ? 'slo-budget-spent' : undefined
  }

  #decide(event: DecisionEvent, service: string, trigger: HealingTrigger, reason?: NoHealing): Decision {
    const at = this.#deps.clock.now()
    const decision: Decision = reason
      ? { event, service, trigger, at, heal: false, reason }
      : { event, service, trigger, at, heal: true }
    this.#deps.decided(decision)
    return decision
  }

  #after(service: string, ms: number, run: () => void | Promise<void>): void {
    if (this.#stopped) return
    this.#timers.get(service)?.cancel()
    this.#timers.set(
      service,
      this.#deps.clock.setTimeout(() => {
        this.#timers.delete(service)
        if (!this.#stopped) void run()
      }, ms),
    )
  }

  #cancel(service: string): void {
    this.#timers.get(service)?.cancel()
    this.#timers.delete(service)
  }
}
