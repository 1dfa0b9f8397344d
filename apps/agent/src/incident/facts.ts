import type { AgentFacts, EvaluationContext, ServiceHealth } from '@noa/alerts'
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
}

/**
 * The evaluation context of the alert rules. A service's facts join its health (state,
 * flapping, blocked dependencies, failures) and what healing could not solve (degraded, a
 * failed healing, an open circuit, in words in `escalation`).
 */
export function ruleContext(sources: FactSources): EvaluationContext {
  const { health, healing, round, escalations } = sources
  const services: Record<string, ServiceHealth> = {}
  for (const s of health.summary().services) {
    const guard = healing.guardState(s.service)
    const escalation = escalations.get(s.service)
    services[s.service] = {
      state: s.state,
      critical: s.critical,
      dependsOn: s.dependsOn,
      blockedBy: s.blockedBy,
      failures: s.consecutiveFailures,
      flapping: s.flapping,
      degraded: guard.degraded,
      healingFailed: guard.healingFailed,
      circuitOpen: guard.circuit === 'open',
      scrapeLimited: round.scrapeLimited(s.service) !== undefined,
      ...(escalation ? { escalation } : {}),
    }
  }
  const snapshot = round.latest
  return { ...(snapshot ? { snapshot } : {}), services, samples: round.samples, agent: sources.agent }
}
