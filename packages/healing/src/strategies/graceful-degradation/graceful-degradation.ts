import { runHook } from '../../actions.ts'
import type { ActionResult } from '../../executor.ts'
import type { Strategy } from '../../strategy.ts'

/**
 * The seed's 2.7 (max restarts exceeded): switch the service to its fallback mode
 * (`read-only` by default) through the configured action (an HTTP call, a command, or an
 * environment flag set on a restart), raise a critical alert, keep partial service: the
 * service is not stopped.
 *
 * @example
 * ```ts
 * // services.api.degrade: { type: 'env', name: 'READ_ONLY', value: '1' }
 * await engine.heal('max-restarts', 'api')
 * ```
 */
export const gracefulDegradation: Strategy = {
  name: 'graceful-degradation',
  restarts: false,
  applies: () => true,
  async execute(incident, ctx) {
    const mode = ctx.options.strategies.gracefulDegradation.fallbackMode
    const action = ctx.service.config.degrade
    const ex = ctx.service.executor
    let result: ActionResult
    if (!action) {
      result = await ctx.observe(`switch to ${mode} mode`, async () => ({
        ok: true,
        output: 'no degrade action configured; alert only',
      }))
    } else if (action.type === 'env') {
      const env = { [action.name]: action.value }
      const restart = ex?.restart
      result = await ctx.step(`restart in ${mode} mode (${action.name}=${action.value})`, async () =>
        restart && ex
          ? restart.call(ex, { signal: ctx.signal, env })
          : {
              ok: false,
              error: `the executor of ${ctx.service.name} cannot restart with an environment flag`,
            },
      )
    } else {
      result = await ctx.step(`switch to ${mode} mode (${action.type})`, () => runHook(action, ctx.signal))
    }
    ctx.escalate({
      service: ctx.service.name,
      severity: 'critical',
      kind: 'degraded',
      message: `${ctx.service.name} put in ${mode} mode after ${incident.reason ?? 'repeated failed healings'}${result.ok ? '' : `; switching failed: ${result.error}`}`,
    })
    return ctx.finish(
      result.ok ? 'succeeded' : 'failed',
      result.ok ? {} : { reason: result.error ?? 'degradation failed' },
    )
  },
}
