import { isAbsolute, resolve } from 'node:path'
import { type AlertEngine, createAlertEngine, defaultRules, type ServiceHealth } from '@noa/alerts'
import {
  type Approval,
  type Clock,
  createId,
  errorMessage,
  HEALTH_STATES,
  type HealingAudit,
  type HealingRecord,
  type HealingTrigger,
  type LeaseStore,
  type Logger,
  type MetricSnapshot,
  noopLogger,
  type SystemSection,
  systemClock,
} from '@noa/core'
import { createHealingEngine, type HealingEngine } from '@noa/healing'
import { createHealthMonitor, type HealthChange, type HealthMonitor, type HealthSummary } from '@noa/health'
import {
  createProcessCollector,
  createSystemCollector,
  type ProcessCollector,
  Registry,
  type SystemCollector,
} from '@noa/metrics'
import {
  createJsonlArchive,
  createMemoryStore,
  type JsonlArchive,
  openStore,
  type SampleInput,
  type Store,
  type StoreConfig,
} from '@noa/store'
import type { AgentConfig, AgentService } from './config/schema.ts'
import { SseHub } from './http/sse-hub.ts'
import {
  applicationOf,
  delta,
  mergeTotals,
  type ScrapedSample,
  type ScrapeTotals,
  scrape,
} from './metrics/scrape.ts'
import { createHookRunner, type HookRunner } from './runtime/hooks.ts'

/** The parts of the agent that can be started alone (`noa start health`). */
export type Component = 'health' | 'metrics' | 'dashboard' | 'healing'
export const COMPONENTS: readonly Component[] = ['health', 'metrics', 'dashboard', 'healing']

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

/** `/api/status` body. */
export interface StatusBody {
  timestamp: string
  health: HealthSummary['overall']
  services: Array<{
    name: string
    state: string
    critical: boolean
    flapping: boolean
    blockedBy: string[]
    latencyMs: number | null
  }>
  metrics: { cpu: number | null; memory: number | null; errorRate: number | null; latency: number | null }
  alerts: { firing: number; pending: number }
  healing: { running: number; pendingApprovals: number }
}

/** The names of the derived series recorded every metrics round (the dashboard charts them). */
export const DERIVED_SERIES = [
  'noa_cpu_usage_percent',
  'noa_memory_usage_percent',
  'noa_error_rate',
  'noa_latency_avg_ms',
  'noa_latency_p95_ms',
  'noa_latency_p99_ms',
  'noa_requests_per_second',
] as const

const DOWN = new Set(['unhealthy', 'error'])
/** The lease that picks the one agent of a shared store that evaluates rules and notifies. */
const ALERTING_LEASE = 'alerting'

/**
 * The composed agent: health monitor, metrics loop, alert engine and healing engine over one
 * store, with their events fanned out to SSE and hooks. No sockets and no process state: the
 * CLI's start command owns those.
 */
export class Agent {
  readonly config: AgentConfig
  readonly store: Store
  readonly health: HealthMonitor
  readonly healing: HealingEngine
  readonly alerts: AlertEngine
  readonly archive: JsonlArchive | undefined
  /** Where healing records go: the store, or memory when `logs.audit` is off. */
  readonly audit: HealingAudit
  readonly sse: SseHub
  readonly registry = new Registry()
  readonly hooks: HookRunner
  readonly components: ReadonlySet<Component>
  readonly agentId: string
  readonly #clock: Clock
  readonly #log: (component: string) => Logger
  readonly #system: SystemCollector
  readonly #process: ProcessCollector
  readonly #services: Map<string, AgentService>
  readonly #running = new Map<string, HealingRecord>()
  readonly #retries = new Map<string, { cancel(): void }>()
  readonly #previous = new Map<string, ScrapeTotals>()
  readonly #metricsM
  #latest: MetricSnapshot | undefined
  #lastSamples: ScrapedSample[] = []
  #pendingApprovals = 0
  #timers: Array<{ cancel(): void }> = []
  #stopped = false
  #round: Promise<void> = Promise.resolve()
  /** Shared store: alerting runs only on the agent holding the `alerting` lease. */
  readonly #leases: LeaseStore | undefined
  #alerting = false
  #claim: Promise<void> = Promise.resolve()

