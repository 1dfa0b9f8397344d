import type { HealthState } from '@noa/core'
import type { Executor } from '../executor.ts'
import type { ServiceRuntime, StrategyContext } from '../strategy.ts'

/** True when the executor can restart a service: a restart, or a stop and a start. */
export function canRestart(executor: Executor | undefined): boolean {
  const can = executor?.capabilities ?? []
  return can.includes('restart') || (can.includes('stop') && can.includes('start'))
}

/** How a restart sequence ended. */
export interface RestartOutcome {
  ok: boolean
  health?: HealthState
  reason?: string
}

/**
 * The seed's restart sequence on one service: stop gracefully, wait, start, wait, verify.
 * Counts the restart against the guards and resets the consecutive counter on recovery.
 */
export async function restartSteps(
  ctx: StrategyContext,
  target: ServiceRuntime,
  opts: { env?: Record<string, string>; stopWait?: number; startWait?: number } = {},
): Promise<RestartOutcome> {
  const ex = target.executor
  const label = target.name === ctx.service.name ? '' : ` ${target.name}`
  const settings = ctx.options.strategies.serviceRestart
  if (!ex) {
    const reason = `service ${target.name} has no executor`
    await ctx.step(`restart${label}`, async () => ({ ok: false, error: reason, retryable: false }))
    return { ok: false, reason }
  }
  if (!ctx.dryRun) ctx.countRestart(target.name)
  const action = { signal: ctx.signal, ...(opts.env ? { env: opts.env } : {}) }
  const stop = ex.stop
  const start = ex.start
  const restart = ex.restart
  if (ctx.options.gracefulShutdown && stop && start) {
    const stopped = await ctx.step(`stop${label}`, () => stop.call(ex, action))
    if (!stopped.ok) return { ok: false, reason: `stop${label} failed: ${stopped.error}` }
    await ctx.wait(opts.stopWait ?? settings.stopWait)
    const started = await ctx.step(`start${label}`, () => start.call(ex, action))
    if (!started.ok) return { ok: false, reason: `start${label} failed: ${started.error}` }
  } else if (restart) {
    const restarted = await ctx.step(`restart${label}`, () => restart.call(ex, action))
    if (!restarted.ok) return { ok: false, reason: `restart${label} failed: ${restarted.error}` }
  } else {
    const reason = `the ${ex.type} executor of ${target.name} cannot restart (capabilities: ${ex.capabilities.join(', ') || 'none'})`
    await ctx.step(`restart${label}`, async () => ({ ok: false, error: reason, retryable: false }))
    return { ok: false, reason }
  }
  await ctx.wait(opts.startWait ?? settings.startWait)
  return verify(ctx, target.name)
}

/** Checks a service after acting; without a probe, acting counts as recovering. */
export async function verify(ctx: StrategyContext, service: string): Promise<RestartOutcome> {
  if (ctx.dryRun) return { ok: true }
  const result = await ctx.probe(service)
  if (!result) {
    ctx.recovered(service)
    return { ok: true }
  }
  if (result.state === 'healthy') {
    ctx.recovered(service)
    return { ok: true, health: 'healthy' }
  }
  return {
    ok: false,
    health: result.state,
    reason: `${service} is still ${result.state}${result.message ? `: ${result.message}` : ''}`,
  }
}
