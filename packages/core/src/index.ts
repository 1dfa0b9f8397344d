/**
 * @module @noa/core
 * The small shared base of noa: domain types, the injectable Clock, backoff with
 * jitter, timeouts through AbortSignal, a logger interface and typed errors.
 */

export type { TimeoutSignal } from './abort.ts'
export { timeoutSignal } from './abort.ts'
export type { Backoff, BackoffOptions } from './backoff.ts'
export { createBackoff, jitterDelay } from './backoff.ts'
export type { Clock, Timer } from './clock.ts'
export { FakeClock, systemClock } from './clock.ts'
export type { Emitter, EmitterOptions, Subscribable, Unsubscribe } from './emitter.ts'
export { createEmitter } from './emitter.ts'
export type { ConfigIssue, NoaErrorOptions, SchemaIssueLike } from './errors.ts'
export {
  brandError,
  ConfigError,
  closestKey,
  errorMessage,
  formatIssues,
  isConfigError,
  isNoaError,
  isTimeoutError,
  NoaError,
  recordKnownKeys,
  TimeoutError,
  toConfigIssues,
} from './errors.ts'
export { createId } from './id.ts'
export type { LogFields, Logger, LoggerOptions, LogLevel, LogRecord } from './logger.ts'
export { createLogger, levelEnabled, noopLogger } from './logger.ts'
export type { OptionsSchema, ParseOptionsOptions } from './options.ts'
export { parseOptions } from './options.ts'
export { retryAfterMs } from './retry-after.ts'
export { yieldToLoop } from './turns.ts'
export type {
  AlertLog,
  AlertRecord,
  AlertState,
  ApplicationSection,
  Approval,
  ApprovalDecision,
  ApprovalStatus,
  ApprovalStore,
  CheckResult,
  Delivery,
  DeliveryStatus,
  HealingAudit,
  HealingOutcome,
  HealingRecord,
  HealingSkip,
  HealingStep,
  HealingTrigger,
  HealthState,
  LeaseStore,
  ListQuery,
  MetricSnapshot,
  NewDelivery,
  Outbox,
  OverallStatus,
  ServiceName,
  Severity,
  Silence,
  SilenceMatcher,
  SilenceStore,
  StateChange,
  SystemSection,
} from './types.ts'
export { HEALING_SKIPS, HEALTH_STATES, isDown, SEVERITIES } from './types.ts'
