/**
 * Domain types shared by the noa packages. They describe data that crosses package
 * boundaries (a check result stored by @noa/store and read by @noa/alerts, say), so
 * they live here and nowhere else.
 */

/** A service's name as written in the configuration, e.g. `mcp-server`. */
export type ServiceName = string

/**
 * The state of one service's health.
 * - `healthy`: answered as expected
 * - `unhealthy`: answered, but not as expected (wrong status, failed condition)
 * - `error`: could not be reached, or timed out
 * - `unknown`: no result yet
 */
export type HealthState = 'healthy' | 'unhealthy' | 'error' | 'unknown'

/** Every value of {@link HealthState}, for validation and iteration. */
export const HEALTH_STATES = [
  'healthy',
  'unhealthy',
  'error',
  'unknown',
] as const satisfies readonly HealthState[]

/**
 * True when a state counts as the service down: `unhealthy` or `error`. `unknown` does not:
 * it is a service without a result yet (just started or (re)configured).
 */
export function isDown(state: string | undefined): boolean {
  return state === 'unhealthy' || state === 'error'
}

/**
 * The status of a whole fleet: `unhealthy` when a critical service is down, `degraded`
 * when only non-critical ones are, `healthy` when all are up, `unknown` before any result.
 */
export type OverallStatus = 'healthy' | 'degraded' | 'unhealthy' | 'unknown'

/** Alert severity, from the most to the least urgent. */
export type Severity = 'critical' | 'warning' | 'info'

/** Every value of {@link Severity}. */
export const SEVERITIES = ['critical', 'warning', 'info'] as const satisfies readonly Severity[]

/**
 * What asked for a healing, which picks the strategy. The seed's triggers are listed;
 * configuration may name others.
 */
export type HealingTrigger =
  | 'service-down'
  | 'high-error-rate'
  | 'dependency-failure'
  | 'memory-leak'
  | 'high-load'
  | 'deployment-failure'
  | 'max-restarts'
  | 'process-exit'
  | 'manual'
  | (string & {})

/** The outcome of one health check of one service (after its retries). */
export interface CheckResult {
  service: ServiceName
  state: Exclude<HealthState, 'unknown'>
  /** Epoch ms when the check finished. */
  at: number
  /** How long the last attempt took, in ms. */
  durationMs: number
  /** Attempts made, 1 when the first one decided. */
  attempts: number
  /** Why the state is what it is, e.g. `expected status 200, got 503`. */
  message?: string
  /** Checker-specific facts, e.g. `{ statusCode: 503 }`. JSON-serialisable. */
  details?: Record<string, unknown>
}

/** A change of a service's state, with the result that caused it. */
export interface StateChange {
  service: ServiceName
  from: HealthState
  to: HealthState
  at: number
  result: CheckResult
}

// ---- The seed's JSON metric entry (section 3) ----

/** `system` section of a snapshot. Percentages are 0-100, sizes bytes, speeds MHz. */
export interface SystemSection {
  cpu?: {
    usage?: { average?: number; perCore?: number[] }
    count?: number
    model?: string
    speed?: number
  }
  memory?: { total?: number; used?: number; free?: number; usagePercent?: number }
  disk?: { total?: number; used?: number; available?: number; usagePercent?: number }
  network?: {
    interfaces?: Array<{
      name: string
      ipv4?: string[]
      ipv6?: string[]
      rxBytesPerSec?: number
      txBytesPerSec?: number
    }>
    connections?: Record<string, number>
  }
  uptime?: number
  loadAverage?: [number, number, number]
}

/** `application` section of a snapshot. Latencies in ms, memory in bytes, uptime in s. */
export interface ApplicationSection {
  process?: {
    pid?: number
    uptime?: number
    heapUsed?: number
    heapTotal?: number
    rss?: number
    external?: number
    cpuUser?: number
    cpuSystem?: number
    eventLoopLag?: number
    gcPause?: number
  }
  requests?: { total?: number; successful?: number; failed?: number; errors?: number; errorRate?: number }
  latency?: { average?: number; p50?: number; p95?: number; p99?: number; max?: number }
  throughput?: { requestsPerSecond?: number; bytesPerSecond?: number }
}

/**
 * One collection round, in the seed's shape: `{ timestamp, system, application, business, custom }`.
 * This is what /api/metrics answers and what each line of the JSONL archive holds.
 */
export interface MetricSnapshot {
  /** ISO 8601 time of the round. */
  timestamp: string
  system: SystemSection
  application: ApplicationSection
  business: Record<string, number>
  custom: Record<string, number>
  /** Per-service application sections, when services are scraped. */
  services?: Record<ServiceName, ApplicationSection & { business?: Record<string, number> }>
}

// ---- Alerts and the notification outbox ----

