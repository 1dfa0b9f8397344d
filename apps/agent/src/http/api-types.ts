/**
 * The JSON bodies of the agent's API (API.md) and its event stream, written once: the
 * agent's routes answer them and the dashboard imports them (`@noa/agent/api`, types only).
 * Domain records are the types of @noa/core and @noa/health.
 */
import type {
  AlertRecord,
  Approval,
  CheckResult,
  HealingRecord,
  HealthState,
  MetricSnapshot,
  OverallStatus,
  StateChange,
} from '@noa/core'
import type { HealingEscalation } from '@noa/healing'
import type { HealthSummary, ServiceStatus } from '@noa/health'
import type { Incident, IncidentEvent } from '@noa/store'
import type { DrillRun } from '../drill/types.ts'
import type { Decision } from '../incident/router.ts'
import type { MaintenanceEvent, MaintenanceWindow } from '../maintenance/windows.ts'
import type { ServiceSloStatus } from '../slo/tracker.ts'

export type {
  AlertRecord,
  Approval,
  CheckResult,
  HealingRecord,
  HealingStep,
  HealthState,
  MetricSnapshot,
  OverallStatus,
  StateChange,
} from '@noa/core'
export type { HealthSummary, ServiceStatus } from '@noa/health'
export type { Incident, IncidentEvent, IncidentEventKind, IncidentState } from '@noa/store'
export type { DrillFault, DrillOutcome, DrillResult, DrillRun } from '../drill/types.ts'
export type { MaintenanceEvent, MaintenanceState, MaintenanceWindow } from '../maintenance/windows.ts'
export type { ServiceSloStatus, SloKind, SloStatus } from '../slo/tracker.ts'

/** One service in `GET /api/status`. */
export interface StatusService {
  name: string
  state: HealthState
  critical: boolean
  flapping: boolean
  blockedBy: readonly string[]
  latencyMs: number | null
  /** Healing's circuit: `open` while its budget is spent or its healings keep failing. */
  circuit: 'closed' | 'open'
  /** The restart budget was spent; the service runs degraded until it is stable again. */
  degraded: boolean
  /** When the next retry of an open circuit is due (epoch ms); absent when none is scheduled. */
  nextRetryAt?: number
  /** True while a maintenance window covers the service: no notification, no healing; checks still run. */
  maintenance?: true
}

/** `GET /api/status`, and the `status` SSE event. */
export interface StatusBody {
  timestamp: string
  health: OverallStatus
  services: StatusService[]
  /**
   * `cpu` and `memory` in percent, `errorRate` a fraction, `latency` average ms; `at`, when they
   * were collected (epoch ms; absent before the first round) and `intervalMs`, how often they are:
   * values older than two intervals are stale (the dashboard marks them).
   */
  metrics: {
    cpu: number | null
    memory: number | null
    errorRate: number | null
    latency: number | null
    at?: number
    intervalMs?: number
  }
  alerts: { firing: number; pending: number }
  healing: { running: number; pendingApprovals: number }
}

/** One service in `GET /api/services` and in the `service` and `services` events. */
export interface FleetService {
  name: string
  state: HealthState
  critical: boolean
  flapping: boolean
  /** The configured group; absent when the service has none. */
  group?: string
  tags: string[]
  /** Epoch ms since when `state` holds; absent while unknown. */
  since?: number
  blockedBy: readonly string[]
  /** Duration of the last check, ms; null before the first. */
  latencyMs: number | null
  /** When the last check ended (epoch ms). */
  lastCheckAt?: number
  /** How often it is checked, ms: a `lastCheckAt` older than two intervals is stale. */
  intervalMs?: number
  /** What the last check said, while the service is not healthy. */
  message?: string
  circuit: 'closed' | 'open'
  degraded: boolean
  nextRetryAt?: number
  /** The open maintenance window that covers the service, in short; absent when none does. */
  maintenance?: { id: string; reason: string; endsAt: number | null }
}

/** `GET /api/services`: one page in name order; `next` is the cursor of the next page, null after the last. */
export interface FleetServicesBody {
  services: FleetService[]
  /** Services that pass the filter, on every page. */
  total: number
  next: string | null
}

/** Services of one group or tag in `GET /api/summary`. */
export interface FleetGroupCount {
  name: string
  total: number
  /** Unhealthy or error, and not in maintenance. */
  down: number
  unknown: number
  /** Covered by a maintenance window, whatever their state. */
  maintenance: number
}

