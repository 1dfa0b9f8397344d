import type {
  AlertRecord,
  Approval,
  HealingRecord,
  HealthSummary,
  ServiceStatus,
  StatusBody,
} from '../data/types.ts'

export const T0 = Date.UTC(2026, 10, 28, 12, 0, 0)

export function serviceStatus(over: Partial<ServiceStatus> & { service: string }): ServiceStatus {
  return {
    state: 'healthy',
    critical: false,
    since: T0 - 60_000,
    flapping: false,
    consecutiveFailures: 0,
    consecutiveSuccesses: 3,
    dependsOn: [],
    blockedBy: [],
    lastResult: { service: over.service, state: 'healthy', at: T0 - 5000, durationMs: 12, attempts: 1 },
    ...over,
  }
}

export function health(services: ServiceStatus[]): HealthSummary {
  const counts = { healthy: 0, unhealthy: 0, error: 0, unknown: 0 }
  for (const s of services) counts[s.state]++
  const down = services.filter((s) => s.state === 'unhealthy' || s.state === 'error')
  return {
    timestamp: new Date(T0).toISOString(),
    overall: down.some((s) => s.critical) ? 'unhealthy' : down.length > 0 ? 'degraded' : 'healthy',
    counts,
    services,
  }
}

export function status(services: ServiceStatus[], over: Partial<StatusBody> = {}): StatusBody {
  return {
    timestamp: new Date(T0).toISOString(),
    health: health(services).overall,
    services: services.map((s) => ({
      name: s.service,
      state: s.state,
      critical: s.critical,
      flapping: s.flapping,
      blockedBy: s.blockedBy,
      latencyMs: s.lastResult?.durationMs ?? null,
      circuit: 'closed' as const,
      degraded: false,
    })),
    metrics: { cpu: 42.5, memory: 61.25, errorRate: 0.0125, latency: 120 },
    alerts: { firing: 1, pending: 0 },
    healing: { running: 0, pendingApprovals: 1 },
    ...over,
  }
}

export function alert(over: Partial<AlertRecord> = {}): AlertRecord {
  return {
    fingerprint: 'fp1',
    rule: 'ServiceDown',
    severity: 'critical',
    state: 'firing',
    labels: { service: 'api' },
    annotations: { summary: 'api is down' },
    activeAt: T0 - 30_000,
    firedAt: T0 - 20_000,
    updatedAt: T0 - 20_000,
    ...over,
  }
}

export function healing(over: Partial<HealingRecord> = {}): HealingRecord {
  return {
    id: 'h1',
    service: 'api',
    trigger: 'service-down',
    strategy: 'restart',
    startedAt: T0 - 15_000,
    endedAt: T0 - 12_000,
    outcome: 'succeeded',
    steps: [
      { name: 'stop', startedAt: T0 - 15_000, endedAt: T0 - 14_000, ok: true },
      { name: 'start', startedAt: T0 - 14_000, endedAt: T0 - 12_500, ok: true, output: 'pid 42' },
      { name: 'verify', startedAt: T0 - 12_500, endedAt: T0 - 12_000, ok: true },
    ],
    healthBefore: 'error',
    healthAfter: 'healthy',
    dryRun: false,
    ...over,
  }
}

export function approval(over: Partial<Approval> = {}): Approval {
  return {
    id: 'ap1',
    service: 'api',
    action: 'rollback',
    reason: 'deployment failed twice',
    requestedAt: T0 - 10_000,
    expiresAt: T0 + 3_600_000,
    status: 'pending',
    ...over,
  }
}
