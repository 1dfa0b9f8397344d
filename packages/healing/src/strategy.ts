import type {
  Approval,
  CheckResult,
  Clock,
  HealingOutcome,
  HealingRecord,
  HealingSkip,
  HealingTrigger,
  HealthState,
  Logger,
} from '@noa/core'
import type { ActionResult, Executor } from './executor.ts'
import type { ProcessExit } from './executors/local/local.ts'
import type { GuardVerdict } from './guards.ts'
import type { ResolvedSelfHealing, ResolvedServiceHealing } from './options.ts'

/** What asked for a healing. */
export interface Incident {
  service: string
  trigger: HealingTrigger
  /** Epoch ms. */
  at: number
  /** Free text, e.g. the alert that fired. */
  reason?: string
  /** The check result that caused it, when one did. */
  result?: CheckResult
  /** The exit a supervisor saw, for `process-exit`. */
  exit?: ProcessExit
  /** The person who asked for the healing (the API token's name), when one did. */
  requestedBy?: string
}

/** Checks one service's health now; injected (from @noa/health in the agent). */
export type Probe = (service: string, options: { signal?: AbortSignal }) => Promise<CheckResult>

/** Reads a service's current error rate (0-1), or undefined when unknown; injected. */
export type ErrorRateReader = (
  service: string,
  options: { signal?: AbortSignal },
) => Promise<number | undefined>

/**
 * What the healing engine cannot solve alone and a person should know:
 * - `budget-spent`: the restart budget is used up; the circuit opened and retries back off
 * - `circuit-open`: healings of the service failed repeatedly; the circuit opened
 * - `healing-failed`: a healing ended without bringing the service back
 * - `degraded`: the service was put in its fallback mode
 */
export interface HealingEscalation {
  service: string
  severity: 'critical' | 'warning'
  kind: 'budget-spent' | 'circuit-open' | 'healing-failed' | 'degraded'
  message: string
  at: number
  /** When the next retry of an open circuit is due; absent when none is scheduled. */
  nextRetryAt?: number
}

/** How one service is set up for healing, as strategies see it. */
export interface ServiceRuntime {
  name: string
  config: ResolvedServiceHealing
  executor?: Executor
}

/** Result of waiting for an approval. */
export type ApprovalResult = {
  /** `interrupted`: the engine stopped while waiting; the approval is still pending. */
  status: 'approved' | 'rejected' | 'expired' | 'interrupted'
  approval?: Approval
  error?: string
}

/**
 * What a strategy gets from the engine: the service, its executor, time, probes, and
 * helpers that record each step. Steps run through {@link StrategyContext.step} are
 * timed, saved to the audit as they complete, and skipped (recorded as "would …") in dry run.
 */
export interface StrategyContext {
  readonly service: ServiceRuntime
  readonly options: ResolvedSelfHealing
  readonly clock: Clock
  readonly logger: Logger
  readonly dryRun: boolean
  readonly signal: AbortSignal
  /** Health seen by the fresh probe taken before acting, when a probe is configured. */
  readonly healthBefore: HealthState | undefined
  /** Looks up another service (dependency check). */
  lookup(name: string): ServiceRuntime | undefined
  /** Runs and records one step. In dry run `run` is not called and the step is recorded as planned. */
  step(name: string, run: () => Promise<ActionResult>): Promise<ActionResult>
  /** Records a step that only observes (probes, reads): it runs in dry run too. */
  observe(name: string, run: () => Promise<ActionResult>): Promise<ActionResult>
  /** Waits on the clock and records the wait (skipped in dry run). */
  wait(ms: number, name?: string): Promise<void>
  /** Checks a service now and records it; undefined when no probe is configured. */
  probe(name?: string): Promise<CheckResult | undefined>
  /** Asks the restart guards about another `service` (the engine already asked about the main one). */
  guardRestart(service: string, cooldownMs?: number): GuardVerdict
  /** Counts a restart of `service` against its limits. */
  countRestart(service: string): void
  /** The service recovered: resets its consecutive-restart counter. */
  recovered(service: string): void
  /** Tells the engine's host about something a person should know. */
  escalate(escalation: Omit<HealingEscalation, 'at'>): void
  /** Creates a pending approval and waits for a decision or expiry. */
  requestApproval(action: string, reason: string): Promise<ApprovalResult>
  /** Reads the error rate, when a reader is configured. */
  errorRate(): Promise<number | undefined>
  /** Saves the record so far with an interim outcome (e.g. awaiting-approval). */
  checkpoint(outcome: HealingOutcome, reason?: string): Promise<void>
  /** Ends the healing: the record with every step recorded so far. */
  finish(
    outcome: HealingOutcome,
    extra?: { reason?: string; healthAfter?: HealthState; skip?: HealingSkip },
  ): HealingRecord
}

/**
 * One way of healing. `applies` says whether it can act on a service for an incident (its
 * executor can do what it needs), which is how a fleet-wide trigger finds its targets;
 * `execute` acts through the context and returns the audit record.
 *
 * @example
 * ```ts
 * const noop: Strategy = {
 *   name: 'noop',
 *   applies: () => true,
 *   execute: async (_incident, ctx) => ctx.finish('succeeded'),
 * }
 * ```
 */
export interface Strategy {
  readonly name: string
  /** Whether restart guards (cooldown, max restarts) apply to this strategy. */
  readonly restarts: boolean
  /** Pause required since the last restart of the service before this strategy acts. @default 0 */
  cooldown?(options: ResolvedSelfHealing): number
  applies(incident: Incident, service: ServiceRuntime): boolean
  execute(incident: Incident, ctx: StrategyContext): Promise<HealingRecord>
}
