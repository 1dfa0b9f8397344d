import { runHook } from '../../actions.ts'
import type { Strategy } from '../../strategy.ts'
import { canRestart, restartSteps } from '../restart-steps.ts'

/**
 * The seed's 2.4 (memory leak, resource exhaustion): save state through the service's
 * `state.save` hook, stop gracefully, start (a fresh process gives its memory back),
 * restore state through `state.restore`, verify.
 *
 * @example
 * ```ts
 * await engine.heal('memory-leak', 'api')
 * ```
 */
export const gracefulRestart: Strategy = {
  name: 'graceful-restart',
  restarts: true,
  cooldown: (o) => o.restartCooldown,
  applies: (_incident, service) => canRestart(service.executor),
  async execute(_incident, ctx) {
    const hooks = ctx.service.config.state
    const save = hooks?.save
    if (save) {
      const saved = await ctx.step('save state', () => runHook(save, ctx.signal))
      if (!saved.ok) return ctx.finish('failed', { reason: `could not save state: ${saved.error}` })
    }
    const result = await restartSteps(ctx, ctx.service)
    if (!result.ok)
      return ctx.finish('failed', {
        reason: result.reason ?? 'restart failed',
        ...(result.health ? { healthAfter: result.health } : {}),
      })
    const restore = hooks?.restore
    if (restore) {
      const restored = await ctx.step('restore state', () => runHook(restore, ctx.signal))
      if (!restored.ok)
        return ctx.finish('failed', { reason: `restarted, but could not restore state: ${restored.error}` })
    }
    return ctx.finish('succeeded', result.health ? { healthAfter: result.health } : {})
  },
}
