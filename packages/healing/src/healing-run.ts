import type { HealingRecord, HealthState } from '@noa/core'
import { errorMessage } from '@noa/core'
import { createHealingRecord } from './healing-record.ts'
import { createRunContext, type RunContextDeps } from './run-context.ts'
import { LeaseLostError } from './service-lock.ts'
import type { Incident, ServiceRuntime, Strategy } from './strategy.ts'

/** What {@link runHealing} needs besides the run context's own needs. */
export interface RunDeps extends RunContextDeps {
  agentId: string
  /** The record was created and saved as `running`. */
  started(record: HealingRecord): void
}

/**
 * Runs one strategy on one service through a run context that records its steps: creates the
 * `running` record, takes the health before acting (when a probe is given and no exit already
 * says the service is down), lets the strategy act, and settles the outcome: a strategy that
 * throws fails with why, a healing stopped by a lost lease or a shutdown is `interrupted`, a
 * dry run that got through is `dry-run`. Returns the ended record, not yet saved.
 */
export async function runHealing(
  deps: RunDeps,
  strategy: Strategy,
  runtime: ServiceRuntime,
  incident: Incident,
  dryRun: boolean,
  signal: AbortSignal,
): Promise<HealingRecord> {
  const record = createHealingRecord({
    service: runtime.name,
    trigger: incident.trigger,
    strategy: strategy.name,
    startedAt: deps.clock.now(),
    outcome: 'running',
    dryRun,
    agentId: deps.agentId,
    reason: incident.reason,
    requestedBy: incident.requestedBy,
  })
  await deps.save(record)
  deps.started({ ...record, steps: [] })
  // An exit already says the service is down: no probe needed to know it.
  let healthBefore: HealthState | undefined = incident.exit ? 'error' : undefined
  const ctx = createRunContext(deps, runtime, record, signal, () => healthBefore)
  let finished: HealingRecord
  try {
    if (deps.probe && !incident.exit) {
      const before = await ctx.probe(runtime.name, 'check health before')
      healthBefore = before?.state
    }
    if (healthBefore) record.healthBefore = healthBefore
    finished = await strategy.execute(incident, ctx)
  } catch (e) {
    finished = ctx.finish('failed', { reason: `strategy ${strategy.name} threw: ${errorMessage(e)}` })
  }
  if (signal.aborted && finished.outcome !== 'succeeded') {
    // Lost lease or shutdown: the remaining steps did not act, and nobody should think they failed.
    finished.outcome = 'interrupted'
    finished.reason =
      signal.reason instanceof LeaseLostError
        ? `${signal.reason.message}; the remaining steps were not run`
        : 'the agent stopped before this healing ended'
  }
  if (dryRun && finished.outcome !== 'skipped' && finished.outcome !== 'failed') finished.outcome = 'dry-run'
  return finished
}
