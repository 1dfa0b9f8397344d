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
  HealingStep,
  HealingTrigger,
  HealthState,
  LeaseStore,
  Logger,
  Timer,
} from '@noa/core'
import { createId, errorMessage, noopLogger, systemClock } from '@noa/core'
import { EventEmitter } from 'eventemitter3'
import { z } from 'zod'
import type { ActionResult, Executor } from './executor.ts'
import type { ProcessExit } from './executors/local/local.ts'
import { LocalSupervisor } from './executors/local/local.ts'
import { buildExecutor } from './executors/registry.ts'
import { type GuardSnapshot, Guards } from './guards.ts'
import type { ResolvedSelfHealing, SelfHealingConfig, ServiceHealingConfig } from './options.ts'
import { parseOrThrow, selfHealingSchema, serviceHealingSchema } from './options.ts'
import { strategies as builtins, defaultTriggers, strategyConfigKey } from './strategies/registry.ts'
import type {
  ApprovalResult,
  ErrorRateReader,
  HealingAlert,
  Incident,
  Probe,
  ServiceRuntime,
  Strategy,
  StrategyContext,
} from './strategy.ts'

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
  /** This agent's name in leases. @default a random id */
  agentId?: string
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
  /** Overrides `selfHealing.dryRun` for this healing. */
  dryRun?: boolean
}

/** Events of the healing engine. */
export interface HealingEvents {
  'healing-started': [record: HealingRecord]
  'healing-step': [record: HealingRecord, step: HealingStep]
  'healing-finished': [record: HealingRecord]
  'approval-requested': [approval: Approval]
  /** A supervised process exited on its own (reported at once, before any restart). */
  'process-exit': [exit: ProcessExit]
  alert: [alert: HealingAlert]
}

const processRestart: Strategy = {
  name: 'process-restart',
  restarts: true,
  applies: (incident) => incident.trigger === 'process-exit',
  async execute() {
    throw new Error('run by the engine')
  },
}

