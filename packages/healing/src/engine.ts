import type {
  Approval,
  ApprovalDecision,
  ApprovalStore,
  CheckResult,
  Clock,
  HealingAudit,
  HealingRecord,
  HealingStep,
  HealingTrigger,
  HealthState,
  LeaseStore,
  Logger,
  Subscribable,
} from '@noa/core'
import { createEmitter, createId, noopLogger, parseOptions, systemClock } from '@noa/core'
import { createApprovalGate } from './approval-gate.ts'
import { approvalsToResume, closeInterrupted } from './crash-recovery.ts'
import type { ActionResult, Executor } from './executor.ts'
import type { ProcessExit } from './executors/local/local.ts'
import { isLocalSupervisor } from './executors/local/local.ts'
import { createGuardGate, type ServiceGuardState } from './guard-gate.ts'
import { createHealingRecord } from './healing-record.ts'
import { runHealing } from './healing-run.ts'
import type { ResolvedSelfHealing, SelfHealingConfig, ServiceHealingConfig } from './options.ts'
import { selfHealingSchema } from './options.ts'
import { createRecordSink } from './record-sink.ts'
import { createServiceLock } from './service-lock.ts'
import { createServiceRegistry, type ServiceChanges } from './service-registry.ts'
import type {
  ErrorRateReader,
  HealingEscalation,
  Incident,
  Probe,
  ServiceRuntime,
  Strategy,
} from './strategy.ts'
import { createStrategyChoice, type Refusal } from './strategy-choice.ts'

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
  /**
   * Whether the healing of a service is held by its host (a maintenance window: people work on
   * it). While it is, the engine's own actions do not run: an open circuit's retry is skipped
   * (logged) and a supervised exit is not restarted with `restartOnExit`. What the host asks
   * with `heal` still runs. @default never
   */
  holds?: (service: string) => boolean
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
  /** The person who asked for it (the API token's name), kept in the record. */
  requestedBy?: string
}

/** Options of {@link HealingEngine.close}. */
export interface CloseOptions {
  /**
   * Leave supervised processes running (the next agent adopts them) instead of stopping them.
   * @default selfHealing.whenAgentStops is "keep"
   */
  keepProcesses?: boolean
}

/** Events of the healing engine, one payload each. */
export interface HealingEvents {
  'healing-started': HealingRecord
  /** A step ended: the record with every step so far, and that step. */
  'healing-step': { record: HealingRecord; step: HealingStep }
  'healing-finished': HealingRecord
  'approval-requested': Approval
  /** A supervised process exited on its own (reported at once, before any restart). */
  'process-exit': ProcessExit
  /** Something a person should know: a spent budget, an open circuit, a failed healing, a degradation. */
  escalation: HealingEscalation
  /** The service stayed healthy for the stable period: its circuit closed and its counts reset. */
  recovered: { service: string; at: number }
}

/**
 * The self-healing engine: picks a strategy for a trigger, passes the guards, acts through
 * the service's executor, verifies, and records every step. A service whose restart budget is
 * spent is degraded and retried with backoff until it is stable again.
 */
