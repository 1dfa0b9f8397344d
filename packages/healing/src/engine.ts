import { appendFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type {
  Approval,
  ApprovalDecision,
  ApprovalStore,
  CheckResult,
  Clock,
  HealingAudit,
  HealingOutcome,
  HealingRecord,
  HealingSkip,
  HealingStep,
  HealingTrigger,
  HealthState,
  LeaseStore,
  Logger,
} from '@noa/core'
import { createId, errorMessage, noopLogger, systemClock } from '@noa/core'
import { EventEmitter } from 'eventemitter3'
import { z } from 'zod'
import { waitForApproval } from './approval-wait.ts'
import { CircuitTimers } from './circuit-timers.ts'
import { approvalsToResume, closeInterrupted } from './crash-recovery.ts'
import type { ActionResult, Executor } from './executor.ts'
import type { ProcessExit } from './executors/local/local.ts'
import { LocalSupervisor } from './executors/local/local.ts'
import { buildExecutor } from './executors/registry.ts'
import { type GuardSnapshot, Guards } from './guards.ts'
import type { ResolvedSelfHealing, SelfHealingConfig, ServiceHealingConfig } from './options.ts'
import { parseOrThrow, selfHealingSchema, serviceHealingSchema } from './options.ts'
import { LeaseLostError, ServiceLocks } from './service-lock.ts'
import { processRestart } from './strategies/process-restart/process-restart.ts'
import { strategies as builtins, defaultTriggers, strategyConfigKey } from './strategies/registry.ts'
import type {
  ErrorRateReader,
  HealingEscalation,
  Incident,
  Probe,
  ServiceRuntime,
  Strategy,
} from './strategy.ts'
import { createStrategyContext } from './strategy-context.ts'

/** Options of {@link createHealingEngine}. */
export interface HealingEngineOptions {
  /** The seed's `selfHealing` section. @default every default of selfHealingSchema */
  config?: SelfHealingConfig
  /** Healing settings per service: executor, dependsOn, hooks. */
  services?: Record<string, ServiceHealingConfig>
  /** Ready-made executors by service; they win over `services.<name>.executor`. */
  executors?: Record<string, Executor>
  /** Extra or replacement strategies by name (a trigger picks them through `config.triggers`). */
  strategies?: Record<string, Strategy>
  /** Checks a service now (from @noa/health in the agent). Without it, acting counts as recovering. */
  probe?: Probe
  /** Reads a service's error rate (0-1), for the safe restart. */
  errorRate?: ErrorRateReader
  /** Where healing records go (a @noa/store backend). */
  audit?: HealingAudit
  /** Where approvals live (a @noa/store backend); required for rollbacks that need approval. */
  approvals?: ApprovalStore
  /** With a lease store, a service is healed by exactly one agent at a time. */
  leases?: LeaseStore
  /** This agent's name in leases and records. @default a random id */
  agentId?: string
  /**
   * Folder where local supervisors record the processes they run, so the next agent adopts
   * them (or stops stale ones) instead of starting second copies. @default none: no records
   */
  runDir?: string
  /**
   * Restart a supervised process as soon as it exits. A host that decides itself (the agent's
   * incident router) turns it off, listens to `process-exit` and calls
   * `heal('process-exit', service, { exit })`. @default true
   */
  restartOnExit?: boolean
  /** @default systemClock */
  clock?: Clock
  /** @default noopLogger */
  logger?: Logger
}

/** Options of {@link HealingEngine.heal}. */
export interface HealOptions {
  reason?: string
  /** The check result that caused the healing. */
  result?: CheckResult
  /** The exit a supervisor saw, for the `process-exit` trigger. */
  exit?: ProcessExit
  /** Overrides `selfHealing.dryRun` for this healing. */
  dryRun?: boolean
}

/** Options of {@link HealingEngine.close}. */
export interface CloseOptions {
  /**
   * Leave supervised processes running (the next agent adopts them) instead of stopping them.
   * @default selfHealing.whenAgentStops is "keep"
   */
  keepProcesses?: boolean
}

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

/** Events of the healing engine. */
export interface HealingEvents {
  'healing-started': [record: HealingRecord]
  'healing-step': [record: HealingRecord, step: HealingStep]
  'healing-finished': [record: HealingRecord]
  'approval-requested': [approval: Approval]
  /** A supervised process exited on its own (reported at once, before any restart). */
  'process-exit': [exit: ProcessExit]
  /** Something a person should know: a spent budget, an open circuit, a failed healing, a degradation. */
  escalation: [escalation: HealingEscalation]
  /** The service stayed healthy for the stable period: its circuit closed and its counts reset. */
  recovered: [info: { service: string; at: number }]
}

/** Why nothing ran, for the records that never reached a strategy. */
type Refusal = { outcome: HealingOutcome; reason: string; skip?: HealingSkip }

/**
 * The self-healing engine: picks a strategy for a trigger, passes the guards, acts through
 * the service's executor, verifies, and records every step. A service whose restart budget is
 * spent is degraded and retried with backoff until it is stable again.
 *
 * @example
 * ```ts
 * const engine = createHealingEngine({
 *   config: { restartCooldown: 60_000 },
 *   services: { 'mcp-server': { executor: { type: 'local', command: ['node', 'mcp.js'] } } },
 *   probe: (service, { signal }) => health.check(service, { signal }),
 *   audit: store.healing,
 * })
 * await engine.start()
 * const record = await engine.heal('service-down', 'mcp-server')
 * ```
 */
export class HealingEngine extends EventEmitter<HealingEvents> {
  readonly options: ResolvedSelfHealing
  readonly agentId: string
  readonly #services = new Map<string, ServiceRuntime>()
  readonly #strategies: Record<string, Strategy>
  readonly #guards: Guards
  readonly #locks: ServiceLocks
  readonly #clock: Clock
  readonly #logger: Logger
  readonly #deps: HealingEngineOptions
  readonly #degraded = new Set<string>()
  readonly #failed = new Set<string>()
  readonly #circuits: CircuitTimers
  readonly #approvalWaiters = new Map<string, () => void>()
  readonly #running = new Set<Promise<unknown>>()
  /** Each service's settings as given, to tell a changed one from an unchanged one. */
  readonly #settings = new Map<string, string>()
  #started = false
  #closed = false

  constructor(options: HealingEngineOptions = {}) {
    super()
    this.options = parseOrThrow(selfHealingSchema, options.config ?? {}, 'selfHealing')
    this.#clock = options.clock ?? systemClock
    this.#logger = options.logger ?? noopLogger
    this.#deps = options
    this.agentId = options.agentId ?? createId('agent')
    this.#strategies = { ...builtins, ...options.strategies }
    const unknown = Object.entries(this.options.triggers).filter(([, s]) => !(s in this.#strategies))
    if (unknown.length > 0)
      parseOrThrow(
        z.object(
          Object.fromEntries(
            unknown.map(([t]) => [t, z.enum(Object.keys(this.#strategies) as [string, ...string[]])]),
          ),
        ),
        this.options.triggers,
        'selfHealing.triggers',
      )
    const { circuitBreaker: circuit } = this.options
    this.#guards = new Guards({
      maxRestarts: this.options.maxRestarts,
      restartWindowMs: this.options.restartWindow,
      maxConsecutive: this.options.strategies.serviceRestart.maxConsecutive,
      circuitThreshold: circuit.failureThreshold,
      retryInitialMs: circuit.retryInitial,
      retryMaxMs: circuit.coolOff,
      stablePeriodMs: circuit.stablePeriod,
      onBudgetSpent: this.options.onBudgetSpent,
    })
    this.#circuits = new CircuitTimers({
      guards: this.#guards,
      clock: this.#clock,
      retry: (service, what, attempt) =>
        void this.#track(
          this.#heal(
            what.trigger,
            service,
            {
              reason: `retry ${attempt} of the open circuit`,
              ...(what.exit ? { exit: { ...what.exit, delayMs: 0 } } : {}),
            },
            true,
          ),
        ),
      closed: (service) => {
        this.#degraded.delete(service)
        this.#logger.info('service stable again: circuit closed', { service })
        this.emit('recovered', { service, at: this.#clock.now() })
      },
    })
    this.#locks = new ServiceLocks({
      ...(options.leases ? { leases: options.leases } : {}),
      agentId: this.agentId,
      ttlMs: this.options.leaseTtl,
      clock: this.#clock,
      logger: this.#logger,
    })
    for (const [name, config] of Object.entries(this.#parseServices(options.services ?? {})))
      this.#add(this.#runtime(name, config, options.executors?.[name]), options.services?.[name])
    for (const [name, executor] of Object.entries(options.executors ?? {}))
      if (!this.#services.has(name)) this.#add({ name, config: serviceHealingSchema.parse({}), executor })
  }

  #parseServices(raw: Record<string, ServiceHealingConfig>) {
    return Object.fromEntries(
      Object.entries(raw).map(([name, r]) => [
        name,
        parseOrThrow(serviceHealingSchema, r, `services.${name}`),
      ]),
    )
  }

  #runtime(name: string, config: ServiceRuntime['config'], given?: Executor): ServiceRuntime {
    const executor =
      given ??
      (config.executor
        ? buildExecutor(config.executor, {
            service: name,
            clock: this.#clock,
            ...(this.#deps.runDir ? { runDir: this.#deps.runDir } : {}),
          })
        : undefined)
    return { name, config, ...(executor ? { executor } : {}) }
  }

  #add(runtime: ServiceRuntime, raw?: ServiceHealingConfig): void {
    this.#services.set(runtime.name, runtime)
    this.#settings.set(runtime.name, JSON.stringify(raw ?? null))
    if (runtime.executor instanceof LocalSupervisor)
      runtime.executor.setExitHandler((exit) => this.#onExit(exit))
  }

  /**
   * Replaces the services' healing settings, as a configuration reload does, validated as a
   * whole first (ConfigError, nothing changed). An unchanged service keeps its executor, its
   * guards and its circuit; a removed one's executor is closed (its supervised process stops);
   * a changed one gets a new executor (its old process stops and the new command starts); a
   * new one starts under its supervisor when the engine is running. Ready-made executors
   * (`options.executors`) are left as they are.
   */
  async updateServices(services: Record<string, ServiceHealingConfig>): Promise<{
    added: string[]
    removed: string[]
    changed: string[]
    kept: string[]
  }> {
    const parsed = this.#parseServices(services)
    const out = {
      added: [] as string[],
      removed: [] as string[],
      changed: [] as string[],
      kept: [] as string[],
    }
    const given = this.#deps.executors ?? {}
    for (const [name, runtime] of [...this.#services]) {
      if (name in given) continue
      if (!(name in parsed)) {
        this.#services.delete(name)
        this.#settings.delete(name)
        await runtime.executor?.close?.()
        out.removed.push(name)
      } else if (this.#settings.get(name) !== JSON.stringify(services[name] ?? null)) {
        await runtime.executor?.close?.()
        this.#services.delete(name)
        out.changed.push(name)
      } else out.kept.push(name)
    }
    for (const [name, config] of Object.entries(parsed)) {
      if (this.#services.has(name)) continue
      if (!out.changed.includes(name)) out.added.push(name)
      const runtime = this.#runtime(name, config)
      this.#add(runtime, services[name])
      if (this.#started && !this.#closed && runtime.executor instanceof LocalSupervisor) {
        const started = await runtime.executor.start()
        if (!started.ok)
          this.#logger.error('supervised service did not start', { service: name, error: started.error })
      }
    }
    return out
  }

  /**
   * Closes the healings a crash left `running` as `interrupted`, starts every service under a
   * local supervisor, and asks again for the approvals still pending.
   */
  async start(): Promise<Record<string, ActionResult>> {
    const recovery = {
      audit: this.#deps.audit,
      leases: this.#deps.leases,
      approvals: this.#deps.approvals,
      agentId: this.agentId,
      now: this.#clock.now(),
      logger: this.#logger,
      finished: (record: HealingRecord) => this.#finished(record),
    }
    this.#started = true
    const interrupted = await closeInterrupted(recovery)
    const results: Record<string, ActionResult> = {}
    for (const s of this.#services.values())
      if (s.executor instanceof LocalSupervisor) results[s.name] = await s.executor.start()
    const triggers = { ...defaultTriggers, ...this.options.triggers }
    const resume = await approvalsToResume(
      recovery,
      interrupted,
      (service) => this.#services.has(service),
      (action) => Object.entries(triggers).find(([, strategy]) => strategy === action)?.[0],
    )
    for (const r of resume)
      void this.heal(r.trigger, r.service, {
        reason: `resumed after a restart; approval ${r.approvalId} is still pending`,
      })
    return results
  }

  /**
   * Ends running healings and releases executors; supervised processes keep running for the
   * next agent to adopt (`selfHealing.whenAgentStops: "keep"`) or are stopped.
   */
  async close(options: CloseOptions = {}): Promise<void> {
    const keep = options.keepProcesses ?? this.options.whenAgentStops === 'keep'
    this.#closed = true
    for (const wake of this.#approvalWaiters.values()) wake()
    this.#locks.close()
    this.#circuits.stop()
    await Promise.allSettled([...this.#running])
    await Promise.allSettled(
      [...this.#services.values()].map((s) =>
        keep && s.executor instanceof LocalSupervisor ? s.executor.release() : s.executor?.close?.(),
      ),
    )
  }

  /**
   * The services a fleet-wide trigger (a rule with no service, such as high load) can act on:
   * those whose strategy for the trigger applies to them.
   */
  targets(trigger: HealingTrigger): string[] {
    const name = this.options.triggers[trigger] ?? defaultTriggers[trigger]
    const strategy = name ? this.#strategies[name] : undefined
    if (!strategy) return []
    const at = this.#clock.now()
    return [...this.#services.values()]
      .filter((s) => strategy.applies({ service: s.name, trigger, at }, s))
      .map((s) => s.name)
  }

  /** The executor of a service, if it has one. */
  executor(service: string): Executor | undefined {
    return this.#services.get(service)?.executor
  }

  /**
   * The guards' view of a service: restarts, circuit, degraded, whether its latest healing failed.
   * A service never restarted and never failed gets one shared frozen answer: the agent reads
   * every service's guard at each metrics round, and at 10,000 services two objects a read
   * were garbage every few seconds.
   */
  guardState(service: string): Readonly<ServiceGuardState> {
    const degraded = this.#degraded.has(service)
    const healingFailed = this.#failed.has(service)
    if (!degraded && !healingFailed && this.#guards.untouched(service)) return UNTOUCHED
    return { ...this.#guards.snapshot(service, this.#clock.now()), degraded, healingFailed }
  }

  /**
   * Tells the engine what the health checks see. A service healthy for the stable period gets
   * its circuit closed and its counts reset; retries of an open circuit wait while it is healthy.
   */
  noteHealth(service: string, state: HealthState): void {
    if (!this.#services.has(service) || this.#closed) return
    if (state === 'healthy') this.#failed.delete(service)
    this.#circuits.health(service, state)
  }

  /**
   * Decides a pending approval (as POST /api/approvals/:id does) and wakes the healing
   * waiting for it. Returns the approval, or undefined when it is unknown or already decided.
   */
  async decideApproval(id: string, decision: ApprovalDecision): Promise<Approval | undefined> {
    const store = this.#deps.approvals
    if (!store) return undefined
    const decided = await store.decideApproval(id, decision)
    this.#approvalWaiters.get(id)?.()
    return decided
  }

  /**
   * Heals `service` for `trigger` (the seed's `self-healing.js service-down mcp-server`).
   * Never throws: problems end as a failed or skipped record with the reason; a `skipped`
   * record says why in `skip`. Refusals by the lock or the lease are returned, not recorded:
   * the healing that holds the service records the incident.
   */
  heal(trigger: HealingTrigger, service: string, options: HealOptions = {}): Promise<HealingRecord> {
    return this.#track(this.#heal(trigger, service, options, false))
  }

  #track<T>(p: Promise<T>): Promise<T> {
    this.#running.add(p)
    void p.finally(() => this.#running.delete(p)).catch(() => {})
    return p
  }

  #onExit(exit: ProcessExit): void {
    this.emit('process-exit', exit)
    if (this.#deps.restartOnExit !== false && !this.#closed)
      void this.heal('process-exit', exit.service, { exit })
  }

  async #heal(
    trigger: HealingTrigger,
    service: string,
    options: HealOptions,
    retry: boolean,
  ): Promise<HealingRecord> {
    const now = this.#clock.now()
    const dryRun = options.dryRun ?? this.options.dryRun
    const incident: Incident = { service, trigger, at: options.exit?.at ?? now }
    if (options.reason) incident.reason = options.reason
    else if (options.exit) incident.reason = exitReason(options.exit)
    if (options.result) incident.result = options.result
    if (options.exit) incident.exit = options.exit
    const strategyName =
      trigger === 'process-exit'
        ? processRestart.name
        : (this.options.triggers[trigger] ?? defaultTriggers[trigger])
    const bare = (refusal: Refusal): HealingRecord => ({
      id: createId('heal', now),
      service,
      trigger,
      strategy: strategyName ?? 'none',
      startedAt: now,
      endedAt: now,
      outcome: refusal.outcome,
      steps: [],
      dryRun,
      reason: refusal.reason,
      ...(refusal.skip ? { skip: refusal.skip } : {}),
      agentId: this.agentId,
    })
    const refuse = (refusal: Refusal) => this.#save(bare(refusal))
    const disabled = (reason: string) => refuse({ outcome: 'skipped', reason, skip: 'disabled' })
    if (!this.options.enabled) return disabled('self-healing is disabled')
    if (trigger === 'process-exit' && !this.options.autoRestart)
      return disabled('restarts of exited processes are off (selfHealing.autoRestart)')
    const runtime = this.#services.get(service)
    if (!runtime) return refuse({ outcome: 'failed', reason: `unknown service ${service}` })
    if (!strategyName)
      return refuse({
        outcome: 'failed',
        reason: `no strategy answers the trigger ${JSON.stringify(trigger)}`,
      })
    const strategy = trigger === 'process-exit' ? processRestart : this.#strategies[strategyName]
    if (!strategy) return refuse({ outcome: 'failed', reason: `unknown strategy ${strategyName}` })
    const key = strategyConfigKey[strategyName as keyof typeof strategyConfigKey]
    if (key && !this.options.strategies[key].enabled)
      return disabled(`strategy ${strategyName} is disabled (selfHealing.strategies.${key}.enabled)`)
    if (options.exit) {
      // An exit during a healing of the same service (a start that crashes at once) waits its turn.
      await this.#locks.waitFree(service)
      // A run longer than the stable period was a recovery: the consecutive count starts over.
      if (options.exit.uptimeMs >= this.options.circuitBreaker.stablePeriod) this.#guards.recovered(service)
    }
    const locked = await this.#locks.run(service, !dryRun, (signal) =>
      this.#guarded(strategy, runtime, incident, dryRun, signal, retry),
    )
    if (retry) this.#circuits.schedule(service, true)
    if (!locked.ok) {
      this.#logger.debug('healing not started', {
        service,
        trigger,
        skip: locked.skip,
        reason: locked.reason,
      })
      return bare({ outcome: 'skipped', reason: locked.reason, skip: locked.skip })
    }
    const record = locked.value
    const supervisor = runtime.executor
    // A start that fails outright counts as a crash, so the supervisor's backoff keeps growing.
    if (
      trigger === 'process-exit' &&
      record.outcome === 'failed' &&
      !this.#closed &&
      supervisor instanceof LocalSupervisor
    )
      supervisor.reportStartFailure()
    return record
  }

  async #guarded(
    strategy: Strategy,
    runtime: ServiceRuntime,
    incident: Incident,
    dryRun: boolean,
    signal: AbortSignal,
    retry: boolean,
  ): Promise<HealingRecord> {
    const now = this.#clock.now()
    const service = runtime.name
    const verdict = this.#guards.check(service, {
      now,
      restarts: strategy.restarts,
      cooldownMs: strategy.cooldown?.(this.options) ?? 0,
      retry,
      manual: incident.trigger === 'manual',
    })
    if (verdict.allowed) return this.#execute(strategy, runtime, incident, dryRun, signal)
    const refused: HealingRecord = {
      id: createId('heal', now),
      service,
      trigger: incident.trigger,
      strategy: strategy.name,
      startedAt: now,
      endedAt: now,
      outcome: 'skipped',
      steps: [],
      dryRun,
      reason: verdict.reason,
      skip: verdict.skip,
      agentId: this.agentId,
    }
    await this.#finished(refused)
    if (verdict.skip === 'cooldown') return refused
    this.#circuits.remember(service, {
      trigger: incident.trigger,
      ...(incident.exit ? { exit: incident.exit } : {}),
    })
    if (!verdict.opened) {
      this.#circuits.schedule(service, false)
      return refused
    }
    // The budget is spent: degrade once, tell a person, and keep retrying with backoff.
    this.#degraded.add(service)
    const nextRetryAt = this.#circuits.schedule(service, false)
    this.#escalate({
      service,
      severity: 'critical',
      kind: 'budget-spent',
      message:
        nextRetryAt === undefined
          ? `${verdict.reason}; no more restarts until a person acts (selfHealing.onBudgetSpent is "stop")`
          : `${verdict.reason}; retrying with backoff, next in ${Math.round((nextRetryAt - now) / 1000)} s`,
      ...(nextRetryAt === undefined ? {} : { nextRetryAt }),
    })
    const degrade = this.#strategies[this.options.triggers['max-restarts'] ?? 'graceful-degradation']
    if (!this.options.strategies.gracefulDegradation.enabled || !degrade) return refused
    return this.#execute(
      degrade,
      runtime,
      { ...incident, trigger: 'max-restarts', reason: verdict.reason },
      dryRun,
      signal,
    )
  }

  async #execute(
    strategy: Strategy,
    runtime: ServiceRuntime,
    incident: Incident,
    dryRun: boolean,
    signal: AbortSignal,
  ): Promise<HealingRecord> {
    const startedAt = this.#clock.now()
    const record: HealingRecord = {
      id: createId('heal', startedAt),
      service: runtime.name,
      trigger: incident.trigger,
      strategy: strategy.name,
      startedAt,
      outcome: 'running',
      steps: [],
      dryRun,
      agentId: this.agentId,
    }
    if (incident.reason) record.reason = incident.reason
    await this.#save(record)
    this.emit('healing-started', { ...record, steps: [] })
    let healthBefore: HealthState | undefined = incident.exit ? 'error' : undefined
    const ctx = createStrategyContext(
      {
        options: this.options,
        clock: this.#clock,
        logger: this.#logger,
        guards: this.#guards,
        probe: this.#deps.probe,
        errorRate: this.#deps.errorRate,
        lookup: (name) => this.#services.get(name),
        save: (r) => this.#save(r),
        stepped: (r, step) => this.emit('healing-step', r, step),
        escalate: (e) => this.#escalate(e),
        requestApproval: (action, reason, s) => this.#requestApproval(runtime.name, action, reason, s),
      },
      runtime,
      record,
      signal,
      () => healthBefore,
    )
    let finished: HealingRecord
    try {
      if (this.#deps.probe && !incident.exit) {
        const before = await ctx.probe(runtime.name, 'check health before')
        healthBefore = before?.state
      }
      if (healthBefore) record.healthBefore = healthBefore
      finished = await strategy.execute(incident, ctx)
    } catch (e) {
      finished = ctx.finish('failed', { reason: `strategy ${strategy.name} threw: ${errorMessage(e)}` })
    }
    if (signal.aborted && finished.outcome !== 'succeeded') {
      // Lost lease or shutdown: the remaining steps did not act, and nobody should think they failed.
      finished.outcome = 'interrupted'
      finished.reason =
        signal.reason instanceof LeaseLostError
          ? `${signal.reason.message}; the remaining steps were not run`
          : 'the agent stopped before this healing ended'
    }
    if (dryRun && finished.outcome !== 'skipped' && finished.outcome !== 'failed')
      finished.outcome = 'dry-run'
    if (!dryRun) this.#settle(strategy, runtime.name, incident, finished)
    await this.#finished(finished)
    this.#logger.info('healing finished', {
      service: finished.service,
      strategy: finished.strategy,
      outcome: finished.outcome,
      reason: finished.reason,
    })
    return finished
  }

  /** Feeds an ended healing to the guards and escalates what a person should know. */
  #settle(strategy: Strategy, service: string, incident: Incident, finished: HealingRecord): void {
    const { outcome } = finished
    if (outcome !== 'succeeded' && outcome !== 'failed') return
    const opened = this.#guards.settle(service, outcome === 'succeeded', this.#clock.now())
    if (strategy.name === 'graceful-degradation') {
      if (outcome === 'succeeded') this.#degraded.add(service)
      return
    }
    if (outcome === 'succeeded') {
      this.#failed.delete(service)
      return
    }
    this.#failed.add(service)
    this.#escalate({
      service,
      severity: 'warning',
      kind: 'healing-failed',
      message: `healing ${strategy.name} of ${service} failed: ${finished.reason ?? 'no reason given'}`,
    })
    if (!opened) return
    this.#circuits.remember(service, {
      trigger: incident.trigger,
      ...(incident.exit ? { exit: incident.exit } : {}),
    })
    const nextRetryAt = this.#circuits.schedule(service, false)
    this.#escalate({
      service,
      severity: 'critical',
      kind: 'circuit-open',
      message: `healings of ${service} failed ${this.options.circuitBreaker.failureThreshold} times in a row; circuit open${
        nextRetryAt === undefined
          ? ''
          : `, next retry in ${Math.round((nextRetryAt - this.#clock.now()) / 1000)} s`
      }`,
      ...(nextRetryAt === undefined ? {} : { nextRetryAt }),
    })
  }

  #escalate(escalation: Omit<HealingEscalation, 'at'>): void {
    const full: HealingEscalation = { ...escalation, at: this.#clock.now() }
    this.#logger.warn(full.message, { service: full.service, kind: full.kind })
    this.emit('escalation', full)
  }

  async #finished(record: HealingRecord): Promise<void> {
    await this.#save(record)
    this.#appendLog(record)
    this.emit('healing-finished', record)
  }

  async #save(record: HealingRecord): Promise<HealingRecord> {
    try {
      await this.#deps.audit?.saveHealing(record)
    } catch (e) {
      this.#logger.error('cannot save a healing record', { id: record.id, error: errorMessage(e) })
    }
    return record
  }

  // synchronous: one short line per healing, and the healing is not finished before it is written
  #appendLog(record: HealingRecord): void {
    try {
      mkdirSync(this.options.logsDir, { recursive: true })
      const day = new Date(record.startedAt).toISOString().slice(0, 10)
      appendFileSync(join(this.options.logsDir, `healing-${day}.jsonl`), `${JSON.stringify(record)}\n`)
    } catch (e) {
      this.#logger.error('cannot append to the healing log', { error: errorMessage(e) })
    }
  }

  #requestApproval(service: string, action: string, reason: string, signal: AbortSignal) {
    return waitForApproval(
      {
        store: this.#deps.approvals,
        clock: this.#clock,
        timeoutMs: this.options.approvalTimeout,
        pollMs: this.options.approvalPollInterval,
        waiters: this.#approvalWaiters,
        requested: (approval) => this.emit('approval-requested', approval),
        closed: () => this.#closed,
      },
      service,
      action,
      reason,
      signal,
    )
  }
}

function exitReason(exit: ProcessExit): string {
  if (exit.error) return exit.error
  // A process adopted from an earlier agent is watched from outside: its exit status is unknown.
  const how = exit.signal
    ? `with signal ${exit.signal}`
    : exit.code === null
      ? '(exit status unknown: adopted from an earlier agent)'
      : `with code ${exit.code}`
  return `exited ${how} after ${Math.round(exit.uptimeMs)} ms`
}

/**
 * Builds a {@link HealingEngine}; throws ConfigError listing every invalid option.
 *
 * @example
 * ```ts
 * const engine = createHealingEngine({ services: { api: { executor: { type: 'systemd', unit: 'api' } } } })
 * await engine.heal('service-down', 'api')
 * ```
 */
export function createHealingEngine(options: HealingEngineOptions = {}): HealingEngine {
  return new HealingEngine(options)
}