  private constructor(config: AgentConfig, store: Store, deps: AgentDeps) {
    this.config = config
    this.store = store
    this.#clock = deps.clock ?? systemClock
    this.#log = deps.logger ?? (() => noopLogger)
    this.components = new Set(deps.components ?? COMPONENTS)
    this.agentId = deps.agentId ?? createId('agent')
    const path = (p: string) => (isAbsolute(p) ? p : resolve(deps.baseDir, p))
    this.#services = new Map(config.services.map((s) => [s.name, s]))
    this.audit = config.logs.audit ? store.healing : createMemoryStore({ maxSnapshots: 1 }).healing
    this.#system = createSystemCollector({ diskMount: deps.baseDir, clock: this.#clock })
    this.#process = createProcessCollector()
    this.hooks = createHookRunner(config.hooks, this.#log('hooks'), deps.baseDir)
    this.sse = new SseHub({
      bufferSize: config.api.sseBufferSize,
      heartbeatMs: config.api.sseHeartbeat,
      maxClients: config.api.sseMaxClients,
      maxQueuedBytes: config.api.sseMaxQueuedBytes,
      clock: this.#clock,
    })
    this.archive =
      config.metrics.storage.enabled && this.components.has('metrics')
        ? createJsonlArchive({
            dir: path(config.metrics.storage.path),
            retentionDays: config.metrics.retentionDays,
            gzip: config.metrics.storage.gzip,
            clock: this.#clock,
            logger: this.#log('metrics-collector'),
          })
        : undefined

    this.health = createHealthMonitor({
      services: config.services.map(({ metrics: _m, executor: _e, healing: _h, ...check }) => check),
      concurrency: config.healthChecks.concurrency,
      clock: this.#clock,
      logger: this.#log('health-check'),
    })

    const healingServices: Record<string, Record<string, unknown>> = {}
    for (const s of config.services) {
      const executor =
        s.executor?.type === 'local'
          ? {
              ...s.executor,
              cwd: path(s.executor.cwd ?? '.'),
              logs: { ...s.executor.logs, dir: path(s.executor.logs?.dir ?? 'logs/services') },
            }
          : s.executor
      healingServices[s.name] = { ...s.healing, dependsOn: s.dependsOn, ...(executor ? { executor } : {}) }
    }
    this.healing = createHealingEngine({
      config: { ...config.selfHealing, logsDir: path(config.selfHealing.logsDir) },
      services: healingServices,
      probe: (service) => this.health.checkNow(service),
      errorRate: async (service) => this.#latest?.services?.[service]?.requests?.errorRate,
      audit: this.audit,
      approvals: store.approvals,
      ...(store.type === 'postgres' ? { leases: store.leases } : {}),
      agentId: this.agentId,
      clock: this.#clock,
      logger: this.#log('self-healing'),
    })

    const channels: Record<string, Record<string, unknown>> = {}
    for (const [name, entry] of Object.entries(config.alerting.channels)) {
      if (entry.enabled === false) continue
      const { enabled: _e, ...options } = entry
      const type = entry.type ?? name
      channels[name] = {
        ...options,
        type,
        ...(type === 'file' ? { path: path(String(options.path ?? './logs/alerts')) } : {}),
      }
    }
    this.alerts = createAlertEngine({
      rules: config.alerting.rules ?? defaultRules(),
      channels: config.alerting.enabled ? channels : {},
      outbox: store.outbox,
      alertLog: store.alerts,
      clock: this.#clock,
      logger: this.#log('alerts'),
      groupWaitMs: config.alerting.groupWait,
      repeatIntervalMs: config.alerting.repeatInterval,
      delivery: {
        onAttempt: (delivery, result) =>
          this.countNotification(delivery.channel, result.ok ? 'sent' : 'failed'),
      },
      ...(deps.write ? { write: deps.write } : {}),
    })
    this.#leases = store.type === 'postgres' ? store.leases : undefined
    this.#metricsM = this.#ownMetrics()
    this.#system.register(this.registry)
    this.#process.register(this.registry)
    this.#wire()
  }

  /** Builds the agent: opens the store (falling back to memory when it cannot), validates every engine. */
  static async create(config: AgentConfig, deps: AgentDeps): Promise<Agent> {
    const logger = (deps.logger ?? (() => noopLogger))('agent')
    const storeConfig =
      config.store.type === 'sqlite' && config.store.path !== ':memory:' && !isAbsolute(config.store.path)
        ? { ...config.store, path: resolve(deps.baseDir, config.store.path) }
        : config.store
    const store = await openStore(storeConfig as StoreConfig, {
      fallbackToMemory: config.store.type !== 'postgres',
      logger,
      onFallback: (error) => logger.error('store unavailable, using memory', { error: error.message }),
    })
    try {
      return new Agent(config, store, deps)
    } catch (error) {
      await store.close()
      throw error
    }
  }

  #ownMetrics() {
    const r = this.registry
    return {
      // Service states are read from the monitor when /metrics is read, not kept up to date at
      // every check result (50 services checked every 30 s would be 400 gauge writes a second).
      up: r.gauge({
        name: 'noa_service_up',
        help: '1 when the service is healthy',
        labelNames: ['service'],
        collect: (gauge) => {
          for (const s of this.health.summary().services)
            gauge.set({ service: s.service }, s.state === 'healthy' ? 1 : 0)
        },
      }),
      state: r.gauge({
        name: 'noa_service_state',
        help: '1 for the current state of the service',
        labelNames: ['service', 'state'],
        collect: (gauge) => {
          for (const s of this.health.summary().services)
            for (const state of HEALTH_STATES)
              gauge.set({ service: s.service, state }, s.state === state ? 1 : 0)
        },
      }),
      duration: r.histogram({
        name: 'noa_check_duration_seconds',
        help: 'Duration of health checks',
        labelNames: ['service'],
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      }),
      checks: r.counter({
        name: 'noa_checks_total',
        help: 'Health check results',
        labelNames: ['service', 'state'],
      }),
      healings: r.counter({
        name: 'noa_healing_actions_total',
        help: 'Healings that ended, by outcome',
        labelNames: ['service', 'strategy', 'outcome'],
      }),
      alerts: r.gauge({ name: 'noa_alerts', help: 'Active alerts', labelNames: ['severity', 'state'] }),
      notifications: r.counter({
        name: 'noa_notifications_total',
        help: 'Notification delivery attempts',
        labelNames: ['channel', 'status'],
      }),
      sse: r.gauge({
        name: 'noa_sse_clients',
        help: 'Open /api/sse streams',
        collect: (gauge) => gauge.set(this.sse.size),
      }),
      rounds: r.counter({ name: 'noa_metrics_rounds_total', help: 'Metrics collection rounds' }),
      scrapeErrors: r.counter({
        name: 'noa_scrape_errors_total',
        help: 'Failed scrapes of services /metrics',
        labelNames: ['service'],
      }),
    }
  }