export interface HealingEngine {
  /** The `selfHealing` settings, every default filled in. */
  readonly options: ResolvedSelfHealing
  /** This agent's name in leases and records. */
  readonly agentId: string
  /** Listens to an event until the returned function is called. */
  on: Subscribable<HealingEvents>['on']
  /**
   * Closes the healings a crash left `running` as `interrupted`, starts every service under a
   * local supervisor, and asks again for the approvals still pending.
   */
  start(): Promise<Record<string, ActionResult>>
  /**
   * Ends running healings and releases executors; supervised processes keep running for the
   * next agent to adopt (`selfHealing.whenAgentStops: "keep"`) or are stopped.
   */
  close(options?: CloseOptions): Promise<void>
  /**
   * Heals `service` for `trigger` (the seed's `self-healing.js service-down mcp-server`).
   * Never throws: problems end as a failed or skipped record with the reason; a `skipped`
   * record says why in `skip`. Refusals by the lock or the lease are returned, not recorded:
   * the healing that holds the service records the incident.
   */
  heal(trigger: HealingTrigger, service: string, options?: HealOptions): Promise<HealingRecord>
  /**
   * Replaces the services' healing settings, as a configuration reload does, validated as a
   * whole first (ConfigError, nothing changed). An unchanged service keeps its executor, its
   * guards and its circuit; a removed one's executor is closed (its supervised process stops);
   * a changed one gets a new executor (its old process stops and the new command starts); a
   * new one starts under its supervisor when the engine is running. Ready-made executors
   * (`options.executors`) are left as they are.
   */
  updateServices(services: Record<string, ServiceHealingConfig>): Promise<ServiceChanges>
  /**
   * The services a fleet-wide trigger (a rule with no service, such as high load) can act on:
   * those whose strategy for the trigger applies to them.
   */
  targets(trigger: HealingTrigger): string[]
  /** The executor of a service, if it has one. */
  executor(service: string): Executor | undefined
  /** The guards' view of a service: restarts, circuit, degraded, whether its latest healing failed. */
  guardState(service: string): Readonly<ServiceGuardState>
  /**
   * Tells the engine what the health checks see. A service healthy for the stable period gets
   * its circuit closed and its counts reset; retries of an open circuit wait while it is healthy.
   */
  noteHealth(service: string, state: HealthState): void
  /**
   * Decides a pending approval (as POST /api/approvals/:id does) and wakes the healing
   * waiting for it. Returns the approval, or undefined when it is unknown or already decided.
   */
  decideApproval(id: string, decision: ApprovalDecision): Promise<Approval | undefined>
}

/**
 * Builds a {@link HealingEngine}; throws ConfigError listing every invalid option.
 *
 * One healing is an explicit flow: choose the strategy for the trigger, take the service's
 * lock (and lease), pass the guards, run the strategy through a run context that records
 * each step (a strategy that needs a person waits at the approval gate), and finish the
 * record. Each step lives in its own file; this one wires them.
 *
 * @example
 * ```ts
 * const engine = createHealingEngine({
 *   config: { restartCooldown: 60_000 },
 *   services: { 'mcp-server': { executor: { type: 'local', command: ['node', 'mcp.js'] } } },
 *   probe: (service, { signal }) => health.check(service, { signal }),
 *   audit: store.healing,
 * })
 * const off = engine.on('healing-finished', (record) => console.log(record.outcome))
 * await engine.start()
 * const record = await engine.heal('service-down', 'mcp-server')
 * ```
 */
