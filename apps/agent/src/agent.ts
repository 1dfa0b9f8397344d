import type { AlertEngine, EvaluationContext } from '@noa/alerts'
import {
  type Clock,
  createId,
  errorMessage,
  type HealingRecord,
  type Logger,
  type MetricSnapshot,
  noopLogger,
  systemClock,
} from '@noa/core'
import type { HealingEngine } from '@noa/healing'
import type { HealthMonitor } from '@noa/health'
import type { OtlpExport } from '@noa/metrics/otlp'
import type { Store } from '@noa/store'
import { registerChannelMetrics } from './alerting/channel-metrics.ts'
import { AlertingLeader } from './alerting/leader.ts'
import { CheckSharing, registerSharingMetrics } from './cluster/sharing.ts'
import { Coalescer } from './coalesce.ts'
import { COMPONENTS, type Component, compose, healingServices, type Parts, serviceChecks } from './compose.ts'
import type { AgentConfig } from './config/schema.ts'
import { type AgentApi, createAgentApi } from './http/agent-api.ts'
import type { ReloadResult, StatusBody } from './http/api-types.ts'
import { FleetFeed, registerFeedMetrics } from './http/fleet-feed.ts'
import { FleetIndex, type FleetMember } from './http/fleet-index.ts'
import type { SseHub } from './http/sse-hub.ts'
import { incidentEvent } from './incident/event.ts'
import { ruleContext } from './incident/facts.ts'
import { registerIncidentMetrics } from './incident/metrics.ts'
import { IncidentRouter } from './incident/router.ts'
import type { IncidentTracker } from './incident/tracker.ts'
import { Lifecycle, type LifecycleStep, loopStep } from './lifecycle.ts'
import { type MaintenanceWindows, registerMaintenanceMetrics } from './maintenance/windows.ts'
import { otlpRoundMetrics } from './metrics/otlp-metrics.ts'
import { remoteWriteSamples } from './metrics/remote-write-samples.ts'
import type { Collected } from './metrics/round.ts'
import { riskyHold } from './slo/hold.ts'
import { publicIncidents } from './status-page/incident-source.ts'
import { type HeldBytes, StatusView } from './status-view.ts'
import { openAgentStore, registerStoreMetrics, type StoreOpening, StoreWatch } from './store-status.ts'

export { COMPONENTS, type Component } from './compose.ts'

/**
 * The `status` event carries every service: above this many it would be megabytes every tick,
 * so bigger fleets get only the `summary` and `services` events.
 */
export const STATUS_EVENT_MAX_SERVICES = 1000

/** How long a stopping agent tries to hand its queued samples to the remote-write receiver, ms. */
const REMOTE_WRITE_STOP_MS = 5_000

export { DERIVED_SERIES } from './metrics/round.ts'

/** Everything the agent needs from outside: the composition root passes it in. */
export interface AgentDeps {
  /** Relative paths of the config resolve against this folder. */
  baseDir: string
  /** Components to run. @default all */
  components?: readonly Component[]
  /** A logger per component (logs/monitoring/<component>.log in the daemon). */
  logger?: (component: string) => Logger
  clock?: Clock
  /** This agent's name in leases. @default a random id */
  agentId?: string
  /** Where the console alert channel prints. @default stdout */
  write?: (line: string) => void
}

/**
 * The agent: its engines (built by `compose`) wired into one incident pipeline. Health
 * changes, process exits and firing rules go to the incident router, which alone decides
 * what healing runs; what healing cannot solve comes back as facts the rules see and
 * notifications people get. The HTTP layer talks to `api`. No sockets and no process state:
 * the CLI's start command owns those.
 */