  #wire(): void {
    const m = this.#metricsM
    const healthLog = this.#log('health-check')
    const healLog = this.#log('self-healing')
    this.health.on('result', (result) => {
      m.checks.inc({ service: result.service, state: result.state })
      m.duration.labels({ service: result.service }).observe(result.durationMs / 1000)
      this.store.checks
        .append(result)
        .catch((e) => healthLog.warn('cannot store a check', { error: errorMessage(e) }))
    })
    this.health.on('change', (change) => this.#onChange(change))
    this.healing.on('process-exit', (exit) => {
      healLog.warn('supervised process exited', {
        service: exit.service,
        code: exit.code,
        signal: exit.signal,
      })
      if (this.#services.has(exit.service) && this.health.running)
        this.health.report(exit.service, {
          state: 'error',
          message: exit.signal ? `process exited on ${exit.signal}` : `process exited with code ${exit.code}`,
          retryable: false,
        })
    })
    const onHealing = (record: HealingRecord) => {
      if (record.outcome === 'running' || record.outcome === 'awaiting-approval')
        this.#running.set(record.id, record)
      else this.#running.delete(record.id)
      this.sse.publish('healing', record)
    }
    this.healing.on('healing-started', (record) => {
      healLog.info('healing started', {
        service: record.service,
        trigger: record.trigger,
        strategy: record.strategy,
      })
      onHealing(record)
      this.hooks.emit('healing.started', record)
    })
    this.healing.on('healing-step', (record, step) => {
      healLog.info('healing step', {
        service: record.service,
        step: step.name,
        ok: step.ok,
        error: step.error,
      })
      onHealing(record)
      this.hooks.emit('healing.step', { ...record, step })
    })
    this.healing.on('healing-finished', (record) => {
      m.healings.inc({ service: record.service, strategy: record.strategy, outcome: record.outcome })
      onHealing(record)
      this.#running.delete(record.id)
      this.hooks.emit('healing.finished', record)
    })
    this.healing.on('approval-requested', (approval) => {
      this.#pendingApprovals++
      this.sse.publish('approval', approval)
      this.hooks.emit('approval.requested', approval)
    })
    this.alerts.on('alert', (alert) => {
      this.sse.publish('alert', alert)
      if (alert.state === 'firing' || alert.state === 'resolved' || alert.state === 'pending')
        this.hooks.emit(`alert.${alert.state}`, alert)
      this.#log('alerts').info('alert', { rule: alert.rule, state: alert.state, labels: alert.labels })
    })
    this.alerts.on('action', (action) => {
      if (action.kind === 'gc') {
        ;(globalThis as { gc?: () => void }).gc?.()
        return
      }
      // service-down and dependency-failure heal from the health change itself (sooner, once).
      if (action.trigger === 'service-down' || action.trigger === 'dependency-failure') return
      const targets = action.service ? [action.service] : []
      for (const service of targets) if (this.healing.executor(service)) this.#heal(action.trigger, service)
    })
  }

  #onChange(change: HealthChange): void {
    // @noa/health logs the change itself
    const log = this.#log('health-check')
    this.store.checks
      .appendChange(change)
      .catch((e) => log.warn('cannot store a state change', { error: errorMessage(e) }))
    this.sse.publish('change', change)
    this.hooks.emit('change', change)
    this.#evaluate()
    if (
      DOWN.has(change.to) &&
      this.components.has('healing') &&
      this.config.selfHealing.enabled &&
      this.healing.executor(change.service) &&
      !this.health.status(change.service).flapping
    ) {
      const trigger = change.blockedBy.length > 0 ? 'dependency-failure' : 'service-down'
      this.#heal(trigger, change.service, change.result)
    }
  }

