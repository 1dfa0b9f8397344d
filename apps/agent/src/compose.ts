import { isAbsolute, resolve } from 'node:path'
import { type AlertEngine, type ChannelConfig, createAlertEngine } from '@noa/alerts'
import type { Clock, HealingAudit, Logger } from '@noa/core'
import { createHealingEngine, type HealingEngine } from '@noa/healing'
import { createHealthMonitor, createPushChecker, type HealthMonitor } from '@noa/health'
import {
  createProcessCollector,
  createSystemCollector,
  type ProcessCollector,
  Registry,
  type SystemCollector,
} from '@noa/metrics'
import { createJsonlArchive, createMemoryStore, type JsonlArchive, type Store } from '@noa/store'
import { servicesRunDir } from './cli/paths.ts'
import { configuredRules } from './config/rules.ts'
import type { AgentConfig } from './config/schema.ts'
import { SseHub } from './http/sse-hub.ts'
import { IncidentTracker } from './incident/tracker.ts'
import { createMaintenanceWindows, type MaintenanceWindows } from './maintenance/windows.ts'
import { type OtlpStarter, otlpStarter } from './metrics/otlp-export.ts'
import { createRemoteWriter, type RemoteWriter } from './metrics/remote-write.ts'
import { MetricsRound } from './metrics/round.ts'
import { createOwnMetrics, type OwnMetrics } from './own-metrics.ts'
import { createPushBeats, type PushBeats } from './push-beats.ts'
import { createHookRunner, type HookRunner } from './runtime/hooks.ts'
import { registerSloMetrics } from './slo/slo-metrics.ts'
import { createSloTracker, type SloTracker } from './slo/tracker.ts'
import { USER_AGENT } from './version.ts'

/** The parts of the agent that can be started alone (`noa start health`). */
export type Component = 'health' | 'metrics' | 'dashboard' | 'healing'
export const COMPONENTS: readonly Component[] = ['health', 'metrics', 'dashboard', 'healing']

/** What composing needs besides the config and the opened store. */
export interface ComposeDeps {
  /** Relative paths of the config resolve against this folder. */
  baseDir: string
  components: ReadonlySet<Component>
  logger: (component: string) => Logger
  clock: Clock
  agentId: string
  /** Where the console alert channel prints. @default stdout */
  write?: (line: string) => void
}

/** Every engine of the agent, built and validated, none started. */
export interface Parts {
  config: AgentConfig
  store: Store
  /** Where healing records go: the store, or memory when `logs.audit` is off. */
  audit: HealingAudit
  archive: JsonlArchive | undefined
  health: HealthMonitor
  /** Beats of push checks, for `POST /api/push/:token`. */
  beats: PushBeats
  healing: HealingEngine
  alerts: AlertEngine
  /** Maintenance windows: the services they cover are neither notified about nor healed. */
  maintenance: MaintenanceWindows
  /** Incidents and their timelines; an acknowledged one holds its alerts' reminders. */
  incidents: IncidentTracker
  round: MetricsRound
  sse: SseHub
  hooks: HookRunner
  registry: Registry
  metrics: OwnMetrics
  system: SystemCollector
  process: ProcessCollector
  /** The services' error budgets and burn rates, refreshed on a timer. */
  slo: SloTracker
  /** The remote-write sender, when `integrations.prometheus.remoteWrite` is set and metrics run. */
  remoteWrite: RemoteWriter | undefined
  /** Starts the OTLP export, when `integrations.otlp` is set and metrics run. */
  otlp: OtlpStarter | undefined
}

/**
 * Builds the agent's engines from the configuration: a pure step, so every invalid option
 * of every engine is refused before anything starts, and nothing runs until the lifecycle
 * starts it.
 */
