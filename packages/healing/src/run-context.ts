import type { CheckResult, Clock, HealingRecord, HealingStep, HealthState, Logger } from '@noa/core'
import { errorMessage } from '@noa/core'
import type { ApprovalGate } from './approval-gate.ts'
import type { ActionResult } from './executor.ts'
import type { Guards } from './guards.ts'
import { endRecord } from './healing-record.ts'
import type { ResolvedSelfHealing } from './options.ts'
import type {
  ErrorRateReader,
  HealingEscalation,
  Probe,
  ServiceRuntime,
  StrategyContext,
} from './strategy.ts'

/** What the engine lends a run's context. */
export interface RunContextDeps {
  options: ResolvedSelfHealing
  clock: Clock
  logger: Logger
  guards: Guards
  probe: Probe | undefined
  errorRate: ErrorRateReader | undefined
  lookup(name: string): ServiceRuntime | undefined
  save(record: HealingRecord): Promise<unknown>
  stepped(record: HealingRecord, step: HealingStep): void
  escalate(escalation: Omit<HealingEscalation, 'at'>): void
  /** Where a strategy that needs a person's approval waits for it. */
  approvals: ApprovalGate
}

/** A strategy's context that also probes with a step label (the engine's health-before probe). */
export type RunContext = StrategyContext & {
  probe(name?: string, label?: string): Promise<CheckResult | undefined>
}

/**
 * The context one healing's strategy acts through: every step is timed, saved to the audit as
 * it completes and announced; in dry run, steps that act are recorded as planned instead. A
 * lost lease or a shutdown (the aborted `signal`) turns the steps left into failed ones that
 * did not act.
 */
export function createRunContext(
  deps: RunContextDeps,
  runtime: ServiceRuntime,
  record: HealingRecord,
  signal: AbortSignal,
  before: () => HealthState | undefined,
): RunContext {
  const { clock, guards } = deps
  const dryRun = record.dryRun
  const steps = record.steps
  const push = async (step: HealingStep) => {
    steps.push(step)
    await deps.save({ ...record, steps: [...steps] })
    deps.stepped({ ...record, steps: [...steps] }, step)
  }
  const timed = async (name: string, run: () => Promise<ActionResult>): Promise<ActionResult> => {
    const startedAt = clock.now()
    let result: ActionResult
    try {
      result = await run()
    } catch (e) {
      result = { ok: false, error: errorMessage(e), retryable: true }
    }
    const step: HealingStep = { name, startedAt, endedAt: clock.now(), ok: result.ok }
    if (result.output) step.output = result.output
    if (result.error) step.error = result.error
    await push(step)
    return result
  }
  const planned = async (name: string, output: string) => {
    const now = clock.now()
    await push({ name, startedAt: now, endedAt: now, ok: true, output })
  }
  return {
    service: runtime,
    options: deps.options,
    clock,
    logger: deps.logger,
    dryRun,
    signal,
    get healthBefore() {
      return before()
    },
    lookup: deps.lookup,
    async step(name, run) {
      // A lost lease or a shutdown ends the healing here: what is left does not act.
      if (signal.aborted)
        return timed(name, async () => ({ ok: false, error: `not run: ${abortReason(signal)}` }))
      if (!dryRun) return timed(name, run)
      await planned(name, `dry run: would ${name}`)
      return { ok: true, output: 'dry run' }
    },
    observe: timed,
    async wait(ms, name) {
      const label = name ?? `wait ${ms} ms`
      if (ms <= 0) return
      if (dryRun) return planned(label, 'dry run: would wait')
      await timed(label, async () => {
        await clock.sleep(ms, signal)
        return { ok: true }
      })
    },
    async probe(name = runtime.name, label?: string) {
      const probe = deps.probe
      if (!probe) return undefined
      let result: CheckResult | undefined
      await timed(label ?? `check ${name}`, async () => {
        try {
          result = await probe(name, { signal })
        } catch (e) {
          result = {
            service: name,
            state: 'error',
            at: clock.now(),
            durationMs: 0,
            attempts: 1,
            message: errorMessage(e),
          }
        }
        return { ok: true, output: `${result.state}${result.message ? `: ${result.message}` : ''}` }
      })
      return result
    },
    guardRestart: (service, cooldownMs) =>
      guards.check(service, {
        now: clock.now(),
        restarts: true,
        ...(cooldownMs === undefined ? {} : { cooldownMs }),
      }),
    countRestart: (service) => guards.countRestart(service, clock.now()),
    recovered: (service) => guards.recovered(service),
    escalate: deps.escalate,
    requestApproval: (action, reason) => deps.approvals.wait(runtime.name, action, reason, signal),
    async errorRate() {
      if (!deps.errorRate) return undefined
      try {
        return await deps.errorRate(runtime.name, { signal })
      } catch {
        return undefined
      }
    },
    async checkpoint(outcome, reason) {
      await deps.save({ ...record, steps: [...steps], outcome, ...(reason ? { reason } : {}) })
    },
    finish: (outcome, extra = {}) =>
      endRecord(record, outcome, clock.now(), { ...extra, healthBefore: before() }, steps),
  }
}

function abortReason(signal: AbortSignal): string {
  return signal.reason instanceof Error ? signal.reason.message : 'the healing was stopped'
}
