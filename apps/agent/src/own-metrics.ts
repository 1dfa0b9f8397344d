import { HEALTH_STATES, type HealthState, yieldToLoop } from '@noa/core'
import type { HealingEngine } from '@noa/healing'
import type { HealthMonitor } from '@noa/health'
import type { Gauge, Registry } from '@noa/metrics'
import { otlpExportMetrics } from '@noa/metrics/otlp'

/** What the agent's own gauges read when /metrics is scraped. */
export interface OwnMetricSources {
  health: HealthMonitor
  healing: HealingEngine
  sseClients(): number
}

/** Options of {@link createOwnMetrics}. */
export interface OwnMetricsOptions {
  /** Services read per turn of the event loop when the per-service gauges are refreshed. @default 1000 */
  serviceSlice?: number
}

/**
 * The agent's own metrics (`noa_*`) on its registry. Service states are read from the
 * monitor when /metrics is read, not kept up to date at every check result (50 services
 * checked every 30 s would be 400 gauge writes a second).
 */
export function createOwnMetrics(
  registry: Registry,
  sources: OwnMetricSources,
  options: OwnMetricsOptions = {},
) {
  const slice = options.serviceSlice ?? SERVICE_GAUGES_SLICE
  // The five per-service gauges are refreshed by one walk of the fleet that their collect
  // callbacks share (they run together at each scrape), in slices: at 10,000 services, reading
  // every service's healing circuit alone held the event loop for about 40 ms.
  let walking: Promise<void> | undefined
  let walked: HealthMonitor['services'] | undefined
  const refresh = (): Promise<void> => {
    // A reload's removed services leave the gauges with it, not as their last value for good.
    if (walked !== undefined && walked !== sources.health.services)
      for (const g of Object.values(gauges)) g.reset()
    walked = sources.health.services
    walking ??= refreshServiceGauges(gauges, sources, slice).finally(() => {
      walking = undefined
    })
    return walking
  }
  const gauges: ServiceGauges = {
    up: registry.gauge({
      name: 'noa_service_up',
      maxSeries: MAX_FLEET_SERIES,
      help: '1 when the service is healthy',
      labelNames: ['service'],
      collect: refresh,
    }),
    state: registry.gauge({
      name: 'noa_service_state',
      maxSeries: MAX_FLEET_SERIES * HEALTH_STATES.length,
      help: '1 for the current state of the service',
      labelNames: ['service', 'state'],
      collect: refresh,
    }),
    critical: registry.gauge({
      name: 'noa_service_critical',
      maxSeries: MAX_FLEET_SERIES,
      help: '1 when the service is marked critical (its outage pages, others warn)',
      labelNames: ['service'],
      collect: refresh,
    }),
    flapping: registry.gauge({
      name: 'noa_service_flapping',
      maxSeries: MAX_FLEET_SERIES,
      help: '1 while the service keeps changing state',
      labelNames: ['service'],
      collect: refresh,
    }),
    circuit: registry.gauge({
      name: 'noa_healing_circuit_open',
      maxSeries: MAX_FLEET_SERIES,
      help: "1 while healing's circuit of the service is open (budget spent or healings failing)",
      labelNames: ['service'],
      collect: refresh,
    }),
  }
  return {
    ...gauges,
    duration: registry.histogram({
      name: 'noa_check_duration_seconds',
      help: 'Duration of health checks',
      labelNames: ['service'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    }),
    lateness: registry.histogram({
      name: 'noa_check_lateness_seconds',
      help: 'How late scheduled checks started (a busy event loop, or every concurrency slot taken)',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    }),
    checks: registry.counter({
      name: 'noa_checks_total',
      help: 'Health check results',
      labelNames: ['service', 'state'],
    }),
    // Per service, the counter above stops at its series limit (2,000 label sets) in a large
    // fleet; the fleet's rate stays readable here, in four series whatever the fleet.
    results: registry.counter({
      name: 'noa_check_results_total',
      help: 'Health check results of every service, by state',
      labelNames: ['state'],
    }),
    healings: registry.counter({
      name: 'noa_healing_actions_total',
      help: 'Healings that ended, by outcome',
      labelNames: ['service', 'strategy', 'outcome'],
    }),
    decisions: registry.counter({
      name: 'noa_incident_decisions_total',
      help: 'Decisions of the incident router: a healing started, or why none was',
      labelNames: ['event', 'decision'],
    }),
    escalations: registry.counter({
      name: 'noa_healing_escalations_total',
      help: 'What healing could not solve alone: spent budgets, open circuits, failed healings',
      labelNames: ['service', 'kind'],
    }),
    alerts: registry.gauge({ name: 'noa_alerts', help: 'Active alerts', labelNames: ['severity', 'state'] }),
    notifications: registry.counter({
      name: 'noa_notifications_total',
      help: 'Notification delivery attempts',
      labelNames: ['channel', 'status'],
    }),
    sse: registry.gauge({
      name: 'noa_sse_clients',
      help: 'Open /api/sse streams',
      collect: (gauge) => gauge.set(sources.sseClients()),
    }),
    rounds: registry.counter({ name: 'noa_metrics_rounds_total', help: 'Metrics collection rounds' }),
    beats: registry.counter({
      name: 'noa_push_beats_total',
      help: 'Beats of push checks (/api/push/:token), by result: accepted, unknown (no push check has the token), or unstored (accepted, kept by this agent only: the store could not take it)',
      labelNames: ['result'],
    }),
    scrapeErrors: registry.counter({
      name: 'noa_scrape_errors_total',
      help: 'Failed scrapes of services /metrics',
      labelNames: ['service'],
    }),
    droppedSeries: registry.counter({
      name: 'noa_scrape_dropped_series_total',
      help: "Series of services' /metrics left out by the scrape limits (metrics.scrapeLimits), by reason",
      labelNames: ['service', 'reason'],
    }),
    // Remote write (integrations.prometheus.remoteWrite); zero when it is not configured.
    remoteWrite: {
      samples: registry.counter({
        name: 'noa_remote_write_samples_total',
        help: 'Samples of remote write, by result: sent, failed (refused by the receiver with a 4xx), dropped (queue full, or left at shutdown)',
        labelNames: ['result'],
      }),
      requests: registry.counter({
        name: 'noa_remote_write_requests_total',
        help: 'Remote-write requests, by HTTP status code, or timeout and error when none came',
        labelNames: ['code'],
      }),
      queue: registry.gauge({
        name: 'noa_remote_write_queue_samples',
        help: 'Samples waiting to be sent by remote write',
      }),
    },
    // OTLP export (integrations.otlp): noa_otlp_points_total{result}, noa_otlp_requests_total{code};
    // zero when it is not configured. The exporter counts into these same counters.
    otlp: otlpExportMetrics(registry),
  }
}

/** The agent's own metrics. */
export type OwnMetrics = ReturnType<typeof createOwnMetrics>

/**
 * The series bound of each per-service gauge (four per service for the state). Their services
 * are the configured fleet, so the bound only guards the registry: the default 2,000 of a metric
 * left 8,000 of 10,000 services out of `noa_service_up`, each scrape.
 */
export const MAX_FLEET_SERIES = 100_000

/** Default of {@link OwnMetricsOptions.serviceSlice}: about 5 ms at 10,000 services. */
export const SERVICE_GAUGES_SLICE = 1000

interface ServiceGauges {
  up: Gauge<'service'>
  state: Gauge<'service' | 'state'>
  critical: Gauge<'service'>
  flapping: Gauge<'service'>
  circuit: Gauge<'service'>
}

/**
 * Sets every service's up, state, critical, flapping and circuit gauges from the monitor and
 * the healing engine, `slice` services per turn of the event loop. A fleet
 * replaced meanwhile (a config reload) ends the walk: the next scrape reads the new one.
 */
async function refreshServiceGauges(
  gauges: ServiceGauges,
  sources: OwnMetricSources,
  slice: number,
): Promise<void> {
  const { health, healing } = sources
  const list = health.services
  // Label sets are read, never kept, by a gauge: two objects for the whole walk, not 50,000.
  const service = { service: '' }
  const serviceState = { service: '', state: '' as HealthState }
  for (let i = 0; i < list.length; i++) {
    if (i > 0 && i % slice === 0) {
      await yieldToLoop()
      if (health.services !== list) return
    }
    const { name, critical } = list[i]!
    const status = health.status(name)
    service.service = name
    serviceState.service = name
    gauges.up.set(service, status.state === 'healthy' ? 1 : 0)
    for (const state of HEALTH_STATES) {
      serviceState.state = state
      gauges.state.set(serviceState, status.state === state ? 1 : 0)
    }
    gauges.critical.set(service, critical ? 1 : 0)
    gauges.flapping.set(service, status.flapping ? 1 : 0)
    gauges.circuit.set(service, healing.guardState(name).circuit === 'open' ? 1 : 0)
  }
}
