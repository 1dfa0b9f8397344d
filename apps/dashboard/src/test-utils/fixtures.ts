import type {
  AlertRecord,
  Approval,
  DrillResult,
  DrillRun,
  FleetGroupCount,
  FleetService,
  FleetServicesBody,
  HealingRecord,
  HealthSummary,
  ServiceStatus,
  StatusBody,
  SummaryBody,
} from '../data/types.ts'

export const T0 = Date.UTC(2026, 10, 28, 12, 0, 0)

export function serviceStatus(over: Partial<ServiceStatus> & { service: string }): ServiceStatus {
  return {
    state: 'healthy',
    critical: false,
    since: T0 - 60_000,
    flapping: false,
    recentChanges: 0,
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

/** One service as `GET /api/services` lists it: healthy, checked 5 s before T0 in 12 ms. */
export function fleetService(over: Partial<FleetService> & { name: string }): FleetService {
  return {
    state: 'healthy',
    critical: false,
    flapping: false,
    tags: [],
    since: T0 - 60_000,
    blockedBy: [],
    latencyMs: 12,
    lastCheckAt: T0 - 5000,
    circuit: 'closed',
    degraded: false,
    ...over,
  }
}

/** `GET /api/services` answered from `services`, honouring state, q, group, tag, limit and cursor as the agent does. */
export function servicesPage(services: readonly FleetService[], path: string): FleetServicesBody {
  const url = new URL(path, 'http://x')
  const states = url.searchParams.get('state')?.split(',')
  const q = url.searchParams.get('q')?.toLowerCase()
  const group = url.searchParams.get('group')
  const tag = url.searchParams.get('tag')
  const limit = Number(url.searchParams.get('limit') ?? 100)
  const after = url.searchParams.get('cursor')
  const all = [...services]
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .filter(
      (s) =>
        (!states || states.includes(s.state)) &&
        (!q || s.name.toLowerCase().includes(q)) &&
        (!group || s.group === group) &&
        (!tag || s.tags.includes(tag)),
    )
  const rest = after ? all.filter((s) => s.name > after) : all
  const page = rest.slice(0, limit)
  return { services: page, total: all.length, next: rest.length > limit ? page.at(-1)!.name : null }
}

/** `GET /api/summary` of `services`, as the agent counts: a service in maintenance is not down. */
export function summary(services: readonly FleetService[], over: Partial<SummaryBody> = {}): SummaryBody {
  const counts = { healthy: 0, unhealthy: 0, error: 0, unknown: 0 }
  for (const s of services) counts[s.state]++
  const isDown = (s: FleetService) => (s.state === 'unhealthy' || s.state === 'error') && !s.maintenance
  const down = services.filter(isDown)
  const byName = (key: (s: FleetService) => readonly string[]) => {
    const m = new Map<string, FleetGroupCount>()
    for (const s of services)
      for (const name of key(s)) {
        const c = m.get(name) ?? { name, total: 0, down: 0, unknown: 0, maintenance: 0 }
        c.total++
        if (isDown(s)) c.down++
        else if (s.state === 'unknown') c.unknown++
        if (s.maintenance) c.maintenance++
        m.set(name, c)
      }
    return [...m.values()].sort((a, b) => (a.name < b.name ? -1 : 1))
  }
  return {
    timestamp: new Date(T0).toISOString(),
    health: down.some((s) => s.critical) ? 'unhealthy' : down.length > 0 ? 'degraded' : 'healthy',
    total: services.length,
    counts,
    down: down.length,
    criticalDown: down.filter((s) => s.critical).length,
    maintenance: services.filter((s) => s.maintenance).length,
    flapping: services.filter((s) => s.flapping).length,
    degraded: services.filter((s) => s.degraded).length,
    groups: byName((s) => (s.group ? [s.group] : [])),
    ungrouped: services.filter((s) => !s.group).length,
    tags: byName((s) => s.tags),
    omitted: { groups: 0, tags: 0 },
    metrics: { cpu: 42.5, memory: 61.25, errorRate: 0.0125, latency: 120 },
    alerts: { firing: 1, pending: 0 },
    healing: { running: 0, pendingApprovals: 1 },
    ...over,
  }
}

export function drillResult(over: Partial<DrillResult> = {}): DrillResult {
  return {
    fault: 'crash',
    service: 'api',
    outcome: 'healed',
    detectMs: 180,
    alertMs: 420,
    repairMs: 900,
    actions: ['restart'],
    doubleActions: 0,
    falseAlerts: 0,
    round: 1,
    ...over,
  }
}

/** A run of three results: a crash healed, a hang escalated, a dependency down that failed. */
export function drillRun(over: Partial<DrillRun> = {}): DrillRun {
  return {
    id: 'drill_1',
    startedAt: T0 - 120_000,
    finishedAt: T0 - 60_000,
    results: [
      drillResult(),
      drillResult({
        fault: 'hang',
        outcome: 'escalated',
        detectMs: 31_000,
        alertMs: 31_500,
        repairMs: null,
        actions: [],
        detail: 'circuit open: a person must act',
      }),
      drillResult({
        fault: 'dependency-down',
        service: 'worker',
        outcome: 'failed',
        detectMs: 400,
        alertMs: null,
        repairMs: null,
        actions: ['restart', 'restart'],
        doubleActions: 1,
        falseAlerts: 2,
        round: 2,
      }),
    ],
    ...over,
  }
}
