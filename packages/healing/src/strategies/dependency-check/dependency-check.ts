import type { Strategy, StrategyContext } from '../../strategy.ts'
import { restartSteps } from '../restart-steps.ts'

/**
 * The seed's 2.3: walk the service's dependencies depth-first (cycles are noted and
 * cut), check each, heal the unhealthy ones deepest first, then restart the service.
 *
 * @example
 * ```ts
 * // services: { 'ui-server': { dependsOn: ['mcp-server'] }, 'mcp-server': { dependsOn: ['claude-flow'] } }
 * await engine.heal('dependency-failure', 'ui-server') // claude-flow, then mcp-server, then ui-server
 * ```
 */
export const dependencyCheck: Strategy = {
  name: 'dependency-check',
  restarts: true,
  cooldown: (o) => o.restartCooldown,
  applies: (_incident, service) => service.config.dependsOn.length > 0,
  async execute(_incident, ctx) {
    const visited = new Set<string>([ctx.service.name])
    let healed = 0
    const walk = async (name: string, path: string[]): Promise<string | undefined> => {
      const deps = ctx.lookup(name)?.config.dependsOn ?? []
      for (const dep of deps) {
        if (path.includes(dep)) {
          await ctx.observe(`dependency cycle ${[...path, dep].join(' -> ')}`, async () => ({
            ok: true,
            output: 'cycle cut here',
          }))
          continue
        }
        if (visited.has(dep)) continue
        visited.add(dep)
        const runtime = ctx.lookup(dep)
        if (!runtime) {
          const reason = `${name} depends on ${dep}, which is not a configured service`
          await ctx.observe(`check ${dep}`, async () => ({ ok: false, error: reason }))
          return reason
        }
        const deeper = await walk(dep, [...path, dep])
        if (deeper) return deeper
        const result = await ctx.probe(dep)
        if (!result || result.state === 'healthy') continue
        const verdict = ctx.guardRestart(dep, ctx.options.restartCooldown)
        if (!verdict.allowed) {
          await ctx.observe(`restart ${dep}`, async () => ({ ok: false, error: verdict.reason }))
          return `cannot heal dependency ${dep}: ${verdict.reason}`
        }
        const restarted = await restartSteps(ctx, runtime)
        if (!restarted.ok) return `dependency ${dep} did not recover: ${restarted.reason}`
        healed++
      }
      return undefined
    }
    const problem = await walk(ctx.service.name, [ctx.service.name])
    if (problem) return ctx.finish('failed', { reason: problem })
    if (healed === 0 && ctx.healthBefore === 'healthy')
      return ctx.finish('skipped', {
        reason: 'every dependency and the service are healthy',
        healthAfter: 'healthy',
        skip: 'healthy-again',
      })
    return restartMain(ctx)
  },
}

async function restartMain(ctx: StrategyContext) {
  const result = await restartSteps(ctx, ctx.service)
  return ctx.finish(result.ok ? 'succeeded' : 'failed', {
    ...(result.reason ? { reason: result.reason } : {}),
    ...(result.health ? { healthAfter: result.health } : {}),
  })
}
