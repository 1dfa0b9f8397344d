import type { AgentFacts, EvaluationContext, ServiceHealth, SloFacts } from '@noa/alerts'
import { yieldToLoop } from '@noa/core'
import type { HealingEngine } from '@noa/healing'
import type { HealthMonitor } from '@noa/health'
import type { MetricsRound } from '../metrics/round.ts'

/** What the rules read: the latest snapshot and samples, and every service's health and healing. */
export interface FactSources {
  health: HealthMonitor
  healing: HealingEngine
  round: MetricsRound
  /** The latest escalation of each service, in words. */
  escalations: ReadonlyMap<string, string>
  /** The agent's own facts (its store). */
  agent: AgentFacts
  /** A service's SLO facts (budget, burn rates), the same object while they did not change. */
  slo?: (service: string) => SloFacts | undefined
  /**
   * The services' facts of the last read: a service whose facts did not change keeps its entry
   * instead of getting a new one. Each entry lives through the evaluation, long enough to reach
   * the old generation, so at 10,000 services new entries every round were megabytes of
   * garbage for full collections, which pause the agent.
   */
  last?: Readonly<Record<string, ServiceHealth>> | undefined
}

/**
 * The evaluation context of the alert rules. A service's facts join its health (state,
 * flapping, blocked dependencies, failures) and what healing could not solve (degraded, a
 * failed healing, an open circuit, in words in `escalation`). The fleet is read `slice`
 * services at a time, letting the event loop run in between: at 10,000 services one read of
 * all of them took 40-130 ms, every metrics round, and requests waited for it.
 */
export async function ruleContext(sources: FactSources, slice = 1000): Promise<EvaluationContext> {
  const { round } = sources
  // The metrics as they are when the evaluation was asked for, not as a round during it left them.
  const snapshot = round.latest
  const samples = round.samples
  let services = await readFleet(sources, slice)
  // A reload during the read: read the new fleet (a part of one would resolve the others' alerts).
  while (!services) services = await readFleet(sources, slice)
  return { ...(snapshot ? { snapshot } : {}), services, samples, agent: sources.agent }
}

/** Every service's facts, or undefined when the fleet was reloaded during the read. */
async function readFleet(
  sources: FactSources,
  slice: number,
): Promise<Record<string, ServiceHealth> | undefined> {
  const { health, healing, round, escalations, last } = sources
  const list = health.services
  const services: Record<string, ServiceHealth> = {}
  for (let i = 0; i < list.length; i++) {
    if (i > 0 && i % slice === 0) {
      await yieldToLoop()
      if (health.services !== list) return undefined
    }
    const name = list[i]!.name
    const s = health.status(name)
    const guard = healing.guardState(name)
    const escalation = escalations.get(name)
    const scrapeLimited = round.scrapeLimited(name) !== undefined
    const slo = sources.slo?.(name)
    const before = last?.[name]
    if (
      before &&
      before.state === s.state &&
      before.critical === s.critical &&
      before.dependsOn === s.dependsOn &&
      sameNames(before.blockedBy, s.blockedBy) &&
      before.failures === s.consecutiveFailures &&
      before.flapping === s.flapping &&
      before.degraded === guard.degraded &&
      before.healingFailed === guard.healingFailed &&
      before.circuitOpen === (guard.circuit === 'open') &&
      before.scrapeLimited === scrapeLimited &&
      before.escalation === escalation &&
      before.slo === slo
    ) {
      services[name] = before
      continue
    }
    services[name] = {
      state: s.state,
      critical: s.critical,
      dependsOn: s.dependsOn,
      blockedBy: s.blockedBy,
      failures: s.consecutiveFailures,
      flapping: s.flapping,
      degraded: guard.degraded,
      healingFailed: guard.healingFailed,
      circuitOpen: guard.circuit === 'open',
      scrapeLimited,
      ...(escalation ? { escalation } : {}),
      ...(slo ? { slo } : {}),
    }
  }
  return services
}

function sameNames(a: readonly string[] | undefined, b: readonly string[]): boolean {
  if (!a || a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