/** Where an alert is in its lifecycle. */
export type AlertState = 'inactive' | 'pending' | 'firing' | 'resolved'

/** One alert: a rule and a label set, identified by a stable fingerprint. */
export interface AlertRecord {
  fingerprint: string
  rule: string
  severity: Severity
  state: AlertState
  labels: Record<string, string>
  annotations: Record<string, string>
  /** Value of the condition's left side when it last held, when numeric. */
  value?: number
  /** Epoch ms the condition started to hold. */
  activeAt?: number
  firedAt?: number
  resolvedAt?: number
  /** Epoch ms of the latest notification sent for it (firing or repeat), so a restart does not send it again. */
  notifiedAt?: number
  updatedAt: number
}

/** Delivery status in the outbox: `failed` means given up after the bounded attempts. */
export type DeliveryStatus = 'pending' | 'sent' | 'failed'

/** A notification to send, as written to the outbox before any attempt. */
export interface NewDelivery {
  /** Channel name from the configuration. */
  channel: string
  /** Same key on every attempt, so receivers can drop duplicates. */
  idempotencyKey: string
  /** The notification, JSON-serialisable. */
  payload: unknown
  /** Epoch ms. */
  createdAt: number
}

/** A notification in the outbox. */
export interface Delivery extends NewDelivery {
  id: string
  status: DeliveryStatus
  attempts: number
  /** Epoch ms of the next attempt while pending. */
  nextAttemptAt: number
  lastError?: string
  sentAt?: number
}

/**
 * The durable queue that makes notifications survive failures and restarts: written
 * before sending, marked after. Implemented by every @noa/store backend.
 */
export interface Outbox {
  /** Writes new deliveries as pending, due at once; returns them with ids. */
  enqueue(items: readonly NewDelivery[]): Promise<Delivery[]>
  /** Pending deliveries due at `now`, oldest first (by createdAt, then insertion). */
  due(now: number, limit: number): Promise<Delivery[]>
  /** Marks a delivery sent. */
  markSent(id: string, at: number): Promise<void>
  /**
   * Records a failed attempt: `attempts` grows by one; with `retryAt` the delivery stays
   * pending until then, without it the delivery is given up (`failed`).
   */
  markFailed(id: string, failure: { error: string; at: number; retryAt?: number }): Promise<void>
  /** Deliveries by status, newest first, for the API. */
  deliveries(query?: { status?: DeliveryStatus; channel?: string; limit?: number }): Promise<Delivery[]>
}

// ---- Healing audit and approvals ----

/** One step of a healing, with its timing and what it printed or answered. */
export interface HealingStep {
  name: string
  startedAt: number
  endedAt: number
  ok: boolean
  output?: string
  error?: string
}

/** How a healing ended. */
export type HealingOutcome =
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'skipped'
  | 'dry-run'
  | 'interrupted'
  | 'awaiting-approval'
  | 'rejected'

/**
 * Why a healing did not act (a `skipped` record). Decisions read this, never the reason text.
 * - `disabled`: self-healing or the strategy is switched off
 * - `locked`: a healing of the same service is already running in this agent
 * - `lease-held`: another agent holds the service's healing lease
 * - `lease-unavailable`: the lease could not be read or taken (store error)
 * - `cooldown`: the service was restarted too recently
 * - `budget-spent`: the restart budget (max restarts in the window, or in a row) is used up
 * - `circuit-open`: healings of the service keep failing; it waits for its next retry
 * - `healthy-again`: the service recovered before anything was done
 * - `approval-expired`: nobody decided the approval it asked for in time
 * - `stopped`: the service was stopped on purpose meanwhile
 * - `closed`: the engine is shutting down
 */
export type HealingSkip =
  | 'disabled'
  | 'locked'
  | 'lease-held'
  | 'lease-unavailable'
  | 'cooldown'
  | 'budget-spent'
  | 'circuit-open'
  | 'healthy-again'
  | 'approval-expired'
  | 'stopped'
  | 'closed'

/** Every value of {@link HealingSkip}. */
export const HEALING_SKIPS = [
  'disabled',
  'locked',
  'lease-held',
  'lease-unavailable',
  'cooldown',
  'budget-spent',
  'circuit-open',
  'healthy-again',
  'approval-expired',
  'stopped',
  'closed',
] as const satisfies readonly HealingSkip[]

/** The audit record of one healing. */
export interface HealingRecord {
  id: string
  service: ServiceName
  trigger: HealingTrigger
  strategy: string
  startedAt: number
  endedAt?: number
  outcome: HealingOutcome
  steps: HealingStep[]
  healthBefore?: HealthState
  healthAfter?: HealthState
  dryRun: boolean
  /** Why it was skipped, failed or refused by a guard, for people. */
  reason?: string
  /** Why it was skipped, for code: set on every `skipped` record. */
  skip?: HealingSkip
  /** The agent that ran it (several agents share a PostgreSQL store). */
  agentId?: string
  /** The person (API token's name) who asked for it; absent when noa decided on its own. */
  requestedBy?: string
}

