import type { RollbackTarget } from '../../executor.ts'
import { runCommand } from '../../run-command.ts'
import type { Strategy, StrategyContext } from '../../strategy.ts'
import { verify } from '../restart-steps.ts'

async function previousVersion(ctx: StrategyContext): Promise<RollbackTarget | string> {
  const source = ctx.service.config.rollback
  if (!source) return {}
  if (source.source === 'image') return { version: source.image }
  if (source.source === 'kubernetes')
    return source.revision === undefined ? {} : { revision: source.revision }
  if (source.ref) return { version: source.ref }
  const dir = source.dir
  let found = ''
  const r = await ctx.observe('find previous version (git)', async () => {
    const current = await runCommand(['git', '-C', dir, 'describe', '--tags', '--abbrev=0', 'HEAD'])
    if (!current.ok) return current
    const prev = await runCommand([
      'git',
      '-C',
      dir,
      'describe',
      '--tags',
      '--abbrev=0',
      `${current.output}^`,
    ])
    if (!prev.ok) return { ...prev, error: `no tag before ${current.output}: ${prev.error}` }
    found = prev.output ?? ''
    return { ok: true, output: `current ${current.output}, previous ${found}` }
  })
  return r.ok ? { version: found } : (r.error ?? 'no previous version')
}

/**
 * The seed's 2.6 (deployment failure): off unless `strategies.rollback.enabled`; asks for
 * an approval first unless `automatic: true` and `approvalRequired: false`; finds the
 * previous version (git tag before the current one, a configured image, or the previous
 * Kubernetes revision), rolls back through the executor, verifies. Every step is recorded.
 *
 * @example
 * ```ts
 * const pending = engine.heal('deployment-failure', 'api')
 * engine.on('approval-requested', (a) => engine.decideApproval(a.id, { status: 'approved', at: Date.now(), by: 'ops' }))
 * await pending
 * ```
 */
export const rollback: Strategy = {
  name: 'rollback',
  restarts: false,
  applies: (_incident, service) => service.executor?.capabilities.includes('rollback') === true,
  async execute(_incident, ctx) {
    const settings = ctx.options.strategies.rollback
    if (!settings.enabled)
      return ctx.finish('skipped', {
        reason: 'rollback is disabled (selfHealing.strategies.rollback.enabled)',
        skip: 'disabled',
      })
    const ex = ctx.service.executor
    const run = ex?.rollback
    if (!ex || !run) {
      const reason = ex
        ? `the ${ex.type} executor of ${ctx.service.name} cannot roll back`
        : `service ${ctx.service.name} has no executor`
      await ctx.step('rollback', async () => ({ ok: false, error: reason, retryable: false }))
      return ctx.finish('failed', { reason })
    }
    const target = await previousVersion(ctx)
    if (typeof target === 'string')
      return ctx.finish('failed', { reason: `cannot find the previous version: ${target}` })
    const label =
      target.version ?? (target.revision ? `revision ${target.revision}` : 'the previous revision')
    const needsApproval = settings.approvalRequired || !settings.automatic
    if (needsApproval && !ctx.dryRun) {
      await ctx.checkpoint('awaiting-approval', `rollback of ${ctx.service.name} to ${label} awaits approval`)
      const decision = await ctx.requestApproval('rollback', `roll ${ctx.service.name} back to ${label}`)
      await ctx.observe(`approval ${decision.status}`, async () =>
        decision.error
          ? { ok: false, error: decision.error }
          : {
              ok: decision.status === 'approved',
              output: decision.approval?.decidedBy ? `by ${decision.approval.decidedBy}` : decision.status,
            },
      )
      if (decision.error) return ctx.finish('failed', { reason: decision.error })
      if (decision.status === 'interrupted')
        return ctx.finish('interrupted', {
          reason: 'the agent stopped while the rollback awaited approval; the approval stays pending',
        })
      if (decision.status === 'rejected')
        return ctx.finish('rejected', {
          reason: `rollback rejected${decision.approval?.comment ? `: ${decision.approval.comment}` : ''}`,
        })
      if (decision.status === 'expired')
        return ctx.finish('skipped', {
          reason: 'approval expired without a decision',
          skip: 'approval-expired',
        })
    }
    const done = await ctx.step(`rollback to ${label}`, () => run.call(ex, target, { signal: ctx.signal }))
    if (!done.ok) return ctx.finish('failed', { reason: done.error ?? 'rollback failed' })
    await ctx.wait(ctx.options.strategies.serviceRestart.startWait)
    const checked = await verify(ctx, ctx.service.name)
    return ctx.finish(checked.ok ? 'succeeded' : 'failed', {
      ...(checked.reason ? { reason: checked.reason } : {}),
      ...(checked.health ? { healthAfter: checked.health } : {}),
    })
  },
}