  #heal(trigger: HealingTrigger, service: string, result?: HealthChange['result']): void {
    this.healing.heal(trigger, service, result ? { result } : {}).then(
      (record) => {
        // Another agent holds the service's lease. If it dies mid-healing its lease runs out:
        // try again while the service is still down, so exactly one survivor takes over.
        if (record.outcome === 'skipped' && record.reason?.startsWith('another agent'))
          this.#retryLater(trigger, service)
      },
      (e) => this.#log('self-healing').error('healing failed', { service, error: errorMessage(e) }),
    )
  }

  #retryLater(trigger: HealingTrigger, service: string): void {
    if (this.#retries.has(service) || this.#stopped) return
    const delay = Math.max(100, Math.floor(this.config.selfHealing.leaseTtl / 2))
    const timer = this.#clock.setTimeout(() => {
      this.#retries.delete(service)
      if (!this.#stopped && DOWN.has(this.health.status(service).state)) this.#heal(trigger, service)
    }, delay)
    this.#retries.set(service, timer)
  }

  /** Evaluates the alert rules over the latest snapshot and health now. */
  #evaluate(): Promise<void> {
    if (!this.components.has('health') && !this.components.has('metrics')) return Promise.resolve()
    // Only the holder of the alerting lease notifies; the others would send duplicates.
    if (this.#leases && !this.#alerting) return Promise.resolve()
    const services: Record<string, ServiceHealth> = {}
    for (const s of this.health.summary().services) {
      const guard = this.healing.guardState(s.service)
      services[s.service] = {
        state: s.state,
        critical: s.critical,
        dependsOn: s.dependsOn,
        blockedBy: s.blockedBy,
        failures: s.consecutiveFailures,
        degraded: guard.degraded,
      }
    }
    return this.alerts
      .evaluate({
        ...(this.#latest ? { snapshot: this.#latest } : {}),
        services,
        samples: this.#lastSamples,
      })
      .then(
        () => this.#updateAlertGauges(),
        (e) => this.#log('alerts').error('rule evaluation failed', { error: errorMessage(e) }),
      )
  }

  #updateAlertGauges(): void {
    const counts = new Map<string, number>()
    for (const a of this.alerts.alerts()) {
      const key = `${a.severity}|${a.state}`
      counts.set(key, (counts.get(key) ?? 0) + 1)
    }
    for (const severity of ['critical', 'warning', 'info'])
      for (const state of ['pending', 'firing'])
        this.#metricsM.alerts.set({ severity, state }, counts.get(`${severity}|${state}`) ?? 0)
  }

  /** Collects one snapshot: system, the agent's process, every service's /metrics. */
  async collect(): Promise<{ snapshot: MetricSnapshot; samples: SampleInput[]; scraped: ScrapedSample[] }> {
    const now = this.#clock.now()
    const cats = this.config.metrics.categories
    const [system, proc] = await Promise.all([
      cats.system ? this.#system.collect() : Promise.resolve({} as SystemSection),
      this.#process.collect(),
    ])
    const snapshot: MetricSnapshot = {
      timestamp: new Date(now).toISOString(),
      system,
      application: cats.application ? { process: proc } : {},
      business: {},
      custom: {},
    }
    const samples: SampleInput[] = []
    const scraped: ScrapedSample[] = []
    const totals: ScrapeTotals[] = []
    const deltas: ScrapeTotals[] = []
    const targets = this.config.services.filter((s) => s.metrics !== undefined)
    const results = await Promise.all(
      targets.map((s) => {
        const target = typeof s.metrics === 'string' ? { url: s.metrics } : s.metrics!
        return scrape(target.url, target.timeout ?? this.config.metrics.scrapeTimeout, now)
      }),
    )
    const services: NonNullable<MetricSnapshot['services']> = {}
    targets.forEach((s, i) => {
      const r = results[i]!
      if (!r.ok || !r.totals) {
        this.#metricsM.scrapeErrors.inc({ service: s.name })
        this.#log('metrics-collector').debug('scrape failed', { service: s.name, error: r.error })
        return
      }
      const before = this.#previous.get(s.name)
      this.#previous.set(s.name, r.totals)
      const d = delta(r.totals, before)
      const seconds = before && d !== r.totals ? (r.totals.at - before.at) / 1000 : 0
      const app = applicationOf(d, seconds, r.totals)
      totals.push(r.totals)
      deltas.push(d)
      services[s.name] = cats.business ? { ...app, business: r.business } : app
      if (cats.business)
        for (const [k, v] of Object.entries(r.business))
          snapshot.business[k] = (snapshot.business[k] ?? 0) + v
      for (const sample of r.samples)
        scraped.push({ ...sample, labels: { ...sample.labels, service: s.name } })
      this.#derived(samples, now, app, { service: s.name })
    })
    if (targets.length > 0) {
      snapshot.services = services
      if (cats.application && totals.length > 0) {
        const seconds = this.config.metrics.collectInterval / 1000
        const fleet = applicationOf(mergeTotals(deltas, now), seconds, mergeTotals(totals, now))
        snapshot.application = { ...snapshot.application, ...fleet }
        this.#derived(samples, now, fleet, {})
      }
    }
    const cpu = system.cpu?.usage?.average
    const memory = system.memory?.usagePercent
    if (cpu !== undefined) samples.push({ name: 'noa_cpu_usage_percent', value: cpu, at: now })
    if (memory !== undefined) samples.push({ name: 'noa_memory_usage_percent', value: memory, at: now })
    for (const s of this.health.summary().services)
      samples.push({
        name: 'noa_service_up',
        labels: { service: s.service },
        value: s.state === 'healthy' ? 1 : 0,
        at: now,
      })
    return { snapshot, samples, scraped }
  }

  #derived(
    out: SampleInput[],
    at: number,
    app: MetricSnapshot['application'],
    labels: Record<string, string>,
  ): void {
    const push = (name: string, value: number | undefined) => {
      if (value !== undefined && Number.isFinite(value)) out.push({ name, labels, value, at })
    }
    push('noa_error_rate', app.requests?.errorRate)
    push('noa_requests_per_second', app.throughput?.requestsPerSecond)
    push('noa_latency_avg_ms', app.latency?.average)
    push('noa_latency_p95_ms', app.latency?.p95)
    push('noa_latency_p99_ms', app.latency?.p99)
  }

  /** One metrics round: collect, store, archive, publish, evaluate the rules. */
  async metricsRound(): Promise<MetricSnapshot> {
    const log = this.#log('metrics-collector')
    const { snapshot, samples, scraped } = await this.collect()
    this.#latest = snapshot
    this.#lastSamples = scraped
    this.#metricsM.rounds.inc()
    const writes = [this.store.snapshots.append(snapshot), this.store.samples.append(samples)]
    if (this.archive) writes.push(this.archive.append(snapshot))
    const settled = await Promise.allSettled(writes)
    for (const s of settled)
      if (s.status === 'rejected') log.warn('cannot store metrics', { error: errorMessage(s.reason) })
    this.sse.publish('metrics', snapshot)
    await this.#evaluate()
    return snapshot
  }

  /** Starts the components: supervised services, checks, the metrics loop and the status events. */
  async start(): Promise<void> {
    const log = this.#log('agent')
    if (this.components.has('healing') || this.components.has('health')) {
      const started = await this.healing.start()
      for (const [service, r] of Object.entries(started))
        if (!r.ok) log.error('supervised service did not start', { service, error: r.error })
    }
    if (this.#leases) {
      await this.#claimAlerting()
      const every = Math.max(100, Math.floor(this.config.selfHealing.leaseTtl / 3))
      this.#loop(every, () => {
        this.#claim = this.#claimAlerting()
        return this.#claim
      })
    } else await this.alerts.start()
    if (this.components.has('health') && this.config.healthChecks.enabled) {
      // Services the agent has just started need a moment to listen before the first check.
      const supervised = this.config.services.some((s) => s.executor?.type === 'local')
      const grace = supervised ? Math.min(this.config.healthChecks.interval, 3000) : 0
      if (grace > 0)
        this.#timers.push(this.#clock.setTimeout(() => !this.#stopped && this.health.start(), grace))
      else this.health.start()
    }
    await this.#refreshApprovals()
    if (this.components.has('metrics') && this.config.metrics.enabled)
      this.#loop(
        this.config.metrics.collectInterval,
        () => {
          this.#round = this.metricsRound().then(
            () => undefined,
            (e) => log.error('metrics round failed', { error: errorMessage(e) }),
          )
          return this.#round
        },
        0,
      )
    this.#loop(this.config.dashboard.refreshInterval, async () => {
      await this.#refreshApprovals()
      this.sse.publish('status', this.status())
    })
    log.info('agent started', { agentId: this.agentId, services: this.config.services.length })
  }

  /**
   * Takes or renews the `alerting` lease. On taking it, the engine reloads the firing alerts
   * from the shared alert log (so they are not announced again) and its worker resumes the
   * pending deliveries of the shared outbox; on losing it, the worker stops.
   */
  async #claimAlerting(): Promise<void> {
    const log = this.#log('alerts')
    const leases = this.#leases
    if (!leases) return
    let held = false
    try {
      held = await leases.acquireLease(
        ALERTING_LEASE,
        this.agentId,
        this.config.selfHealing.leaseTtl,
        this.#clock.now(),
      )
    } catch (e) {
      log.warn('cannot renew the alerting lease', { error: errorMessage(e) })
    }
    if (held === this.#alerting) return
    this.#alerting = held
    // Stopping: stop() releases what was just taken and stops the engine itself.
    if (this.#stopped) return
    if (held) {
      log.info('alerting lease taken: this agent evaluates rules and delivers notifications', {
        agentId: this.agentId,
      })
      await this.alerts.start()
      // What went down while another agent held the lease is judged now, not at the next change.
      await this.#evaluate()
    } else {
      log.warn('alerting lease lost: another agent notifies', { agentId: this.agentId })
      await this.alerts.worker.stop()
    }
  }

  /** Whether this agent evaluates the rules and delivers notifications now. */
  get alerting(): boolean {
    return !this.#leases || this.#alerting
  }

  #loop(intervalMs: number, body: () => Promise<void>, firstDelay = intervalMs): void {
    // Each loop keeps one slot in #timers, replaced at every tick, so a long-running agent
    // holds one pending timer per loop, not one per tick since it started.
    const slot = this.#timers.length
    const tick = () => {
      if (this.#stopped) return
      body().finally(() => {
        if (!this.#stopped) this.#timers[slot] = this.#clock.setTimeout(tick, intervalMs)
      })
    }
    this.#timers.push(this.#clock.setTimeout(tick, firstDelay))
  }

  async #refreshApprovals(): Promise<void> {
    try {
      this.#pendingApprovals = (
        await this.store.approvals.approvals({ status: 'pending', limit: 1000 })
      ).length
    } catch {
      // keep the last count
    }
  }

  /** The latest snapshot, if a round has run. */
  get latest(): MetricSnapshot | undefined {
    return this.#latest
  }

  /** Healings in progress. */
  runningHealings(): HealingRecord[] {
    return [...this.#running.values()]
  }

  /** The `/api/status` body, from memory only (it must stay fast). */
  status(): StatusBody {
    const summary = this.health.summary()
    const active = this.alerts.alerts()
    const app = this.#latest?.application
    return {
      timestamp: new Date(this.#clock.now()).toISOString(),
      health: summary.overall,
      services: summary.services.map((s) => ({
        name: s.service,
        state: s.state,
        critical: s.critical,
        flapping: s.flapping,
        blockedBy: [...s.blockedBy],
        latencyMs: s.lastResult?.durationMs ?? null,
      })),
      metrics: {
        cpu: this.#latest?.system.cpu?.usage?.average ?? null,
        memory: this.#latest?.system.memory?.usagePercent ?? null,
        errorRate: app?.requests?.errorRate ?? null,
        latency: app?.latency?.average ?? null,
      },
      alerts: {
        firing: active.filter((a) => a.state === 'firing').length,
        pending: active.filter((a) => a.state === 'pending').length,
      },
      healing: { running: this.#running.size, pendingApprovals: this.#pendingApprovals },
    }
  }

  /** Decides an approval and publishes it; undefined when unknown or not pending. */
  async decide(id: string, approve: boolean, by?: string, comment?: string): Promise<Approval | undefined> {
    const approval = await this.healing.decideApproval(id, {
      status: approve ? 'approved' : 'rejected',
      at: this.#clock.now(),
      ...(by ? { by } : {}),
      ...(comment ? { comment } : {}),
    })
    if (approval) {
      this.#pendingApprovals = Math.max(0, this.#pendingApprovals - 1)
      this.sse.publish('approval', approval)
      this.hooks.emit('approval.decided', approval)
    }
    return approval
  }

  /** The agent's Prometheus exposition; the system and process gauges refresh as it is written. */
  renderMetrics(format: 'prometheus' | 'openmetrics'): Promise<string> {
    return this.registry.metrics(format)
  }

  /** Counts a delivery attempt of the alert engine's outbox worker. */
  countNotification(channel: string, status: string): void {
    this.#metricsM?.notifications.inc({ channel, status })
  }

  /**
   * Graceful shutdown: stop the loops and checks, let in-flight healings finish (the engine
   * records what it must abandon as interrupted), flush the alerts and the store, close SSE.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    for (const t of this.#timers) t.cancel()
    for (const t of this.#retries.values()) t.cancel()
    await this.health.stop()
    await this.#round
    await this.#claim
    await this.healing.close()
    await this.alerts.stop()
    if (this.#leases && this.#alerting)
      await this.#leases
        .releaseLease(ALERTING_LEASE, this.agentId)
        .catch((e) =>
          this.#log('alerts').warn('cannot release the alerting lease', { error: errorMessage(e) }),
        )
    await this.hooks.idle()
    this.sse.close()
    this.#system.stop()
    this.#process.stop()
    try {
      await this.store.flush()
    } catch (e) {
      this.#log('agent').warn('store flush failed at shutdown', { error: errorMessage(e) })
    }
    await this.store.close()
    this.#log('agent').info('agent stopped')
  }
}