/** Counts of the whole fleet, without its list. */
export interface FleetCounts {
  total: number
  /** Services per state, as checked: those in maintenance too. */
  counts: Record<HealthState, number>
  /**
   * Services unhealthy or error and not covered by a maintenance window: what makes the overall
   * status `degraded` (or `unhealthy`, for a critical one). A service in maintenance is not down.
   */
  down: number
  /** Critical services that are unhealthy or error and not in maintenance. */
  criticalDown: number
  /** Services a maintenance window covers now, whatever their state. */
  maintenance: number
  flapping: number
  /** Services whose restart budget is spent. */
  degraded: number
  /** The 100 biggest groups, by name; `ungrouped` services have none. */
  groups: FleetGroupCount[]
  ungrouped: number
  /** The 100 most used tags, by name. */
  tags: FleetGroupCount[]
  /** Groups and tags beyond the 100 shown. */
  omitted: { groups: number; tags: number }
}

/** `GET /api/summary`, and the `summary` SSE event: the fleet in counts, without its list. */
export interface SummaryBody extends FleetCounts {
  timestamp: string
  health: OverallStatus
  metrics: StatusBody['metrics']
  alerts: StatusBody['alerts']
  healing: StatusBody['healing']
}

/**
 * The `services` SSE event: the services that changed since the last one, sent at most every
 * `dashboard.refreshInterval` and sooner after a change. Over 500 changes, `truncated` is true,
 * `services` empty, and a client fetches `GET /api/services` again.
 */
export interface ServicesDeltaEvent {
  services: FleetService[]
  /** Services the configuration no longer has. */
  removed: string[]
  truncated: boolean
  /** How many services changed, those left out included. */
  changed: number
}

/** A silence of alerts, Alertmanager's shape. */
export interface ApiSilence {
  id: string
  matchers: Array<{ name: string; value: string; isRegex: boolean; isEqual: boolean }>
  startsAt: number
  endsAt: number
  comment: string
  createdBy?: string
}

/** Where the next page of a newest-first list starts: pass it back as `?before=`. */
export interface NextPage {
  before: number
}

/** `GET /api/alerts`: newest first; `next` when there may be more. */
export interface AlertsBody {
  alerts: AlertRecord[]
  silences: ApiSilence[]
  next?: NextPage
}

/** `GET /api/healing`: healings newest first, approvals pending first; `next` when there may be more healings. */
export interface HealingBody {
  healings: HealingRecord[]
  approvals: Approval[]
  next?: NextPage
}

/** `GET /api/approvals`: newest first; `next` when there may be more. */
export interface ApprovalsBody {
  approvals: Approval[]
  next?: NextPage
}

/** `GET /api/services/:name`. */
export interface ServiceDetail {
  /** `maintenance: true` while a maintenance window covers it. */
  service: ServiceStatus & { maintenance?: true }
  /** The kind of its check (`http`, `tcp`, `push`, ...); the check's options stay in the config (they may hold secrets). */
  checkType: string
  /** How often it is checked, ms: a last check older than two intervals is stale. */
  intervalMs?: number
  checks: CheckResult[]
  changes: StateChange[]
  healings: HealingRecord[]
  alerts: AlertRecord[]
  /** Its objectives, error budgets and burn rates; absent for a service without an SLO. */
  slo?: ServiceSloStatus
  /** The open maintenance window that covers the service; absent when none does. */
  maintenance?: MaintenanceWindow
}

/** `GET /api/maintenance`: active and upcoming windows (or those of `?state=`), open first, then by start. */
export interface MaintenanceListBody {
  maintenance: MaintenanceWindow[]
}

/** `POST /api/maintenance` (201) and `DELETE /api/maintenance/:id` (200). */
export interface MaintenanceBody {
  maintenance: MaintenanceWindow
}

/** `[epoch ms, value]` */
export type Point = [number, number]

/** `GET /api/metrics/query`. */
export interface RangeQueryBody {
  name: string
  from: number
  to: number
  step: number
  series: Array<{ labels: Record<string, string>; points: Point[] }>
  /** Series that matched but did not fit in the answer (at most 1000 series and 4 MiB). */
  omittedSeries?: number
}