export function compose(config: AgentConfig, store: Store, deps: ComposeDeps): Parts {
  const { clock, logger: log, baseDir } = deps
  const path = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p))
  const registry = new Registry()
  // Beats go to the store too: the agent that checks a service may not be the one a job reached.
  const push = createPushChecker({ clock, shared: store.beats })
  const health = createHealthMonitor({
    services: serviceChecks(config),
    concurrency: config.healthChecks.concurrency,
    clock,
    logger: log('health-check'),
    checkers: { push },
  })
  const sse = new SseHub({
    bufferSize: config.api.sseBufferSize,
    heartbeatMs: config.api.sseHeartbeat,
    maxClients: config.api.sseMaxClients,
    maxQueuedBytes: config.api.sseMaxQueuedBytes,
    clock,
  })
  const audit = config.logs.audit ? store.healing : createMemoryStore({ maxSnapshots: 1 }).healing
  const maintenance = createMaintenanceWindows({
    windows: config.maintenance,
    services: config.services,
    store: store.maintenanceWindows,
    clock,
    logger: log('maintenance'),
  })
  const healing = createHealingEngine({
    config: { ...config.selfHealing, logsDir: path(config.selfHealing.logsDir) },
    services: healingServices(config, baseDir),
    probe: (service) => health.checkNow(service),
    errorRate: async (service) => round.latest?.services?.[service]?.requests?.errorRate,
    audit,
    approvals: store.approvals,
    ...(store.type === 'postgres' ? { leases: store.leases } : {}),
    agentId: deps.agentId,
    runDir: servicesRunDir(baseDir),
    // The incident router decides what an exit gets (see incident/router.ts).
    restartOnExit: false,
    // A maintenance window holds the engine's own retries too (an open circuit's).
    holds: (service) => maintenance.covering(service) !== undefined,
    clock,
    logger: log('self-healing'),
  })
  const metrics = createOwnMetrics(registry, { health, healing, sseClients: () => sse.size })
  const system = createSystemCollector({ diskMount: baseDir, clock })
  const processCollector = createProcessCollector()
  system.register(registry)
  processCollector.register(registry)
  const archive =
    config.metrics.storage.enabled && deps.components.has('metrics')
      ? createJsonlArchive({
          dir: path(config.metrics.storage.path),
          retentionDays: config.metrics.retentionDays,
          gzip: config.metrics.storage.gzip,
          clock,
          logger: log('metrics-collector'),
        })
      : undefined
  const round: MetricsRound = new MetricsRound({
    config,
    store,
    archive,
    health,
    system,
    process: processCollector,
    metrics,
    clock,
    logger: log('metrics-collector'),
  })
  const slo = createSloTracker({
    store,
    clock,
    logger: log('slo'),
    services: config.services,
    defaults: config.slo,
    scraped: () => round.samples,
  })
  registerSloMetrics(registry, slo)
  const incidents = new IncidentTracker({
    store: store.incidents,
    clock,
    logger: log('incidents'),
    reopenWindowMs: config.incidents.reopenWindow,
    maxEvents: config.incidents.maxEvents,
    maxOpen: config.incidents.maxOpen,
    service: (name) => {
      try {
        const { state, critical, lastResult } = health.status(name)
        return { state, critical, ...(lastResult ? { checkedAt: lastResult.at } : {}) }
      } catch {
        return undefined // a service removed by a reload
      }
    },
    // Read when an incident may resolve, after the engine has built its alerts.
    firing: (service) => alerts.alerts().some((a) => a.state === 'firing' && a.labels.service === service),
  })
  const alerts = createAlertEngine({
    maintenance: (labels) =>
      labels.service !== undefined && maintenance.covering(labels.service) !== undefined,
    rules: configuredRules(config.alerting).rules,
    channels: config.alerting.enabled ? alertChannels(config, path) : {},
    outbox: store.outbox,
    alertLog: store.alerts,
    silenceStore: store.silences,
    clock,
    logger: log('alerts'),
    groupWaitMs: config.alerting.groupWait,
    repeatIntervalMs: config.alerting.repeatInterval,
    // A person acknowledged the incident: no reminders until it resolves.
    holdRepeat: (alert) => incidents.holds(alert),
    delivery: {
      onAttempt: (delivery, result) =>
        metrics.notifications.inc({ channel: delivery.channel, status: result.ok ? 'sent' : 'failed' }),
    },
    ...(deps.write ? { write: deps.write } : {}),
  })
  return {
    config,
    store,
    audit,
    archive,
    health,
    beats: createPushBeats({ health, push, store: store.beats, counted: metrics.beats, logger: log('push') }),
    healing,
    alerts,
    maintenance,
    incidents,
    round,
    sse,
    hooks: createHookRunner(config.hooks, log('hooks'), baseDir),
    registry,
    metrics,
    system,
    process: processCollector,
    slo,
    remoteWrite: remoteWriter(config, deps, metrics),
    otlp:
      metricsRun(config, deps) && config.integrations.otlp?.enabled
        ? otlpStarter(config.integrations.otlp, { registry, clock: deps.clock, logger: deps.logger('otlp') })
        : undefined,
  }
}