export function createHealingEngine(deps: HealingEngineOptions = {}): HealingEngine {
  const options = parseOptions(selfHealingSchema, deps.config ?? {}, 'selfHealing')
  const clock = deps.clock ?? systemClock
  const logger = deps.logger ?? noopLogger
  const agentId = deps.agentId ?? createId('agent')
  const events = createEmitter<HealingEvents>({ logger, name: 'healing' })
  const emit = events.emit
  const choice = createStrategyChoice(options, deps.strategies)
  const running = new Set<Promise<unknown>>()
  let started = false
  let closed = false

  const escalate = (escalation: Omit<HealingEscalation, 'at'>) => {
    const full: HealingEscalation = { ...escalation, at: clock.now() }
    logger.warn(full.message, { service: full.service, kind: full.kind })
    emit('escalation', full)
  }
  const guards = createGuardGate({
    options,
    clock,
    logger,
    escalate,
    recovered: (info) => emit('recovered', info),
    retry: (service, what, attempt) => {
      if (deps.holds?.(service)) {
        logger.info('retry of the open circuit held', { service, attempt })
        return
      }
      void track(
        heal(
          what.trigger,
          service,
          {
            reason: `retry ${attempt} of the open circuit`,
            ...(what.exit ? { exit: { ...what.exit, delayMs: 0 } } : {}),
          },
          true,
        ),
      )
    },
  })
  const locks = createServiceLock({
    ...(deps.leases ? { leases: deps.leases } : {}),
    agentId,
    ttlMs: options.leaseTtl,
    clock,
    logger,
  })
  const approvals = createApprovalGate({
    store: deps.approvals,
    clock,
    timeoutMs: options.approvalTimeout,
    pollMs: options.approvalPollInterval,
    requested: (approval) => emit('approval-requested', approval),
  })
  const records = createRecordSink({
    audit: deps.audit,
    logsDir: options.logsDir,
    logger,
    finished: (record) => emit('healing-finished', record),
  })
  const services = createServiceRegistry(deps.services ?? {}, {
    executors: deps.executors ?? {},
    clock,
    logger,
    runDir: deps.runDir,
    exited(exit) {
      emit('process-exit', exit)
      if (deps.restartOnExit !== false && !closed && !deps.holds?.(exit.service))
        void engine.heal('process-exit', exit.service, { exit })
    },
  })
  const runDeps = {
    options,
    clock,
    logger,
    agentId,
    guards: guards.guards,
    probe: deps.probe,
    errorRate: deps.errorRate,
    approvals,
    lookup: (name: string) => services.get(name),
    save: records.save,
    started: (record: HealingRecord) => emit('healing-started', record),
    stepped: (record: HealingRecord, step: HealingStep) => emit('healing-step', { record, step }),
    escalate,
  }

  function track<T>(p: Promise<T>): Promise<T> {
    running.add(p)
    void p.finally(() => running.delete(p)).catch(() => {})
    return p
  }

  /**
   * One healing, from the trigger to the ended record: 1. choose the strategy, 2. take the
   * service (lock and lease), 3. pass the guards, 4. run it, 5. finish the record.
   * `retry`: the open circuit's own retry.
   */
  async function heal(
    trigger: HealingTrigger,
    service: string,
    how: HealOptions,
    retry: boolean,
  ): Promise<HealingRecord> {
    const now = clock.now()
    const dryRun = how.dryRun ?? options.dryRun
    const incident = incidentOf(trigger, service, how, now)
    const refused = (r: Refusal) =>
      createHealingRecord({
        service,
        trigger,
        strategy: choice.nameFor(trigger) ?? 'none',
        startedAt: now,
        endedAt: now,
        dryRun,
        agentId,
        requestedBy: how.requestedBy,
        ...r,
      })
    const chosen = choice.choose(trigger, services.get(service), service)
    if (!chosen.ok) return records.save(refused(chosen.refusal))
    const { strategy, runtime } = chosen
    if (incident.exit) {
      // An exit during a healing of the same service (a start that crashes at once) waits its turn.
      await locks.waitFree(service)
      guards.exited(incident.exit)
    }
    const locked = await locks.run(service, !dryRun, (signal) =>
      guardedRun(strategy, runtime, incident, { dryRun, retry, signal }),
    )
    if (retry) guards.retried(service)
    if (!locked.ok) {
      logger.debug('healing not started', { service, trigger, skip: locked.skip, reason: locked.reason })
      return refused({ outcome: 'skipped', reason: locked.reason, skip: locked.skip })
    }
    const record = locked.value
    // A supervised start that fails outright counts as a crash, so the supervisor's backoff keeps growing.
    if (
      trigger === 'process-exit' &&
      record.outcome === 'failed' &&
      !closed &&
      isLocalSupervisor(runtime.executor)
    )
      runtime.executor.reportStartFailure()
    return record
  }

  /**
   * Steps 3 to 5, holding the service: the guards, then the run and its record. A refusal is
   * recorded; one that spent the restart budget degrades the service, once.
   */
  async function guardedRun(
    strategy: Strategy,
    runtime: ServiceRuntime,
    incident: Incident,
    run: { dryRun: boolean; retry: boolean; signal: AbortSignal },
  ): Promise<HealingRecord> {
    const { dryRun, signal } = run
    const at = clock.now()
    const verdict = guards.check(strategy, incident, run.retry)
    if (verdict.allowed)
      return finish(
        strategy,
        incident,
        await runHealing(runDeps, strategy, runtime, incident, dryRun, signal),
      )
    const refused = createHealingRecord({
      service: incident.service,
      trigger: incident.trigger,
      strategy: strategy.name,
      startedAt: at,
      endedAt: at,
      outcome: 'skipped',
      dryRun,
      agentId,
      reason: verdict.reason,
      skip: verdict.skip,
      requestedBy: incident.requestedBy,
    })
    await records.finish(refused)
    const spent = guards.refused(incident, verdict, at)
    const degrade = choice.byName(options.triggers['max-restarts'] ?? 'graceful-degradation')
    if (!spent || !degrade || !options.strategies.gracefulDegradation.enabled) return refused
    const degradation: Incident = { ...incident, trigger: 'max-restarts', reason: verdict.reason }
    return finish(
      degrade,
      degradation,
      await runHealing(runDeps, degrade, runtime, degradation, dryRun, signal),
    )
  }

  /** Feeds an ended run to the guards (unless a dry run), then saves, logs and announces it. */
  async function finish(
    strategy: Strategy,
    incident: Incident,
    record: HealingRecord,
  ): Promise<HealingRecord> {
    if (!record.dryRun) guards.settle(strategy, incident, record)
    await records.finish(record)
    logger.info('healing finished', {
      service: record.service,
      strategy: record.strategy,
      outcome: record.outcome,
      reason: record.reason,
    })
    return record
  }

  const engine: HealingEngine = {
    options,
    agentId,
    on: events.on,
    heal: (trigger, service, how = {}) => track(heal(trigger, service, how, false)),
    updateServices: (raw) => services.update(raw, () => started && !closed),
    async start() {
      const recovery = {
        audit: deps.audit,
        leases: deps.leases,
        approvals: deps.approvals,
        agentId,
        now: clock.now(),
        logger,
        finished: records.finish,
      }
      started = true
      const interrupted = await closeInterrupted(recovery)
      const results = await services.startSupervised()
      const resume = await approvalsToResume(recovery, interrupted, services.has, choice.triggerFor)
      for (const r of resume)
        void engine.heal(r.trigger, r.service, {
          reason: `resumed after a restart; approval ${r.approvalId} is still pending`,
        })
      return results
    },
    async close(how = {}) {
      const keep = how.keepProcesses ?? options.whenAgentStops === 'keep'
      closed = true
      approvals.close()
      locks.close()
      guards.stop()
      await Promise.allSettled([...running])
      await services.close(keep)
    },
    targets(trigger) {
      const name = choice.nameFor(trigger)
      const strategy = name ? choice.byName(name) : undefined
      if (!strategy) return []
      const at = clock.now()
      return [...services.all()]
        .filter((s) => strategy.applies({ service: s.name, trigger, at }, s))
        .map((s) => s.name)
    },
    executor: (service) => services.get(service)?.executor,
    guardState: (service) => guards.state(service),
    noteHealth(service, state) {
      if (!services.has(service) || closed) return
      guards.noteHealth(service, state)
    },
    decideApproval: (id, decision) => approvals.decide(id, decision),
  }
  return engine
}

/** What asked for a healing, from `heal`'s arguments. */
function incidentOf(trigger: HealingTrigger, service: string, how: HealOptions, now: number): Incident {
  const incident: Incident = { service, trigger, at: how.exit?.at ?? now }
  if (how.reason) incident.reason = how.reason
  else if (how.exit) incident.reason = exitReason(how.exit)
  if (how.result) incident.result = how.result
  if (how.exit) incident.exit = how.exit
  if (how.requestedBy) incident.requestedBy = how.requestedBy
  return incident
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