/** The `change` SSE event. */
export type ChangeEvent = StateChange & { critical: boolean; blockedBy: readonly string[] }

/** The `decision` SSE event: what the incident router did about a fault, or why it did nothing. */
export type DecisionEvent = Decision

/** The `escalation` SSE event: what healing could not solve alone. */
export type EscalationEvent = HealingEscalation

/** `GET /api/drills`: drill runs newest first; `nextCursor` (pass it back as `?cursor=`) when there may be more. */
export interface DrillsBody {
  drills: DrillRun[]
  nextCursor?: string
}

/** `POST /api/drills` (201, the run as kept, with the id the agent gave it) and `GET /api/drills/:id`. */
export interface DrillBody {
  drill: DrillRun
}

/**
 * The `drill` SSE event: the run as kept; a run whose JSON is over 64 KiB is sent without its
 * results (`omittedResults` says how many), so one big run never drops the streams of slow
 * clients. A client fetches it (`GET /api/drills/:id`) when it needs them.
 */
export type DrillEvent = DrillRun & { omittedResults?: number }

/** An incident without its timeline, as `GET /api/incidents` lists it: its size and its latest entry instead. */
export type IncidentSummary = Omit<Incident, 'events'> & { eventCount: number; lastEvent?: IncidentEvent }

/** `GET /api/incidents`: newest first; `nextCursor` (pass it back as `?cursor=`) when there may be more. */
export interface IncidentsBody {
  incidents: IncidentSummary[]
  nextCursor?: string
}

/** `GET /api/incidents/:id`, and the answer of an acknowledgement or a note: the incident with its timeline. */
export interface IncidentBody {
  incident: Incident
}

/** The `incident` SSE event: an incident opened, got a timeline entry, or resolved. */
export interface IncidentSseEvent {
  change: 'opened' | 'updated' | 'resolved'
  incident: IncidentSummary
  /** The entry this change added. */
  event: IncidentEvent
}

/** Every SSE event the agent sends, by name. */
export interface SseEvents {
  status: StatusBody
  summary: SummaryBody
  service: FleetService
  services: ServicesDeltaEvent
  reload: ReloadResult
  metrics: MetricSnapshot
  change: ChangeEvent
  alert: AlertRecord
  healing: HealingRecord
  approval: Approval
  decision: DecisionEvent
  escalation: EscalationEvent
  /** A drill run was recorded (`POST /api/drills`). */
  drill: DrillEvent
  /** A maintenance window opened or ended. */
  maintenance: MaintenanceEvent
  /** An incident opened, was updated (a timeline entry) or resolved. */
  incident: IncidentSseEvent
}

export type SseEventName = keyof SseEvents

/** The store's state as `/api/health` shows it: no path beyond a file name, no connection string. */
export interface StoreStatus {
  type: 'memory' | 'sqlite' | 'postgres'
  /** Writes work and the configured store is in use (not a stand-in in memory). */
  ok: boolean
  /** The configured store could not be opened: this agent keeps data in memory only. */
  inMemoryFallback: boolean
  failingSince?: number
  lastError?: string
  failedWrites: number
  /** Notifications could not be written to the outbox and were sent directly. */
  outboxFailing: boolean
  /** A store that failed its integrity check at start: where it was moved (file name only) and when. */
  recovered?: { movedTo: string; at: number }
}

/** Agents on one PostgreSQL store sharing the checks (`cluster.shareChecks`). */
export interface ClusterStatus {
  /** Live agents, this one included. */
  members: number
  /** Services this agent checks itself; the others' results are read from the store. */
  checkedHere: number
}

/** `GET /api/health`: @noa/health's summary, the state of noa's own store and, when shared, of the checks' sharing. */
export type HealthBody = HealthSummary & { store: StoreStatus; cluster?: ClusterStatus }

/** `POST /api/reload` (and SIGHUP): each service's fate, and the sections that changed but need a restart. */
export interface ReloadResult {
  services: { added: string[]; removed: string[]; changed: string[]; kept: string[] }
  notApplied: string[]
}

/**
 * `GET /api/slos`: the services with an SLO in name order, at most `limit`; `next` (pass it as
 * `?after=`) when there are more. `total` and `spent` count every service with an SLO.
 */
export interface SlosBody {
  slos: ServiceSloStatus[]
  total: number
  spent: number
  next?: string
}