export class Agent {
  readonly agentId: string
  readonly components: ReadonlySet<Component>
  readonly store: Store
  readonly health: HealthMonitor
  readonly healing: HealingEngine
  readonly alerts: AlertEngine
  /**
   * The maintenance windows: `on('maintenance', ({ window, phase }) => ...)` says when one opens
   * or ends (the incident timeline subscribes), `covering(service)` which one covers a service.
   */
  readonly maintenance: MaintenanceWindows
  readonly sse: SseHub
  /** The narrow API the HTTP layer uses. */
  readonly api: AgentApi
  readonly router: IncidentRouter
  /** Incidents and their timelines; `incidents.record(service, event)` adds an entry to a service's open one. */
  readonly incidents: IncidentTracker
  /** The fleet as `GET /api/services` lists it and the event stream sends it, in deltas. */
  readonly fleet: FleetFeed
  readonly #parts: Parts
  readonly #baseDir: string
  #config: AgentConfig
  readonly #clock: Clock
  readonly #log: (component: string) => Logger
  readonly #leader: AlertingLeader
  /** Present when agents on one PostgreSQL store share the checks. */
  readonly #sharing: CheckSharing | undefined
  readonly #storeWatch: StoreWatch
  readonly #lifecycle: Lifecycle
  /** Rule evaluations asked for by events: one per burst, not one per change (each reads the whole fleet). */
  readonly #evaluations: Coalescer
  /** The services' facts of the last rule evaluation, for the next to keep what did not change. */
  #lastFacts: EvaluationContext['services']
  readonly #view: StatusView
  readonly #running = new Map<string, HealingRecord>()
  /** The latest escalation of each service, in words, for the rules' `{{ $escalation }}`. */
  readonly #escalations = new Map<string, string>()
  #pendingApprovals = 0
  #stopped = false

