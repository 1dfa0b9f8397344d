import {
  type ApplicationSection,
  type HealthState,
  isDown,
  type MetricSnapshot,
  type ServiceName,
} from '@noa/core'

/** What the rule engine knows about one service when it evaluates. */
export interface ServiceHealth {
  /** Latest health state. */
  state: HealthState
  /** A critical service: `service down` fires only for these. @default false */
  critical?: boolean
  /** Services this one depends on (from the configuration). */
  dependsOn?: readonly ServiceName[]
  /**
   * Dependencies that are down now. When omitted it is computed from `dependsOn` and the
   * other services' states in the same context.
   */
  blockedBy?: readonly ServiceName[]
  /** Healing hit its limits and the service runs degraded (read-only, features off). */
  degraded?: boolean
  /** The latest healing of this service failed. */
  healingFailed?: boolean
  /** Healing's circuit for this service is open: it waits for its next retry or for a person. */
  circuitOpen?: boolean
  /** The service keeps changing state; its reported state is held. */
  flapping?: boolean
  /** The latest escalation of its healing, in words, for annotations (`{{ $escalation }}`). */
  escalation?: string
  /** Its latest scrape went over the scrape limits: series or labels were dropped. */
  scrapeLimited?: boolean
  /** Consecutive failed checks. */
  failures?: number
  /** Its objectives' error budget and burn rates; absent for a service without an SLO. */
  slo?: SloFacts
}

/** The burn-rate windows of the SRE workbook's multi-window alerts. */
export type BurnWindow = '5m' | '30m' | '1h' | '6h' | '3d'

/**
 * What a service's SLOs say, folded over its objectives (availability, latency): the lowest
 * budget left and, per window, the highest burn rate. A window without data is left out.
 */
export interface SloFacts {
  /** Fraction of the error budget left over the SLO window: 1 untouched, 0 or less spent. */
  budgetRemaining?: number
  /** Errors over the window divided by the errors the objective allows (1 = spent exactly in the SLO window). */
  burnRates: Partial<Record<BurnWindow, number>>
  /** Risky healing of the service was held because its budget is spent (the trigger held). */
  heldTrigger?: string
  /** Values for annotations, as `{{ $slo.<key> }}` (e.g. `budget_left`, `objectives`). */
  annotations?: Readonly<Record<string, string | number>>
}

/** One scraped sample, for selectors such as `http_requests_total{status="5xx"}`. */
export interface Sample {
  name: string
  labels: Readonly<Record<string, string>>
  value: number
}

/** What the monitoring host knows about itself, for rules about the watcher (`store_unavailable`). */
export interface AgentFacts {
  /** The store cannot be written (full or read-only disk, database down) or is a stand-in in memory. */
  storeUnavailable?: boolean
  /** The store failed its integrity check at start and was replaced by a fresh one (recently). */
  storeRecovered?: boolean
}

/** Everything a rule can read: the latest snapshot, the services' health, scraped samples, the host's own facts. */
export interface EvaluationContext {
  snapshot?: MetricSnapshot
  services?: Readonly<Record<ServiceName, ServiceHealth>>
  samples?: readonly Sample[]
  agent?: AgentFacts
}

/** The part of the context a per-service rule is evaluated for. */
export interface ServiceScope {
  name: ServiceName
  health: ServiceHealth
  blockedBy: readonly ServiceName[]
  application?: ApplicationSection & { business?: Record<string, number> }
}

/** Builds the scope of each service in a context (blockedBy computed when not given). */
export function serviceScopes(ctx: EvaluationContext): ServiceScope[] {
  return Object.entries(ctx.services ?? {}).map(([name, health]) => serviceScope(ctx, name, health))
}

/** The scope of one service of a context. */
export function serviceScope(ctx: EvaluationContext, name: ServiceName, health: ServiceHealth): ServiceScope {
  const services = ctx.services ?? {}
  return {
    name,
    health,
    blockedBy: health.blockedBy ?? (health.dependsOn ?? []).filter((dep) => isDown(services[dep]?.state)),
    application: ctx.snapshot?.services?.[name],
  }
}
