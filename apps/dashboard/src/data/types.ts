/**
 * The JSON bodies of the agent's API (apps/agent/API.md). Domain records are the types
 * of @noa/core; only their shapes are imported, never runtime code.
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
import type { ServiceStatus } from '@noa/health'

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

// `GET /api/health` answers @noa/health's summary as is; only its types enter the bundle.
export type { HealthSummary, ServiceStatus } from '@noa/health'

/** One service in `GET /api/status`. */
export interface StatusService {
  name: string
  state: HealthState
  critical: boolean
  flapping: boolean
  blockedBy: readonly string[]
  latencyMs?: number | null
}

/** `GET /api/status`, and the `status` SSE event. */
export interface StatusBody {
  timestamp: string
  health: OverallStatus
  services: StatusService[]
  /** `cpu` and `memory` in percent, `errorRate` a fraction, `latency` average ms. */
  metrics: { cpu?: number | null; memory?: number | null; errorRate?: number | null; latency?: number | null }
  alerts: { firing: number; pending: number }
  healing: { running: number; pendingApprovals: number }
}

/** A silence of alerts, Alertmanager's shape. */
export interface Silence {
  id: string
  matchers: Array<{ name: string; value: string; isRegex?: boolean }>
  startsAt: number
  endsAt: number
  comment: string
  createdBy?: string
}

/** `GET /api/alerts`. */
export interface AlertsBody {
  alerts: AlertRecord[]
  silences: Silence[]
}

/** `GET /api/healing`. */
export interface HealingBody {
  healings: HealingRecord[]
  approvals: Approval[]
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
}

/** The `change` SSE event. */
export type ChangeEvent = StateChange & { critical: boolean; blockedBy: string[] }

/** Every SSE event the agent sends, by name. */
export interface SseEvents {
  status: StatusBody
  metrics: MetricSnapshot
  change: ChangeEvent
  alert: AlertRecord
  healing: HealingRecord
  approval: Approval
}

export type SseEventName = keyof SseEvents
