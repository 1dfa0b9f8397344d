import type { AlertEngine } from '@noa/alerts'
import type { Clock } from '@noa/core'
import type { HealingEngine } from '@noa/healing'
import type { HealthMonitor } from '@noa/health'
import type { StatusBody } from './http/api-types.ts'
import type { MetricsRound } from './metrics/round.ts'

/** What the status body is made of; everything is read from memory, so `/api/status` stays fast. */
export interface StatusSources {
  health: HealthMonitor
  healing: HealingEngine
  alerts: AlertEngine
  round: MetricsRound
  clock: Clock
  runningHealings(): number
  pendingApprovals(): number
}

/** The `/api/status` body and `status` event. */
export function statusBody(sources: StatusSources): StatusBody {
  const { health, healing, alerts, round, clock } = sources
  const summary = health.summary()
  const latest = round.latest
  const app = latest?.application
  let firing = 0
  let pending = 0
  for (const a of alerts.alerts()) {
    if (a.state === 'firing') firing++
    else if (a.state === 'pending') pending++
  }
  return {
    timestamp: new Date(clock.now()).toISOString(),
    health: summary.overall,
    services: summary.services.map((s) => {
      const guard = healing.guardState(s.service)
      return {
        name: s.service,
        state: s.state,
        critical: s.critical,
        flapping: s.flapping,
        blockedBy: [...s.blockedBy],
        latencyMs: s.lastResult?.durationMs ?? null,
        circuit: guard.circuit,
        degraded: guard.degraded,
        ...(guard.nextRetryAt === undefined ? {} : { nextRetryAt: guard.nextRetryAt }),
      }
    }),
    metrics: {
      cpu: latest?.system.cpu?.usage?.average ?? null,
      memory: latest?.system.memory?.usagePercent ?? null,
      errorRate: app?.requests?.errorRate ?? null,
      latency: app?.latency?.average ?? null,
    },
    alerts: { firing, pending },
    healing: { running: sources.runningHealings(), pendingApprovals: sources.pendingApprovals() },
  }
}