  private constructor(parts: Parts, deps: AgentDeps, agentId: string, opening: StoreOpening) {
    const { config } = parts
    this.#parts = parts
    this.#config = config
    this.#baseDir = deps.baseDir
    this.agentId = agentId
    this.components = new Set(deps.components ?? COMPONENTS)
    this.store = parts.store
    this.health = parts.health
    this.healing = parts.healing
    this.alerts = parts.alerts
    this.maintenance = parts.maintenance
    this.sse = parts.sse
    this.incidents = parts.incidents
    this.#clock = deps.clock ?? systemClock
    this.#log = deps.logger ?? (() => noopLogger)
    this.#evaluations = new Coalescer({ task: () => this.#evaluate(), clock: this.#clock })
    this.#view = new StatusView({
      health: parts.health,
      healing: parts.healing,
      alerts: parts.alerts,
      round: parts.round,
      clock: this.#clock,
      runningHealings: () => this.#running.size,
      pendingApprovals: () => this.#pendingApprovals,
      inMaintenance: (service) => parts.maintenance.covering(service) !== undefined,
    })
    this.#storeWatch = new StoreWatch(parts.store, parts.alerts, opening, this.#clock)
    registerStoreMetrics(parts.registry, this.#storeWatch)
    registerIncidentMetrics(parts.registry, parts.incidents, parts.alerts)
    registerChannelMetrics(parts.registry, parts.alerts)
    this.#sharing =
      config.cluster.shareChecks && parts.store.type === 'postgres' && this.components.has('health')
        ? new CheckSharing({
            leases: parts.store.leases,
            checks: parts.store.checks,
            health: parts.health,
            agentId,
            ttlMs: config.cluster.memberTtl,
            // Each agent supervises its own copy of a local service: it watches that copy itself.
            pinned: (service) => parts.healing.executor(service)?.type === 'local',
            clock: this.#clock,
            logger: this.#log('health-check'),
          })
        : undefined
    if (this.#sharing) registerSharingMetrics(parts.registry, this.#sharing)
    const sharing = this.#sharing
    this.router = new IncidentRouter({
      health: parts.health,
      healing: parts.healing,
      enabled: this.components.has('healing') && config.selfHealing.enabled,
      verifyAfterMs: config.selfHealing.strategies.serviceRestart.startWait,
      leaseRetryMs: Math.max(100, Math.floor(config.selfHealing.leaseTtl / 2)),
      clock: this.#clock,
      logger: this.#log('self-healing'),
      ...(sharing ? { owns: (service: string) => sharing.owns(service) } : {}),
      holds: riskyHold(parts.healing, parts.slo),
      inMaintenance: (service) => parts.maintenance.covering(service) !== undefined,
      decided: (decision) => {
        if (!decision.heal && decision.reason === 'slo-budget-spent') {
          // A person is told: the rules see the hold (`slo_healing_held`) until the budget recovers.
          parts.slo.noteHeld(decision.service, decision.trigger, decision.at)
          this.#log('self-healing').warn('risky healing held: error budget spent', { ...decision })
          this.#evaluations.request()
        }
        parts.metrics.decisions.inc({
          event: decision.event,
          decision: decision.heal ? 'heal' : decision.reason,
        })
        parts.sse.publish('decision', decision)
        this.#log('self-healing')[decision.heal ? 'info' : 'debug']('incident decision', { ...decision })
      },
    })
    this.#leader = new AlertingLeader({
      alerts: parts.alerts,
      leases: parts.store.type === 'postgres' ? parts.store.leases : undefined,
      agentId,
      ttlMs: config.selfHealing.leaseTtl,
      clock: this.#clock,
      logger: this.#log('alerts'),
      // What went down while another agent held the lease is judged now, not at the next change.
      onLead: () => this.#evaluate(),
    })
    const index = new FleetIndex()
    this.fleet = new FleetFeed({
      index,
      health: parts.health,
      healing: parts.healing,
      sse: parts.sse,
      clock: this.#clock,
      extras: () => this.#summaryExtras(),
    })
    this.fleet.configure(fleetMembers(config, parts.health))
    registerFeedMetrics(parts.registry, this.fleet)
    registerMaintenanceMetrics(parts.registry, parts.maintenance)
    this.api = createAgentApi({
      parts,
      fleet: index,
      summary: () => this.fleet.summary(),
      clock: this.#clock,
      status: () => this.status(),
      statusJson: () => this.statusJson(),
      store: () => this.#storeWatch.status(),
      ...(sharing
        ? { cluster: () => ({ members: sharing.members.length, checkedHere: sharing.checkedHere }) }
        : {}),
      decide: (id, approve, by, comment) => this.#decide(id, approve, by, comment),
      config: () => this.#config,
      statusIncidents: publicIncidents(parts.incidents),
      logger: this.#log('api'),
    })
    this.#wire()
    this.#lifecycle = new Lifecycle(this.#steps(), this.#log('agent'))
  }

  /** Builds the agent: opens the store (falling back to memory when it cannot), validates every engine. */
  static async create(config: AgentConfig, deps: AgentDeps): Promise<Agent> {
    const logger = deps.logger ?? (() => noopLogger)
    const { store, opening } = await openAgentStore(config, deps.baseDir, logger('agent'))
    const agentId = deps.agentId ?? createId('agent')
    try {
      const parts = compose(config, store, {
        baseDir: deps.baseDir,
        components: new Set(deps.components ?? COMPONENTS),
        logger,
        clock: deps.clock ?? systemClock,
        agentId,
        ...(deps.write ? { write: deps.write } : {}),
      })
      return new Agent(parts, deps, agentId, opening)
    } catch (error) {
      await store.close()
      throw error
    }
  }

  #wire(): void {
    const { store, health, healing, alerts, sse, hooks, metrics, maintenance, incidents } = this.#parts
    const healthLog = this.#log('health-check')
    const healLog = this.#log('self-healing')
    health.on('result', (result) => {
      metrics.checks.inc({ service: result.service, state: result.state })
      metrics.results.inc({ state: result.state })
      metrics.duration.labels({ service: result.service }).observe(result.durationMs / 1000)
      // Checks run during maintenance too; what they found is kept, marked with the window.
      const window = maintenance.covering(result.service)
      store.checks
        .append(window ? { ...result, details: { ...result.details, maintenance: window.id } } : result)
        .catch((e) => healthLog.warn('cannot store a check', { error: errorMessage(e) }))
      incidents.checked(result)
    })
    health.on('late', ({ lateMs }) => metrics.lateness.observe(lateMs / 1000))
    health.on('change', (change) => {
      // A change of a service another agent checks is that agent's to record and to hook.
      if (health.checksHere(change.service)) {
        store.checks
          .appendChange(change)
          .catch((e) => healthLog.warn('cannot store a state change', { error: errorMessage(e) }))
        hooks.emit('change', change)
      }
      this.fleet.publishChange(change)
      this.router.stateChanged(change)
      this.#evaluations.request()
      // Last: the incident's timeline follows the pipeline, never holds it up.
      if (health.checksHere(change.service)) incidents.stateChanged(change)
    })
    health.on('flapping', (e) => {
      if (!e.flapping) this.router.flappingStopped(e.service)
    })
    healing.on('process-exit', (exit) => {
      healLog.warn('supervised process exited', {
        service: exit.service,
        code: exit.code,
        signal: exit.signal,
      })
      this.router.processExited(exit)
      incidents.processExited(exit)
    })
    const track = (record: HealingRecord) => {
      if (record.outcome === 'running' || record.outcome === 'awaiting-approval')
        this.#running.set(record.id, record)
      else this.#running.delete(record.id)
      sse.publish('healing', record)
    }
    healing.on('healing-started', (record) => {
      healLog.info('healing started', {
        service: record.service,
        trigger: record.trigger,
        strategy: record.strategy,
      })
      track(record)
      hooks.emit('healing.started', record)
      incidents.healing('started', record)
    })
    healing.on('healing-step', ({ record, step }) => {
      healLog.info('healing step', {
        service: record.service,
        step: step.name,
        ok: step.ok,
        error: step.error,
      })
      track(record)
      hooks.emit('healing.step', { ...record, step })
      incidents.healing('step', record, step)
    })
    healing.on('healing-finished', (record) => {
      metrics.healings.inc({ service: record.service, strategy: record.strategy, outcome: record.outcome })
      track(record)
      hooks.emit('healing.finished', record)
      incidents.healing('finished', record)
    })
    healing.on('approval-requested', (approval) => {
      this.#pendingApprovals++
      sse.publish('approval', approval)
      hooks.emit('approval.requested', approval)
      incidents.approval(approval)
    })
    healing.on('escalation', (escalation) => {
      this.#escalations.set(escalation.service, escalation.message)
      metrics.escalations.inc({ service: escalation.service, kind: escalation.kind })
      sse.publish('escalation', escalation)
      this.#evaluations.request()
    })
    healing.on('recovered', ({ service }) => {
      this.#escalations.delete(service)
      this.#evaluations.request()
    })
    maintenance.on('maintenance', (event) => {
      sse.publish('maintenance', event)
      // A window on a service with an open incident is part of its story.
      const { window, phase } = event
      for (const service of maintenance.servicesOf(window))
        incidents.record(service, {
          kind: 'maintenance',
          text: `maintenance ${phase}: ${window.reason}`,
          by: phase === 'ended' ? (window.endedBy ?? window.createdBy) : window.createdBy,
          ref: window.id,
        })
    })
    maintenance.on('coverage', ({ entered, left }) => {
      for (const service of [...entered, ...left])
        this.fleet.setMaintenance(service, maintenance.covering(service))
      this.#view.touch([...entered, ...left])
      // What a window held back and is still down is healed now, and its alerts notified.
      for (const service of left) this.router.maintenanceEnded(service)
      this.#evaluations.request()
    })
    alerts.on('alert', (alert) => {
      sse.publish('alert', alert)
      if (alert.state === 'firing' || alert.state === 'resolved' || alert.state === 'pending')
        hooks.emit(`alert.${alert.state}`, alert)
      this.#log('alerts').info('alert', { rule: alert.rule, state: alert.state, labels: alert.labels })
      incidents.alertChanged(alert)
    })
    // Notifications never depend on the disk: when the outbox cannot be written they go out
    // directly, and the store rules judge at once instead of at the next round.
    alerts.on('outbox-failed', ({ error }) => {
      this.#log('alerts').error('cannot write notifications to the outbox; sending them directly', { error })
      this.#evaluations.request()
    })
    alerts.on('outbox-recovered', () => {
      this.#log('alerts').info('the outbox can be written again')
      this.#evaluations.request()
    })
    alerts.on('notification', (n) => incidents.notified(n))
    incidents.on('incident', (e) => sse.publish('incident', incidentEvent(e)))
    alerts.on('action', (action) => {
      if (action.kind === 'gc') (globalThis as { gc?: () => void }).gc?.()
      else this.router.ruleFired(action.trigger, action.service)
    })
  }

  /** The agent's life, in order: each step starts after the one before and stops before it. */
  #steps(): LifecycleStep[] {
    const { config, store, health, healing, sse, hooks, system, process, maintenance, incidents } =
      this.#parts
    const clock = this.#clock
    const log = this.#log('agent')
    const on = (c: Component) => this.components.has(c)
    const steps: LifecycleStep[] = [
      {
        name: 'store',
        start: () => undefined,
        stop: async () => {
          await store
            .flush()
            .catch((e) => log.warn('store flush failed at shutdown', { error: errorMessage(e) }))
          await store.close()
        },
      },
      // Before anything reports: an incident left open by the last run is continued, not opened twice.
      { name: 'incidents', start: () => incidents.start(), stop: () => incidents.stop() },
      {
        name: 'events and collectors',
        start: () => undefined,
        stop: async () => {
          await hooks.idle()
          this.fleet.close()
          sse.close()
          system.stop()
          process.stop()
        },
      },
      { name: 'alerting', start: () => this.#leader.start(), stop: () => this.#leader.stop() },
      // Before the supervised services start: an exit in an open window must find it open.
      { name: 'maintenance windows', start: () => maintenance.start(), stop: () => maintenance.stop() },
    ]
    if (store.type === 'postgres')
      steps.push(
        loopStep({
          name: 'alerting lease',
          clock,
          logger: log,
          intervalMs: this.#leader.renewEvery,
          body: () => this.#leader.claim(),
        }),
      )
    if (on('healing') || on('health'))
      steps.push({
        name: 'healing and supervised services',
        start: async () => {
          const started = await healing.start()
          for (const [service, r] of Object.entries(started))
            if (!r.ok) log.error('supervised service did not start', { service, error: r.error })
        },
        stop: () => healing.close(),
      })
    const sharing = this.#sharing
    if (sharing && config.healthChecks.enabled)
      steps.push(
        // Joins before the first check, so that it checks only its share; leaves after the last.
        { name: 'shared checks', start: () => sharing.renew(), stop: () => sharing.leave() },
        loopStep({
          name: 'shared checks membership',
          clock,
          logger: log,
          intervalMs: sharing.renewEvery,
          body: () => sharing.renew(),
        }),
        loopStep({
          name: "other agents' results",
          clock,
          logger: log,
          intervalMs: Math.min(10_000, Math.max(1000, Math.floor(config.healthChecks.interval / 2))),
          firstDelayMs: 0,
          body: () => sharing.mirror(),
        }),
      )
    if (on('health') && config.healthChecks.enabled) {
      // Services the agent has just started need a moment to listen before the first check.
      const supervised = config.services.some((s) => s.executor?.type === 'local')
      const grace = supervised ? Math.min(config.healthChecks.interval, 3000) : 0
      let timer: { cancel(): void } | undefined
      steps.push({
        name: 'health checks',
        start: () => {
          timer = clock.setTimeout(() => !this.#stopped && health.start(), grace)
        },
        stop: () => {
          timer?.cancel()
          return health.stop()
        },
      })
    }
    steps.push({ name: 'approvals', start: () => this.#refreshApprovals() })
    const remoteWrite = this.#parts.remoteWrite
    // Before the round, so that it stops after the last round and flushes what that round queued.
    if (remoteWrite)
      steps.push({
        name: 'remote write',
        start: () => remoteWrite.start(),
        stop: () => remoteWrite.stop(REMOTE_WRITE_STOP_MS),
      })
    const startOtlp = this.#parts.otlp
    if (startOtlp) {
      let otlp: OtlpExport | undefined
      const startedAt = clock.now()
      const { registry, round } = this.#parts
      steps.push({
        name: 'otlp export',
        start: () => {
          otlp = startOtlp(
            () => otlpRoundMetrics(registry, round.collected, clock.now(), startedAt),
            this.agentId,
          )
        },
        stop: () => otlp?.stop(),
      })
    }
    if (on('metrics') && config.metrics.enabled)
      steps.push(
        loopStep({
          name: 'metrics round',
          clock,
          logger: this.#log('metrics-collector'),
          intervalMs: config.metrics.collectInterval,
          firstDelayMs: 0,
          body: () => this.metricsRound(),
        }),
      )
    if ((on('metrics') && config.metrics.enabled) || on('health'))
      steps.push(
        loopStep({
          name: 'slo budgets',
          clock,
          logger: this.#log('slo'),
          intervalMs: config.slo.interval,
          // At once: the store keeps the history, so budgets are known from the start.
          firstDelayMs: 0,
          body: async () => {
            await this.#parts.slo.refresh()
            this.#evaluations.request()
          },
        }),
      )
    steps.push(
      loopStep({
        name: 'status events',
        clock,
        logger: log,
        intervalMs: config.dashboard.refreshInterval,
        body: async () => {
          await this.#refreshApprovals()
          if (this.health.services.length <= STATUS_EVENT_MAX_SERVICES) sse.publish('status', this.status())
          await this.fleet.tick()
        },
      }),
      { name: 'status view', start: () => this.#view.start(), stop: () => this.#view.stop() },
      { name: 'incident router', start: () => undefined, stop: () => this.router.stop() },
    )
    return steps
  }

  /** The configuration in use (its services replaced by a reload). */
  get config(): AgentConfig {
    return this.#config
  }

  /**
   * Applies a new configuration's services without a restart (SIGHUP, `POST /api/reload`):
   * unchanged services keep their state, history, guards and supervised processes; removed ones
   * stop; changed and new ones start. Other sections that changed need a restart: they are
   * named in `notApplied`. Throws ConfigError, changing nothing, when a service is refused.
   */
  async reload(next: AgentConfig): Promise<ReloadResult> {
    const { health, healing, round, sse, maintenance } = this.#parts
    const notApplied = (Object.keys(next) as Array<keyof AgentConfig>).filter(
      (key) =>
        key !== 'services' &&
        key !== 'maintenance' &&
        JSON.stringify(next[key]) !== JSON.stringify(this.#config[key]),
    )
    const checks = health.update(serviceChecks(next))
    const healed = await healing.updateServices(healingServices(next, this.#baseDir))
    this.#sharing?.reshare()
    this.#config = { ...this.#config, services: next.services, maintenance: next.maintenance }
    maintenance.configure(next.maintenance, next.services)
    round.useConfig(this.#config)
    this.#parts.slo.useServices(next.services)
    this.fleet.configure(fleetMembers(this.#config, health))
    const result: ReloadResult = {
      services: {
        added: checks.added,
        removed: checks.removed,
        changed: [...new Set([...checks.changed, ...healed.changed])],
        kept: checks.kept.filter((name) => !healed.changed.includes(name)),
      },
      notApplied,
    }
    this.#log('agent').info('configuration reloaded', { ...result.services, notApplied })
    sse.publish('reload', result)
    this.#evaluations.request()
    return result
  }

  /** Starts the components: supervised services, checks, the metrics loop and the status events. */
  async start(): Promise<void> {
    await this.#lifecycle.start()
    this.#log('agent').info('agent started', { agentId: this.agentId, services: this.config.services.length })
  }

  /**
   * Graceful shutdown, in the reverse order of the start: the loops and checks stop, running
   * healings end (recorded as interrupted), alerts are flushed and the store closed.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    await this.#evaluations.stop()
    await this.#lifecycle.stop()
    this.#log('agent').info('agent stopped')
  }

  /** Evaluates the alert rules over the latest snapshot and health, if this agent alerts. */
  #evaluate(): Promise<void> {
    if (!this.components.has('health') && !this.components.has('metrics')) return Promise.resolve()
    if (!this.#leader.leading || this.#stopped) return Promise.resolve()
    const { alerts, health, healing, round, metrics } = this.#parts
    const facts = {
      health,
      healing,
      round,
      escalations: this.#escalations,
      agent: this.#storeWatch.facts(),
      last: this.#lastFacts,
      slo: (service: string) => this.#parts.slo.facts(service),
    }
    return ruleContext(facts)
      .then((context) => {
        this.#lastFacts = context.services
        return this.#stopped ? undefined : alerts.evaluate(context)
      })
      .then(
        () => {
          const counts = new Map<string, number>()
          for (const a of alerts.alerts())
            counts.set(`${a.severity}|${a.state}`, (counts.get(`${a.severity}|${a.state}`) ?? 0) + 1)
          for (const severity of ['critical', 'warning', 'info'])
            for (const state of ['pending', 'firing'])
              metrics.alerts.set({ severity, state }, counts.get(`${severity}|${state}`) ?? 0)
        },
        (e) => this.#log('alerts').error('rule evaluation failed', { error: errorMessage(e) }),
      )
  }

  /** One metrics round: collect, store, archive, publish, evaluate the rules. */
  async metricsRound(): Promise<MetricSnapshot> {
    const snapshot = await this.#parts.round.run()
    this.sse.publish('metrics', snapshot)
    await this.#queueRemoteWrite()
    await this.#evaluate()
    return snapshot
  }

  /** Queues the latest round's samples and the agent's own metrics for remote write. */
  async #queueRemoteWrite(): Promise<void> {
    const { remoteWrite, registry, round } = this.#parts
    const collected = round.collected
    if (!remoteWrite || !collected) return
    try {
      remoteWrite.enqueue(await remoteWriteSamples(registry, collected, this.#clock.now()))
    } catch (e) {
      this.#log('remote-write').error('cannot queue samples for remote write', { error: errorMessage(e) })
    }
  }

  /** Collects one snapshot without storing it (`noa metrics once`). */
  collect(): Promise<Collected> {
    return this.#parts.round.collect()
  }

  /** Whether this agent evaluates the rules and delivers notifications now. */
  get alerting(): boolean {
    return this.#leader.leading
  }

  /** The latest snapshot, if a round has run. */
  get latest(): MetricSnapshot | undefined {
    return this.#parts.round.latest
  }

  /** Healings in progress. */
  runningHealings(): HealingRecord[] {
    return [...this.#running.values()]
  }

  /** The `/api/status` body, from memory only (it must stay fast). */
  status(): StatusBody {
    return this.#view.body()
  }

  /**
   * The `/api/status` body as JSON bytes, cached until it would differ (a large fleet's body is
   * megabytes), held until released (see StatusView.heldJson).
   */
  statusJson(): HeldBytes {
    return this.#view.heldJson()
  }

  /** What `/api/summary` shows besides the fleet: `/api/status`'s figures, without its walk over every service. */
  #summaryExtras(): Pick<StatusBody, 'metrics' | 'alerts' | 'healing'> {
    const latest = this.#parts.round.latest
    let firing = 0
    let pending = 0
    for (const a of this.#parts.alerts.alerts()) {
      if (a.state === 'firing') firing++
      else if (a.state === 'pending') pending++
    }
    return {
      metrics: {
        cpu: latest?.system.cpu?.usage?.average ?? null,
        memory: latest?.system.memory?.usagePercent ?? null,
        errorRate: latest?.application?.requests?.errorRate ?? null,
        latency: latest?.application?.latency?.average ?? null,
        // when, and how often: the dashboard marks values older than two intervals stale
        ...(latest ? { at: Date.parse(latest.timestamp) } : {}),
        intervalMs: this.#parts.round.intervalMs,
      },
      alerts: { firing, pending },
      healing: { running: this.#running.size, pendingApprovals: this.#pendingApprovals },
    }
  }

  /** The agent's Prometheus exposition; the system and process gauges refresh as it is written. */
  renderMetrics(format: 'prometheus' | 'openmetrics'): Promise<string> {
    return this.#parts.registry.metrics(format)
  }

  async #decide(id: string, approve: boolean, by?: string, comment?: string) {
    const approval = await this.healing.decideApproval(id, {
      status: approve ? 'approved' : 'rejected',
      at: this.#clock.now(),
      ...(by ? { by } : {}),
      ...(comment ? { comment } : {}),
    })
    if (approval) {
      this.#pendingApprovals = Math.max(0, this.#pendingApprovals - 1)
      this.sse.publish('approval', approval)
      this.#parts.hooks.emit('approval.decided', approval)
      this.#parts.incidents.approval(approval)
    }
    return approval
  }

  async #refreshApprovals(): Promise<void> {
    try {
      this.#pendingApprovals = (
        await this.store.approvals.approvals({ status: 'pending', limit: 1000 })
      ).length
    } catch (e) {
      this.#log('agent').debug('cannot count pending approvals; keeping the last count', {
        error: errorMessage(e),
      })
    }
  }
}

/** The fleet index's view of the configured services: `critical` as the monitor resolved it. */
function fleetMembers(config: AgentConfig, health: HealthMonitor): FleetMember[] {
  const critical = new Map(health.services.map((s) => [s.name, s.critical]))
  return config.services.map((s) => ({
    name: s.name,
    critical: critical.get(s.name) ?? true,
    group: s.group,
    tags: s.tags,
    dependsOn: s.dependsOn,
    intervalMs: s.interval,
  }))
}
