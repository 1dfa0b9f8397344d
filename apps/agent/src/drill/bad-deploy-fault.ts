import { errorMessage } from '@noa/core'
import type { AgentConfig, AgentService } from '../config/schema.ts'
import type { FaultDriver } from './fault.ts'
import { healingRules, knob, knobOrigin, missingKnob } from './knobs.ts'

/** The trigger whose healing is the rollback strategy. */
const DEPLOY_TRIGGERS: ReadonlySet<string> = new Set(['deployment-failure'])

/** Who the drill's approvals are from, as the agent records them. */
export const DRILL_APPROVER = 'noa drill'

/** The names of the per-service rules that heal a failed deployment, from the agent's config. */
export const deployRules = (config: AgentConfig): string[] => healingRules(config, DEPLOY_TRIGGERS)

/** Whether the service's executor, as configured, has a rollback action. */
function canRollBack(executor: NonNullable<AgentService['executor']>): boolean {
  if (executor.type === 'kubernetes') return true
  if (executor.type === 'local' || executor.type === 'command') return executor.rollback !== undefined
  return false
}

/**
 * bad-deploy: the service runs a bad version through its drill knob (`POST /drill/deploy` at the
 * origin of its /metrics, as the demo service has): its requests fail while its health check
 * passes, so no state changes and nothing restarts it. noa sees it only through a per-service
 * rule whose heal action is `deployment-failure`: the rollback strategy asks for an approval,
 * which the drill gives through the agent's API (`POST /api/approvals/:id/approve`, with
 * NOA_API_TOKEN; without it the drill cannot, and ends escalated saying so), and rolls the
 * service back through its executor's rollback command. Undone by `DELETE /drill/deploy` (the
 * good version already runs once noa rolled it back); an approval the drill saw and did not
 * give is rejected then, so no rollback waits for a fault that is gone.
 */
export const badDeploy: FaultDriver = {
  targets: (service) => [service.name],
  async unfit(service, ctx) {
    if (!service.executor || !canRollBack(service.executor))
      return 'noa cannot roll it back (its executor has no rollback: "executor.rollback")'
    if (!ctx.config.selfHealing.strategies.rollback.enabled)
      return 'the rollback strategy is off (selfHealing.strategies.rollback.enabled)'
    const origin = knobOrigin(service)
    if (!origin || !ctx.config.metrics.enabled)
      return 'noa does not scrape its /metrics ("metrics" URL and metrics.enabled): it cannot see its failing requests'
    if (deployRules(ctx.config).length === 0)
      return 'no per-service alert rule heals "deployment-failure" (see the drill section of the agent README)'
    return missingKnob(origin, 'deploy')
  },
  async inject(service, ctx) {
    const origin = knobOrigin(service)
    if (!origin) throw new Error(`${service.name}: no /metrics URL`)
    const url = `${origin}/drill/deploy`
    /** The approvals of the rollback the drill saw, and whether it gave each. */
    const approvals = new Map<string, 'approving' | 'approved' | 'not given'>()
    let cannot: string | undefined

    const decide = async (id: string, decision: 'approve' | 'reject', comment: string) =>
      ctx.api.post<{ error?: string }>(`/api/approvals/${encodeURIComponent(id)}/${decision}`, {
        by: DRILL_APPROVER,
        comment,
      })
    const approve = async (id: string) => {
      try {
        const answer = await decide(id, 'approve', `the drill of a bad deploy of ${service.name}`)
        if (answer.status === 200) approvals.set(id, 'approved')
        else {
          approvals.set(id, 'not given')
          cannot = `the agent did not take the drill's approval of the rollback (${answer.status}: ${answer.body.error ?? 'no reason given'})`
        }
      } catch (error) {
        approvals.set(id, 'not given')
        cannot = `the drill could not approve the rollback: ${errorMessage(error)}`
      }
    }

    const undo = ctx.restorer.add(`bad deploy of ${service.name}`, async () => {
      await knob(url, 'DELETE')
      // a rollback still waiting for the drill's approval would roll back a fault that is gone
      if (!ctx.api.hasToken) return
      for (const [id, state] of approvals)
        if (state !== 'approved')
          await decide(id, 'reject', 'the drill ended and undid its bad deploy').catch(() => undefined)
    })
    const faultAt = Date.now()
    try {
      await knob(url, 'POST')
    } catch (error) {
      await undo().catch(() => undefined)
      throw error
    }
    return {
      faultAt,
      faulted: [service.name],
      injections: () => 1,
      onEvent(event) {
        if (event.type !== 'approval' || event.service !== service.name || event.status !== 'pending') return
        if (event.at < faultAt || approvals.has(event.id)) return
        if (!ctx.api.hasToken) {
          approvals.set(event.id, 'not given')
          cannot = `the drill cannot approve it: set NOA_API_TOKEN to the agent's token; until a person decides it (the dashboard, or POST /api/approvals/${event.id}/approve or /reject) the waiting rollback holds ${service.name}'s healing: noa heals nothing else on it`
          return
        }
        approvals.set(event.id, 'approving')
        void approve(event.id)
      },
      // the drill is not over while its approval is on its way
      settled: () => ![...approvals.values()].includes('approving'),
      escalated: () => cannot,
      undo,
    }
  },
}
