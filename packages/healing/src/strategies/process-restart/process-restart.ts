import { LocalSupervisor } from '../../executors/local/local.ts'
import type { Strategy } from '../../strategy.ts'

/**
 * A supervised process exited on its own: start it again, after the supervisor's backoff
 * when it keeps crashing. Only the engine runs it, for the `process-exit` trigger; it counts
 * against the restart budget like any restart.
 *
 * @example
 * ```ts
 * supervisor.on('exit', (exit) => engine.heal('process-exit', exit.service, { exit }))
 * ```
 */
export const processRestart: Strategy = {
  name: 'process-restart',
  restarts: true,
  applies: (_incident, service) => service.executor instanceof LocalSupervisor,
  async execute(incident, ctx) {
    const supervisor = ctx.service.executor
    if (!(supervisor instanceof LocalSupervisor))
      return ctx.finish('failed', { reason: `${ctx.service.name} is not under a local supervisor` })
    const exit = incident.exit
    await ctx.observe('process exited', async () => ({ ok: true, output: incident.reason ?? '' }))
    if (exit && exit.delayMs > 0) await ctx.wait(exit.delayMs, `backoff ${exit.delayMs} ms`)
    if (!supervisor.wanted)
      return ctx.finish('skipped', { reason: 'the service was stopped meanwhile', skip: 'stopped' })
    if (!ctx.dryRun) ctx.countRestart(ctx.service.name)
    const started = await ctx.step('start', () => supervisor.start({ signal: ctx.signal }))
    if (!started.ok) return ctx.finish('failed', { reason: started.error ?? 'start failed' })
    if (!ctx.dryRun) supervisor.countRestart()
    return ctx.finish('succeeded')
  },
}
