import { isLocalSupervisor } from '../../executors/local/local.ts'
import type { Strategy } from '../../strategy.ts'

/**
 * A supervised process exited on its own: start it again, after the supervisor's backoff
 * when it keeps crashing. It answers the `process-exit` trigger, which the engine raises
 * itself when a local supervisor reports an exit (or a host does, with `restartOnExit: false`);
 * it counts against the restart budget like any restart.
 *
 * @example
 * ```ts
 * engine.on('process-exit', (exit) => engine.heal('process-exit', exit.service, { exit }))
 * ```
 */
export const processRestart: Strategy = {
  name: 'process-restart',
  restarts: true,
  applies: (_incident, service) => isLocalSupervisor(service.executor),
  async execute(incident, ctx) {
    const supervisor = ctx.service.executor
    if (!isLocalSupervisor(supervisor))
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
