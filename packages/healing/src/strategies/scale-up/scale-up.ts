import type { Strategy } from '../../strategy.ts'
import { verify } from '../restart-steps.ts'

/**
 * The seed's 2.5 (high load): one more replica, through whichever executor the service
 * has that can scale: Kubernetes (`scale` subresource) or PM2 (`scale +1`). Bounded by
 * `strategies.scaleUp.maxReplicas` and the executor's own maximum.
 *
 * @example
 * ```ts
 * await engine.heal('high-load', 'api')
 * ```
 */
export const scaleUp: Strategy = {
  name: 'scale-up',
  restarts: false,
  applies: (_incident, service) => service.executor?.capabilities.includes('scale') === true,
  async execute(_incident, ctx) {
    const ex = ctx.service.executor
    const scale = ex?.scale
    if (!ex || !scale) {
      const reason = ex
        ? `the ${ex.type} executor of ${ctx.service.name} cannot scale; scale up needs a kubernetes or pm2 executor`
        : `service ${ctx.service.name} has no executor`
      await ctx.step('scale +1', async () => ({ ok: false, error: reason, retryable: false }))
      return ctx.finish('failed', { reason })
    }
    const max = ctx.options.strategies.scaleUp.maxReplicas
    const scaled = await ctx.step(`scale +1 (${ex.type}, max ${max})`, () =>
      scale.call(ex, 1, { signal: ctx.signal, max }),
    )
    if (!scaled.ok) return ctx.finish('failed', { reason: scaled.error ?? 'scale failed' })
    const checked = await verify(ctx, ctx.service.name)
    return ctx.finish('succeeded', checked.health ? { healthAfter: checked.health } : {})
  },
}
