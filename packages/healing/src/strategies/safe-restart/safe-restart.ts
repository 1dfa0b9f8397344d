import { cp, mkdir, rm } from 'node:fs/promises'
import { basename, join } from 'node:path'
import type { ActionResult } from '../../executor.ts'
import { runCommand } from '../../run-command.ts'
import type { Strategy, StrategyContext } from '../../strategy.ts'
import { canRestart, restartSteps } from '../restart-steps.ts'

const errorOf = (e: unknown) => (e instanceof Error ? e.message : String(e))

async function backup(ctx: StrategyContext, dir: string): Promise<ActionResult> {
  const cfg = ctx.service.config.backup
  if (!cfg) return { ok: true, output: 'no backup configured' }
  if (cfg.command) return runCommand(cfg.command, { signal: ctx.signal })
  try {
    await mkdir(dir, { recursive: true })
    for (const path of cfg.paths) await cp(path, join(dir, basename(path)), { recursive: true })
    return { ok: true, output: `copied ${cfg.paths.join(', ')} to ${dir}` }
  } catch (e) {
    return { ok: false, error: `backup failed: ${errorOf(e)}`, retryable: true }
  }
}

async function restore(ctx: StrategyContext, dir: string): Promise<ActionResult> {
  const cfg = ctx.service.config.backup
  if (!cfg) return { ok: true, output: 'no backup to restore' }
  if (cfg.restoreCommand) return runCommand(cfg.restoreCommand, { signal: ctx.signal })
  try {
    for (const path of cfg.paths) {
      await rm(path, { recursive: true, force: true })
      await cp(join(dir, basename(path)), path, { recursive: true })
    }
    return { ok: true, output: `restored ${cfg.paths.join(', ')} from ${dir}` }
  } catch (e) {
    return { ok: false, error: `restore failed: ${errorOf(e)}`, retryable: true }
  }
}

/**
 * The seed's 2.2 (high error rate, degradation): back up state, stop gracefully, clear the
 * configured cache paths, start, watch the error rate for 30 s, and restore the backup
 * (then restart again) when it is still above the threshold.
 *
 * @example
 * ```ts
 * await engine.heal('high-error-rate', 'api')
 * ```
 */
export const safeRestart: Strategy = {
  name: 'safe-restart',
  restarts: true,
  cooldown: (o) => o.restartCooldown,
  applies: (_incident, service) => canRestart(service.executor),
  async execute(_incident, ctx) {
    const settings = ctx.options.strategies.safeRestart
    const cfg = ctx.service.config
    const dir = join(cfg.backup?.dir ?? 'backups', `${ctx.service.name}-${ctx.clock.now()}`)
    const saved = await ctx.step('back up state', () => backup(ctx, dir))
    if (!saved.ok) return ctx.finish('failed', { reason: `no restart without a backup: ${saved.error}` })
    const clear = async (): Promise<ActionResult> => {
      try {
        for (const path of cfg.clearPaths) await rm(path, { recursive: true, force: true })
        return {
          ok: true,
          output: cfg.clearPaths.length ? `removed ${cfg.clearPaths.join(', ')}` : 'nothing to clear',
        }
      } catch (e) {
        return { ok: false, error: errorOf(e), retryable: true }
      }
    }
    // the cache is cleared between stop and start, so the restart sequence is run in two halves
    const ex = ctx.service.executor
    const restarted = await restartSteps(
      ctx,
      ex?.stop && ex.start && ctx.options.gracefulShutdown
        ? {
            ...ctx.service,
            executor: {
              ...ex,
              type: ex.type,
              capabilities: ex.capabilities,
              stop: async (o) => {
                const stopped = await ex.stop!.call(ex, o)
                if (!stopped.ok) return stopped
                const cleared = await ctx.step('clear cache', clear)
                return cleared.ok ? stopped : { ...cleared, error: `clear cache failed: ${cleared.error}` }
              },
            },
          }
        : ctx.service,
    )
    if (!restarted.ok && restarted.health === undefined)
      return ctx.finish('failed', { reason: restarted.reason ?? 'restart failed' })
    if (ctx.dryRun) return ctx.finish('dry-run')
    const samples: number[] = []
    const watch = await ctx.observe(`watch error rate for ${settings.watchDuration} ms`, async () => {
      const end = ctx.clock.now() + settings.watchDuration
      while (ctx.clock.now() < end) {
        await ctx.clock.sleep(Math.min(settings.sampleInterval, end - ctx.clock.now()), ctx.signal)
        const rate = await ctx.errorRate()
        if (rate !== undefined) samples.push(rate)
      }
      const last = samples.at(-1)
      if (last === undefined)
        return { ok: restarted.ok, output: 'no error rate available; judged by the health check' }
      const text = `error rate samples: ${samples.map((s) => s.toFixed(3)).join(', ')}`
      return last > settings.errorRateThreshold
        ? {
            ok: false,
            error: `error rate ${last.toFixed(3)} still above ${settings.errorRateThreshold}`,
            output: text,
          }
        : { ok: true, output: text }
    })
    if (watch.ok) return ctx.finish('succeeded', restarted.health ? { healthAfter: restarted.health } : {})
    await ctx.step('restore backup', () => restore(ctx, dir))
    const again = await restartSteps(ctx, ctx.service)
    return ctx.finish('failed', {
      reason: `${watch.error ?? restarted.reason}; backup restored`,
      ...(again.health ? { healthAfter: again.health } : {}),
    })
  },
}