const metricsRun = (config: AgentConfig, deps: ComposeDeps) =>
  deps.components.has('metrics') && config.metrics.enabled

/** The remote-write sender of the config, built (its options checked) but not started. */
function remoteWriter(config: AgentConfig, deps: ComposeDeps, metrics: OwnMetrics): RemoteWriter | undefined {
  const { enabled, remoteWrite: rw } = config.integrations.prometheus
  if (enabled === false || !rw?.enabled || !metricsRun(config, deps)) return undefined
  return createRemoteWriter({
    url: rw.url,
    headers: rw.headers,
    externalLabels: rw.externalLabels,
    ...(rw.basicAuth ? { basicAuth: rw.basicAuth } : {}),
    intervalMs: rw.intervalMs,
    maxSamplesPerSend: rw.maxSamplesPerSend,
    maxQueuedSamples: rw.maxQueuedSamples,
    timeoutMs: rw.timeout,
    userAgent: USER_AGENT,
    metrics: metrics.remoteWrite,
    clock: deps.clock,
    logger: deps.logger('remote-write'),
  })
}

/** Each service's health check: the service without the agent's extras. */
export function serviceChecks(config: AgentConfig) {
  return config.services.map(
    ({
      metrics: _m,
      executor: _e,
      healing: _h,
      tags: _t,
      group: _g,
      drill: _d,
      slo: _s,
      public: _p,
      ...check
    }) => check,
  )
}

/** Each service's healing settings, with the local supervisor's folders resolved against `baseDir`. */
export function healingServices(config: AgentConfig, baseDir: string) {
  const path = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p))
  const services: Record<string, Record<string, unknown>> = {}
  for (const s of config.services) {
    const executor =
      s.executor?.type === 'local'
        ? {
            ...s.executor,
            cwd: path(s.executor.cwd ?? '.'),
            logs: { ...s.executor.logs, dir: path(s.executor.logs?.dir ?? 'logs/services') },
          }
        : s.executor
    services[s.name] = { ...s.healing, dependsOn: s.dependsOn, ...(executor ? { executor } : {}) }
  }
  return services
}

/** The seed's channel entries: keyed by name, `enabled`, the type defaulting to the name. */
function alertChannels(config: AgentConfig, path: (p: string) => string) {
  const channels: Record<string, ChannelConfig> = {}
  for (const [name, entry] of Object.entries(config.alerting.channels)) {
    if (entry.enabled === false) continue
    const { enabled: _e, ...options } = entry
    const type = entry.type ?? name
    // Checked against its type's options when the configuration was loaded (validateConfig):
    // the configuration's schema keeps channel entries open, so the type is stated here.
    channels[name] = {
      ...options,
      type,
      ...(type === 'file' ? { path: path(String(options.path ?? './logs/alerts')) } : {}),
    } as ChannelConfig
  }
  return channels
}
