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
import type { Decision } from '../incident/router.ts'

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
}

/** `GET /api/status`, and the `status` SSE event. */
export interface StatusBody {
  timestamp: string
  health: OverallStatus
  services: StatusService[]
  /** `cpu` and `memory` in percent, `errorRate` a fraction, `latency` average ms. */
  metrics: { cpu: number | null; memory: number | null; errorRate: number | null; latency: number | null }
  alerts: { firing: number; pending: number }
  healing: { running: number; pendingApprovals: number }
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
  service: ServiceStatus
  checks: CheckResult[]
  changes: StateChange[]
  healings: HealingRecord[]
  alerts: AlertRecord[]
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

/** Every SSE event the agent sends, by name. */
export interface SseEvents {
  status: StatusBody
  metrics: MetricSnapshot
  change: ChangeEvent
  alert: AlertRecord
  healing: HealingRecord
  approval: Approval
  decision: DecisionEvent
  escalation: EscalationEvent
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