/** Where an approval stands. */
export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired'

/** A request for a human to allow an action, such as a rollback. */
export interface Approval {
  id: string
  service: ServiceName
  action: string
  reason: string
  requestedAt: number
  expiresAt: number
  status: ApprovalStatus
  decidedBy?: string
  decidedAt?: number
  comment?: string
}

// ---- Ports implemented by every @noa/store backend ----
// @noa/alerts and @noa/healing depend on these interfaces only, never on a store.

/** Query of a list, newest first. */
export interface ListQuery {
  service?: ServiceName
  /** Epoch ms, inclusive. */
  since?: number
  /** Epoch ms, exclusive: the next page of a newest-first list starts before its last item. */
  until?: number
  /** @default 100 */
  limit?: number
}

/** Keeps every alert's latest record, and each state change as history. */
export interface AlertLog {
  /** Upserts the alert by fingerprint and appends its state to the history when it changed. */
  saveAlert(alert: AlertRecord): Promise<void>
  /** Latest record of each alert, newest `updatedAt` first; `state` filters. */
  alerts(query?: ListQuery & { state?: AlertState }): Promise<AlertRecord[]>
  /** State history of one alert, oldest first. */
  alertHistory(fingerprint: string): Promise<Array<{ state: AlertState; at: number; value?: number }>>
}

/** The audit trail of healings. */
export interface HealingAudit {
  /** Upserts by id: a healing is saved when it starts and again as its steps complete. */
  saveHealing(record: HealingRecord): Promise<void>
  /** Records newest `startedAt` first; `outcome` filters (e.g. the `running` ones left by a crash). */
  healings(query?: ListQuery & { outcome?: HealingOutcome }): Promise<HealingRecord[]>
}

/** One label condition of a silence, as in Alertmanager: `=`, `!=`, `=~`, `!~` (full-match regex). */
export interface SilenceMatcher {
  label: string
  op: '=' | '!=' | '=~' | '!~'
  value: string
}

/** A silence: while active, matching alerts send no notification and run no action. */
export interface Silence {
  id: string
  matchers: SilenceMatcher[]
  /** Epoch ms. */
  startsAt: number
  /** Epoch ms; expiring a silence sets it to the time it was expired. */
  endsAt: number
  comment: string
  createdBy?: string
}

/** Where silences live, so they survive restarts and are shared by agents on one store. */
export interface SilenceStore {
  /** Upserts by id (expiring a silence saves it again with an earlier `endsAt`). */
  saveSilence(silence: Silence): Promise<void>
  /** Silences that have not ended at `activeAt` (every one when omitted), newest `startsAt` first. */
  silences(query?: { activeAt?: number; limit?: number }): Promise<Silence[]>
}

/** A human's decision on an approval. */
export interface ApprovalDecision {
  status: 'approved' | 'rejected' | 'expired'
  at: number
  by?: string
  comment?: string
}

/** Pending, approved, rejected and expired approvals. */
export interface ApprovalStore {
  createApproval(approval: Approval): Promise<void>
  getApproval(id: string): Promise<Approval | undefined>
  /**
   * Decides a pending approval, atomically: returns the updated approval, or undefined
   * when it does not exist or is no longer pending (so two agents cannot both decide it).
   */
  decideApproval(id: string, decision: ApprovalDecision): Promise<Approval | undefined>
  /** Newest `requestedAt` first. */
  approvals(query?: ListQuery & { status?: ApprovalStatus }): Promise<Approval[]>
}

/** Named leases with a TTL, so exactly one of several agents acts on a thing at a time. */
export interface LeaseStore {
  /**
   * Takes the lease for `holder`, or renews it when `holder` already has it. Returns false
   * while another holder's lease has not expired. Expiry is judged at `now` (epoch ms).
   */
  acquireLease(name: string, holder: string, ttlMs: number, now: number): Promise<boolean>
  /** Gives the lease up if `holder` has it; otherwise does nothing. */
  releaseLease(name: string, holder: string): Promise<void>
  /** Current holder and expiry, or undefined when free or expired at `now`. */
  leaseHolder(name: string, now: number): Promise<{ holder: string; expiresAt: number } | undefined>
  /**
   * The leases whose name starts with `prefix` and that have not expired at `now`, by name
   * (live members of a group, each holding `member:<id>`).
   */
  heldLeases(prefix: string, now: number): Promise<Array<{ name: string; holder: string; expiresAt: number }>>
}