/**
 * The self-healing engine: picks a strategy for a trigger, passes the guards, acts through
 * the service's executor, verifies, and records every step.
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
  readonly #services = new Map<string, ServiceRuntime>()
  readonly #strategies: Record<string, Strategy>
  readonly #guards: Guards
  readonly #clock: Clock
  readonly #logger: Logger
  readonly #deps: HealingEngineOptions
  readonly #agentId: string
  readonly #locks = new Set<string>()
  readonly #lockWaiters = new Map<string, Array<() => void>>()
  readonly #degraded = new Set<string>()
  readonly #approvalWaiters = new Map<string, () => void>()
  readonly #running = new Set<Promise<unknown>>()
  readonly #controllers = new Set<AbortController>()
  #closed = false

  constructor(options: HealingEngineOptions = {}) {
    super()
    this.options = parseOrThrow(selfHealingSchema, options.config ?? {}, 'selfHealing')
    this.#clock = options.clock ?? systemClock
    this.#logger = options.logger ?? noopLogger
    this.#deps = options
    this.#agentId = options.agentId ?? createId('agent')
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
    this.#guards = new Guards({
      maxRestarts: this.options.maxRestarts,
      restartWindowMs: this.options.restartWindow,
      maxConsecutive: this.options.strategies.serviceRestart.maxConsecutive,
      circuitThreshold: this.options.circuitBreaker.failureThreshold,
      circuitCoolOffMs: this.options.circuitBreaker.coolOff,
    })
    for (const [name, raw] of Object.entries(options.services ?? {})) {
      const config = parseOrThrow(serviceHealingSchema, raw, `services.${name}`)
      const runtime: ServiceRuntime = { name, config }
      const executor =
        options.executors?.[name] ??
        (config.executor ? buildExecutor(config.executor, { service: name, clock: this.#clock }) : undefined)
      if (executor) runtime.executor = executor
      if (executor instanceof LocalSupervisor)
        executor.setExitHandler((exit) => this.#track(this.#onProcessExit(executor, exit)))
      this.#services.set(name, runtime)
    }
    for (const [name, executor] of Object.entries(options.executors ?? {}))
      if (!this.#services.has(name)) {
        this.#services.set(name, { name, config: serviceHealingSchema.parse({}), executor })
        if (executor instanceof LocalSupervisor)
          executor.setExitHandler((exit) => this.#track(this.#onProcessExit(executor, exit)))
      }
  }

  /** Starts every service under a local supervisor. */
  async start(): Promise<Record<string, ActionResult>> {
    const results: Record<string, ActionResult> = {}
    for (const s of this.#services.values())
      if (s.executor instanceof LocalSupervisor) results[s.name] = await s.executor.start()
    return results
  }

  /** Stops supervised processes, waits for running healings to settle, releases executors. */
  async close(): Promise<void> {
    this.#closed = true
    for (const wake of this.#approvalWaiters.values()) wake()
    for (const list of this.#lockWaiters.values()) for (const wake of list) wake()
    for (const c of this.#controllers) c.abort(new Error('the healing engine is closing'))
    await Promise.allSettled([...this.#running])
    await Promise.allSettled([...this.#services.values()].map((s) => s.executor?.close?.()))
  }

  /** The executor of a service, if it has one. */
  executor(service: string): Executor | undefined {
    return this.#services.get(service)?.executor
  }

  /** The guards' view of a service: restarts in the window, consecutive, circuits. */
  guardState(service: string): GuardSnapshot & { degraded: boolean } {
    return { ...this.#guards.snapshot(service, this.#clock.now()), degraded: this.#degraded.has(service) }
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
   * Never throws: problems end as a failed or skipped record with the reason.
   */
  heal(trigger: HealingTrigger, service: string, options: HealOptions = {}): Promise<HealingRecord> {
    return this.#track(this.#heal(trigger, service, options))
  }

  #track<T>(p: Promise<T>): Promise<T> {
    this.#running.add(p)
    void p.finally(() => this.#running.delete(p)).catch(() => {})
    return p
  }

  async #heal(trigger: HealingTrigger, service: string, options: HealOptions): Promise<HealingRecord> {
    const now = this.#clock.now()
    const incident: Incident = { service, trigger, at: now }
    if (options.reason) incident.reason = options.reason
    if (options.result) incident.result = options.result
    const dryRun = options.dryRun ?? this.options.dryRun
    const strategyName = this.options.triggers[trigger] ?? defaultTriggers[trigger]
    const bare = (strategy: string, outcome: HealingOutcome, reason: string): HealingRecord => ({
      id: createId('heal', now),
      service,
      trigger,
      strategy,
      startedAt: now,
      endedAt: now,
      outcome,
      steps: [],
      dryRun,
      reason,
    })
    if (!this.options.enabled)
      return this.#save(bare(strategyName ?? 'none', 'skipped', 'self-healing is disabled'))
    const runtime = this.#services.get(service)
    if (!runtime) return this.#save(bare(strategyName ?? 'none', 'failed', `unknown service ${service}`))
    if (!strategyName)
      return this.#save(bare('none', 'failed', `no strategy answers the trigger ${JSON.stringify(trigger)}`))
    const strategy = this.#strategies[strategyName]
    if (!strategy) return this.#save(bare(strategyName, 'failed', `unknown strategy ${strategyName}`))
    const key = strategyConfigKey[strategyName as keyof typeof strategyConfigKey]
    if (key && !this.options.strategies[key].enabled)
      return this.#save(
        bare(
          strategyName,
          'skipped',
          `strategy ${strategyName} is disabled (selfHealing.strategies.${key}.enabled)`,
        ),
      )
    return this.#locked(runtime, dryRun, bare(strategyName, 'skipped', ''), () =>
      this.#guarded(strategy, runtime, incident, dryRun),
    )
  }

  /** One healing per service at a time: in process by a lock, across agents by a lease. */
  async #locked(
    runtime: ServiceRuntime,
    dryRun: boolean,
    skipped: HealingRecord,
    run: () => Promise<HealingRecord>,
  ): Promise<HealingRecord> {
    const service = runtime.name
    if (this.#locks.has(service) || this.#closed)
      return {
        ...skipped,
        reason: this.#closed ? 'the engine is closed' : `a healing of ${service} is already running`,
      }
    this.#locks.add(service)
    const leases = this.#deps.leases
    const leaseName = `healing:${service}`
    let renew: Timer | undefined
    let released = false
    const release = () => {
      if (released) return
      released = true
      renew?.cancel()
      this.#locks.delete(service)
      const waiters = this.#lockWaiters.get(service) ?? []
      this.#lockWaiters.delete(service)
      for (const wake of waiters) wake()
      if (leases && !dryRun) void leases.releaseLease(leaseName, this.#agentId).catch(() => {})
    }
    try {
      if (leases && !dryRun) {
        let got = false
        try {
          got = await leases.acquireLease(leaseName, this.#agentId, this.options.leaseTtl, this.#clock.now())
        } catch (e) {
          return { ...skipped, reason: `cannot take the lease of ${service}: ${errorMessage(e)}` }
        }
        if (!got) {
          released = true
          this.#locks.delete(service)
          return { ...skipped, reason: `another agent is healing ${service}` }
        }
        const keep = () => {
          renew = this.#clock.setTimeout(
            () => {
              void leases
                .acquireLease(leaseName, this.#agentId, this.options.leaseTtl, this.#clock.now())
                .catch(() => false)
              if (!released) keep()
            },
            Math.floor(this.options.leaseTtl / 3),
          )
        }
        keep()
      }
      return await run()
    } finally {
      release()
    }
  }

  async #guarded(
    strategy: Strategy,
    runtime: ServiceRuntime,
    incident: Incident,
    dryRun: boolean,
    body?: (ctx: StrategyContext) => Promise<HealingRecord>,
  ): Promise<HealingRecord> {
    const now = this.#clock.now()
    const verdict = this.#guards.check(runtime.name, strategy.name, {
      now,
      restarts: strategy.restarts,
      cooldownMs: strategy.cooldown?.(this.options) ?? 0,
    })
    if (!verdict.allowed) {
      const refused = await this.#save({
        id: createId('heal', now),
        service: runtime.name,
        trigger: incident.trigger,
        strategy: strategy.name,
        startedAt: now,
        endedAt: now,
        outcome: 'skipped',
        steps: [],
        dryRun,
        reason: verdict.reason,
      })
      this.#appendLog(refused)
      this.emit('healing-finished', refused)
      if (
        (verdict.guard === 'max-restarts' || verdict.guard === 'max-consecutive') &&
        !this.#degraded.has(runtime.name)
      ) {
        this.#alert({
          service: runtime.name,
          severity: 'critical',
          kind: 'max-restarts',
          message: verdict.reason,
        })
        if (this.options.strategies.gracefulDegradation.enabled) {
          const degrade = this.#strategies[this.options.triggers['max-restarts'] ?? 'graceful-degradation']
          if (degrade)
            return this.#execute(
              degrade,
              runtime,
              { ...incident, trigger: 'max-restarts', reason: verdict.reason },
              dryRun,
            )
        }
      }
      return refused
    }
    return this.#execute(strategy, runtime, incident, dryRun, body)
  }

  async #execute(
    strategy: Strategy,
    runtime: ServiceRuntime,
    incident: Incident,
    dryRun: boolean,
    body?: (ctx: StrategyContext) => Promise<HealingRecord>,
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
    }
    if (incident.reason) record.reason = incident.reason
    await this.#save(record)
    this.emit('healing-started', { ...record, steps: [] })
    const controller = new AbortController()
    this.#controllers.add(controller)
    let healthBefore: HealthState | undefined = incident.trigger === 'process-exit' ? 'error' : undefined
    const ctx = this.#context(strategy, runtime, record, dryRun, controller.signal, () => healthBefore)
    let finished: HealingRecord
    try {
      if (this.#deps.probe && incident.trigger !== 'process-exit') {
        const before = await ctx.probe(runtime.name, 'check health before')
        healthBefore = before?.state
      }
      if (healthBefore) record.healthBefore = healthBefore
      finished = await (body ? body(ctx) : strategy.execute(incident, ctx))
    } catch (e) {
      finished = ctx.finish('failed', { reason: `strategy ${strategy.name} threw: ${errorMessage(e)}` })
    }
    if (dryRun && finished.outcome !== 'skipped' && finished.outcome !== 'failed')
      finished.outcome = 'dry-run'
    if (!dryRun && finished.outcome !== 'skipped' && finished.outcome !== 'awaiting-approval') {
      const opened = this.#guards.settle(
        runtime.name,
        strategy.name,
        finished.outcome === 'succeeded',
        this.#clock.now(),
      )
      if (opened)
        this.#alert({
          service: runtime.name,
          severity: 'critical',
          kind: 'circuit-open',
          message: `healing ${strategy.name} of ${runtime.name} failed repeatedly; circuit open for ${this.options.circuitBreaker.coolOff} ms`,
        })
      if (finished.outcome === 'succeeded' && strategy.name !== 'graceful-degradation')
        this.#degraded.delete(runtime.name)
      if (strategy.name === 'graceful-degradation') this.#degraded.add(runtime.name)
    }
    this.#controllers.delete(controller)
    await this.#save(finished)
    this.#appendLog(finished)
    this.emit('healing-finished', finished)
    this.#logger.info('healing finished', {
      service: finished.service,
      strategy: finished.strategy,
      outcome: finished.outcome,
      reason: finished.reason,
    })
    return finished
  }

  #context(
    strategy: Strategy,
    runtime: ServiceRuntime,
    record: HealingRecord,
    dryRun: boolean,
    signal: AbortSignal,
    before: () => HealthState | undefined,
  ): StrategyContext & { probe(name?: string, label?: string): Promise<CheckResult | undefined> } {
    const clock = this.#clock
    const steps = record.steps
    const push = async (step: HealingStep) => {
      steps.push(step)
      await this.#save({ ...record, steps: [...steps] })
      this.emit('healing-step', { ...record, steps: [...steps] }, step)
    }
    const timed = async (name: string, run: () => Promise<ActionResult>): Promise<ActionResult> => {
      const startedAt = clock.now()
      let result: ActionResult
      try {
        result = await run()
      } catch (e) {
        result = { ok: false, error: errorMessage(e), retryable: true }
      }
      const step: HealingStep = { name, startedAt, endedAt: clock.now(), ok: result.ok }
      if (result.output) step.output = result.output
      if (result.error) step.error = result.error
      await push(step)
      return result
    }
    const engine = this
    return {
      service: runtime,
      options: this.options,
      clock,
      logger: this.#logger,
      dryRun,
      signal,
      get healthBefore() {
        return before()
      },
      lookup: (name) => this.#services.get(name),
      async step(name, run) {
        if (!dryRun) return timed(name, run)
        const now = clock.now()
        await push({ name, startedAt: now, endedAt: now, ok: true, output: `dry run: would ${name}` })
        return { ok: true, output: 'dry run' }
      },
      observe: timed,
      async wait(ms, name) {
        const label = name ?? `wait ${ms} ms`
        if (ms <= 0) return
        if (dryRun) {
          const now = clock.now()
          await push({ name: label, startedAt: now, endedAt: now, ok: true, output: 'dry run: would wait' })
          return
        }
        await timed(label, async () => {
          await clock.sleep(ms, signal)
          return { ok: true }
        })
      },
      async probe(name = runtime.name, label?: string) {
        const probe = engine.#deps.probe
        if (!probe) return undefined
        let result: CheckResult | undefined
        await timed(label ?? `check ${name}`, async () => {
          try {
            result = await probe(name, { signal })
          } catch (e) {
            result = {
              service: name,
              state: 'error',
              at: clock.now(),
              durationMs: 0,
              attempts: 1,
              message: errorMessage(e),
            }
          }
          return {
            ok: true,
            output: `${result.state}${result.message ? `: ${result.message}` : ''}`,
          }
        })
        return result
      },
      guardRestart: (service, cooldownMs) =>
        this.#guards.check(service, 'service-restart', {
          now: clock.now(),
          restarts: true,
          ...(cooldownMs === undefined ? {} : { cooldownMs }),
        }),
      countRestart: (service) => this.#guards.countRestart(service, clock.now()),
      recovered: (service) => this.#guards.recovered(service),
      alert: (alert) => this.#alert(alert),
      requestApproval: (action, reason) => this.#waitForApproval(runtime.name, action, reason, signal),
      errorRate: async () => {
        const reader = this.#deps.errorRate
        if (!reader) return undefined
        try {
          return await reader(runtime.name, { signal })
        } catch {
          return undefined
        }
      },
      async checkpoint(outcome, reason) {
        await engine.#save({ ...record, steps: [...steps], outcome, ...(reason ? { reason } : {}) })
      },
      finish(outcome, extra = {}) {
        const done: HealingRecord = { ...record, steps: [...steps], outcome, endedAt: clock.now() }
        const b = before()
        if (b) done.healthBefore = b
        if (extra.reason) done.reason = extra.reason
        else if (outcome === 'succeeded') delete done.reason
        if (extra.healthAfter) done.healthAfter = extra.healthAfter
        void strategy
        return done
      },
    }
  }

  #alert(alert: Omit<HealingAlert, 'at'>): void {
    const full: HealingAlert = { ...alert, at: this.#clock.now() }
    this.#logger.warn(full.message, { service: full.service, kind: full.kind })
    this.emit('alert', full)
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
      this.#logger.error('cannot append to the healing log', {
        dir: this.options.logsDir,
        error: errorMessage(e),
      })
    }
  }

  async #waitForApproval(
    service: string,
    action: string,
    reason: string,
    signal: AbortSignal,
  ): Promise<ApprovalResult> {
    const store = this.#deps.approvals
    if (!store) return { status: 'rejected', error: 'approval required, but no approval store is configured' }
    const requestedAt = this.#clock.now()
    const approval: Approval = {
      id: createId('appr', requestedAt),
      service,
      action,
      reason,
      requestedAt,
      expiresAt: requestedAt + this.options.approvalTimeout,
      status: 'pending',
    }
    try {
      await store.createApproval(approval)
    } catch (e) {
      return { status: 'rejected', error: `cannot create the approval: ${errorMessage(e)}` }
    }
    this.emit('approval-requested', approval)
    try {
      for (;;) {
        const current = await store.getApproval(approval.id)
        if (current && current.status !== 'pending') return { status: current.status, approval: current }
        const remaining = approval.expiresAt - this.#clock.now()
        if (remaining <= 0 || this.#closed || signal.aborted) {
          const expired = await store.decideApproval(approval.id, {
            status: 'expired',
            at: this.#clock.now(),
          })
          if (expired) return { status: 'expired', approval: expired }
          continue // decided at the last moment: read it above
        }
        const wake = new AbortController()
        this.#approvalWaiters.set(approval.id, () => wake.abort())
        await this.#clock
          .sleep(Math.min(remaining, this.options.approvalPollInterval), wake.signal)
          .catch(() => {})
      }
    } catch (e) {
      return { status: 'rejected', error: `approval store failed: ${errorMessage(e)}` }
    } finally {
      this.#approvalWaiters.delete(approval.id)
    }
  }

  async #onProcessExit(supervisor: LocalSupervisor, exit: ProcessExit): Promise<void> {
    this.emit('process-exit', exit)
    if (!this.options.enabled || !this.options.autoRestart || this.#closed) return
    const runtime = this.#services.get(supervisor.service)
    if (!runtime) return
    // an exit during a healing of the same service (a start that crashes at once) waits its turn
    while (this.#locks.has(runtime.name) && !this.#closed)
      await new Promise<void>((resolve) => {
        const list = this.#lockWaiters.get(runtime.name) ?? []
        list.push(resolve)
        this.#lockWaiters.set(runtime.name, list)
      })
    if (this.#closed) return
    // a run longer than stableAfterMs was a recovery: the consecutive counter starts over
    if (exit.crashes === 1) this.#guards.recovered(runtime.name)
    const dryRun = this.options.dryRun
    const incident: Incident = {
      service: runtime.name,
      trigger: 'process-exit',
      at: exit.at,
      reason:
        exit.error ??
        `exited with ${exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`} after ${Math.round(exit.uptimeMs)} ms`,
    }
    const skipped: HealingRecord = {
      id: createId('heal', exit.at),
      service: runtime.name,
      trigger: 'process-exit',
      strategy: processRestart.name,
      startedAt: exit.at,
      endedAt: exit.at,
      outcome: 'skipped',
      steps: [],
      dryRun,
    }
    let startFailed = false
    const body = async (ctx: StrategyContext): Promise<HealingRecord> => {
      await ctx.observe('process exited', async () => ({ ok: true, output: incident.reason ?? '' }))
      if (exit.delayMs > 0) await ctx.wait(exit.delayMs, `backoff ${exit.delayMs} ms`)
      if (!supervisor.wanted) return ctx.finish('skipped', { reason: 'the service was stopped meanwhile' })
      if (!dryRun) ctx.countRestart(runtime.name)
      const started = await ctx.step('start', () => supervisor.start({ signal: ctx.signal }))
      if (!started.ok) {
        startFailed = !dryRun
        return ctx.finish('failed', { reason: started.error ?? 'start failed' })
      }
      if (!dryRun) supervisor.countRestart()
      return ctx.finish('succeeded')
    }
    const record = await this.#locked(runtime, dryRun, skipped, () =>
      this.#guarded(processRestart, runtime, incident, dryRun, body),
    )
    if (record.outcome === 'skipped' && record.reason?.includes('already running'))
      this.#logger.debug('process exit during a healing; left to it', { service: runtime.name })
    if (startFailed && !this.#closed) supervisor.reportStartFailure()
  }
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
