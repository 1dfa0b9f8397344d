import type { ApplicationSection, MetricSnapshot } from '@noa/core'
import { isDown } from '@noa/core'
import type { AgentFacts, ServiceScope } from '../context.ts'

/** A value during evaluation: `undefined` is "absent" (no data), never silently 0. */
export type Value = number | boolean | string | undefined

/** Where a named value is read from. */
export interface NameBinding {
  /** `service` names make a rule per-service; `global` names read the fleet snapshot; `agent` the host's own facts. */
  scope: 'global' | 'service' | 'either' | 'agent'
  /** What the name means, for the README table and warnings. */
  description: string
  read(snapshot: MetricSnapshot | undefined, service: ServiceScope | undefined, agent?: AgentFacts): Value
}

const pct = (v: number | undefined) => (v === undefined ? undefined : v / 100)

/** Application values: per service when the rule is per-service, the fleet's otherwise. */
function app(description: string, get: (a: ApplicationSection) => number | undefined): NameBinding {
  return {
    scope: 'either',
    description,
    read: (snapshot, service) => {
      const section = service ? service.application : snapshot?.application
      return section ? get(section) : undefined
    },
  }
}

function sys(description: string, get: (s: MetricSnapshot) => number | undefined): NameBinding {
  return { scope: 'global', description, read: (snapshot) => (snapshot ? get(snapshot) : undefined) }
}

function own(description: string, get: (a: AgentFacts) => Value): NameBinding {
  return {
    scope: 'agent',
    description,
    read: (_snapshot, _service, agent) => (agent ? get(agent) : undefined),
  }
}

function svc(description: string, get: (s: ServiceScope) => Value): NameBinding {
  return { scope: 'service', description, read: (_snapshot, service) => (service ? get(service) : undefined) }
}

/**
 * The named values a condition can use (the README's table is this map). Percentages of
 * the snapshot (0-100) are exposed as fractions (0-1), as the seed's rules are written
 * (`cpu_usage > 0.90`).
 *
 * @example
 * ```ts
 * NAMES.cpu_usage?.description // 'system.cpu.usage.average / 100 (fraction 0-1)'
 * ```
 */
export const NAMES: Readonly<Record<string, NameBinding>> = {
  error_rate: app('application.requests.errorRate (fraction 0-1)', (a) => a.requests?.errorRate),
  request_total: app('application.requests.total', (a) => a.requests?.total),
  request_errors: app('application.requests.errors', (a) => a.requests?.errors ?? a.requests?.failed),
  request_rate: app('application.throughput.requestsPerSecond', (a) => a.throughput?.requestsPerSecond),
  avg_latency: app('application.latency.average (ms)', (a) => a.latency?.average),
  p50_latency: app('application.latency.p50 (ms)', (a) => a.latency?.p50),
  p95_latency: app('application.latency.p95 (ms)', (a) => a.latency?.p95),
  p99_latency: app('application.latency.p99 (ms)', (a) => a.latency?.p99),
  max_latency: app('application.latency.max (ms)', (a) => a.latency?.max),
  heap_used: app('application.process.heapUsed (bytes)', (a) => a.process?.heapUsed),
  rss: app('application.process.rss (bytes)', (a) => a.process?.rss),
  event_loop_lag: app('application.process.eventLoopLag (ms)', (a) => a.process?.eventLoopLag),
  cpu_usage: sys('system.cpu.usage.average / 100 (fraction 0-1)', (s) => pct(s.system.cpu?.usage?.average)),
  memory_usage: sys('system.memory.usagePercent / 100 (fraction 0-1)', (s) =>
    pct(s.system.memory?.usagePercent),
  ),
  disk_usage: sys('system.disk.usagePercent / 100 (fraction 0-1)', (s) => pct(s.system.disk?.usagePercent)),
  load_average: sys('system.loadAverage[0] (1 min)', (s) => s.system.loadAverage?.[0]),
  load_average_5m: sys('system.loadAverage[1]', (s) => s.system.loadAverage?.[1]),
  load_average_15m: sys('system.loadAverage[2]', (s) => s.system.loadAverage?.[2]),
  uptime: sys('system.uptime (s)', (s) => s.system.uptime),
  health_check_failed: svc('the service is unhealthy or in error', (s) => isDown(s.health.state)),
  healthy: svc('the service is healthy', (s) => s.health.state === 'healthy'),
  state: svc(
    'the health state as a string: "healthy", "unhealthy", "error", "unknown"',
    (s) => s.health.state,
  ),
  critical: svc('the service is marked critical', (s) => s.health.critical === true),
  dependency_down: svc('one of the service dependencies is down', (s) => s.blockedBy.length > 0),
  degraded: svc('healing hit its limits and the service runs degraded', (s) => s.health.degraded === true),
  healing_failed: svc('the latest healing of the service failed', (s) => s.health.healingFailed === true),
  circuit_open: svc(
    'healing of the service keeps failing or its restart budget is spent; it waits for a retry',
    (s) => s.health.circuitOpen === true,
  ),
  flapping: svc('the service keeps changing state (its state is held)', (s) => s.health.flapping === true),
  scrape_limited: svc(
    'its latest /metrics went over the scrape limits: series or labels were dropped',
    (s) => s.health.scrapeLimited === true,
  ),
  failures: svc('consecutive failed checks', (s) => s.health.failures),
  slo_budget_remaining: svc(
    'fraction of the error budget left over the SLO window (1 untouched, 0 or less spent); absent without an SLO',
    (s) => s.health.slo?.budgetRemaining,
  ),
  slo_budget_spent: svc('the error budget of one of its SLOs is spent; absent without an SLO', (s) =>
    s.health.slo?.budgetRemaining === undefined ? undefined : s.health.slo.budgetRemaining <= 0,
  ),
  ...burnRateNames(),
  slo_healing_held: svc(
    'a risky healing (rollback, scale-up) of the service was held because its error budget is spent',
    (s) => s.health.slo?.heldTrigger !== undefined,
  ),
  store_unavailable: own(
    "noa's store cannot be written (full or read-only disk, database down) or runs in memory instead",
    (a) => a.storeUnavailable === true,
  ),
  store_recovered: own(
    "noa's store failed its integrity check at start: it was moved aside and a fresh one created",
    (a) => a.storeRecovered === true,
  ),
}

/** `slo_burn_rate_5m` ... `slo_burn_rate_3d`: the highest burn rate of the service's SLOs over each window. */
function burnRateNames(): Record<string, NameBinding> {
  const out: Record<string, NameBinding> = {}
  for (const w of ['5m', '30m', '1h', '6h', '3d'] as const)
    out[`slo_burn_rate_${w}`] = svc(
      `error-budget burn rate over the last ${w} (1 spends the budget in exactly the SLO window); absent without an SLO or data`,
      (s) => s.health.slo?.burnRates[w],
    )
  return out
}

/** `business.<key>` and `custom.<key>` read those sections of the snapshot. */
export function dottedBinding(name: string): NameBinding | undefined {
  const dot = name.indexOf('.')
  if (dot < 0) return undefined
  const section = name.slice(0, dot)
  const key = name.slice(dot + 1)
  if (section === 'business')
    return {
      scope: 'either',
      description: `business.${key}`,
      read: (snapshot, service) => (service?.application?.business ?? snapshot?.business)?.[key],
    }
  if (section === 'custom')
    return { scope: 'global', description: `custom.${key}`, read: (snapshot) => snapshot?.custom[key] }
  return undefined
}
