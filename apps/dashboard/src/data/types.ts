/**
 * The JSON bodies of the agent's API and its events: the agent's own types
 * (`@noa/agent/api`, type-only, so the bundle gets nothing from the agent).
 */
export type {
  AlertRecord,
  AlertsBody,
  ApiSilence as Silence,
  Approval,
  ChangeEvent,
  CheckResult,
  DecisionEvent,
  EscalationEvent,
  HealingBody,
  HealingRecord,
  HealingStep,
  HealthState,
  HealthSummary,
  MetricSnapshot,
  OverallStatus,
  Point,
  RangeQueryBody,
  ServiceDetail,
  ServiceStatus,
  SseEventName,
  SseEvents,
  StateChange,
  StatusBody,
  StatusService,
} from '@noa/agent/api'
