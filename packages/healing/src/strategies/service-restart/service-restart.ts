import type { Strategy } from '../../strategy.ts'
import { canRestart, restartSteps } from '../restart-steps.ts'

/**
 * The seed's 2.1: verify the service is really down, respect the cooldown, stop
 * gracefully, wait 2 s, start, wait 5 s, verify, reset the failure counter.
 *
 * @example
 * ```ts
 * await engine.heal('service-down', 'mcp-server') // uses serviceRestart
 * ```
 */
export const serviceRestart: Strategy = {
  name: 'service-restart',
  restarts: true,
  cooldown: (o) => o.strategies.serviceRestart.cooldown ?? o.restartCooldown,
  applies: (_incident, service) => canRestart(service.executor),
  async execute(_incident, ctx) {
    if (ctx.healthBefore === 'healthy')
      return ctx.finish('skipped', {
        reason: `${ctx.service.name} is healthy again; nothing to do`,
        healthAfter: 'healthy',
        skip: 'healthy-again',
      })
    const result = await restartSteps(ctx, ctx.service)
    const extra = {
      ...(result.reason ? { reason: result.reason } : {}),
      ...(result.health ? { healthAfter: result.health } : {}),
    }
    return ctx.finish(result.ok ? 'succeeded' : 'failed', extra)
  },
}
