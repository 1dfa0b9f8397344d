import type { AlertRecord, Approval, CheckResult, HealingRecord, MetricSnapshot, Silence } from '@noa/core'
import type { DrillRecord, Incident } from '../store.ts'

// Records the contract suite writes: each a valid value of its @noa/core type.

export const T0 = Date.parse('2025-10-22T22:00:00.000Z')
export const MIN = 60_000
export const HOUR = 3_600_000
export const DAY = 86_400_000

export function snapshot(at: number, cpu: number): MetricSnapshot {
  return {
    timestamp: new Date(at).toISOString(),
    system: { cpu: { usage: { average: cpu } }, memory: { usagePercent: 67.8 } },
    application: { requests: { total: 1000, errors: 5, errorRate: 0.005 } },
    business: { activeUsers: 3 },
    custom: {},
  }
}

export function result(service: string, at: number, state: CheckResult['state'] = 'healthy'): CheckResult {
  return {
    service,
    state,
    at,
    durationMs: 12,
    attempts: 1,
    details: { statusCode: state === 'healthy' ? 200 : 503 },
  }
}

export function alert(
  fingerprint: string,
  state: AlertRecord['state'],
  updatedAt: number,
  value?: number,
): AlertRecord {
  const a: AlertRecord = {
    fingerprint,
    rule: 'HighCpu',
    severity: 'warning',
    state,
    labels: { service: 'api', "quote'": "x'; DROP TABLE alerts; --" },
    annotations: { summary: 'cpu high' },
    updatedAt,
  }
  if (value !== undefined) a.value = value
  return a
}

export function healingRecord(
  id: string,
  service: string,
  startedAt: number,
  outcome: HealingRecord['outcome'] = 'running',
): HealingRecord {
  return {
    id,
    service,
    trigger: 'service-down',
    strategy: 'restart',
    startedAt,
    outcome,
    steps: [],
    dryRun: false,
  }
}

export function approval(id: string, requestedAt: number, service = 'api'): Approval {
  return {
    id,
    service,
    action: 'rollback',
    reason: 'deployment failed',
    requestedAt,
    expiresAt: requestedAt + HOUR,
    status: 'pending',
  }
}

export function silence(id: string, startsAt: number, endsAt: number): Silence {
  return {
    id,
    matchers: [
      { label: 'service', op: '=', value: 'api' },
      { label: 'alertname', op: '=~', value: "High.*|x'; DROP TABLE silences; --" },
    ],
    startsAt,
    endsAt,
    comment: 'deploy window',
    createdBy: 'alice',
  }
}

export function drillRun(id: string, startedAt: number, results = 2): DrillRecord {
  return {
    id,
    startedAt,
    finishedAt: startedAt + 30_000,
    results: Array.from({ length: results }, (_, i) => ({
      fault: i % 2 === 0 ? 'crash' : 'hang',
      service: i % 2 === 0 ? 'api' : "x'; DROP TABLE drills; --",
      outcome: i % 2 === 0 ? 'healed' : 'escalated',
      detectMs: i % 2 === 0 ? 180 : 31_500,
      alertMs: i % 2 === 0 ? 420 : null,
      repairMs: i % 2 === 0 ? 900 : null,
      actions: i % 2 === 0 ? ['restart'] : [],
      doubleActions: 0,
      falseAlerts: i % 2,
      round: 1 + Math.floor(i / 2),
      ...(i % 2 === 1 ? { detail: 'circuit open: escalated to a person' } : {}),
    })),
  }
}

/** An incident of `service` opened at `openedAt`, with `events` timeline entries; resolved an hour later when asked. */
export function incident(
  id: string,
  service: string,
  openedAt: number,
  options: { state?: Incident['state']; events?: number } = {},
): Incident {
  const state = options.state ?? 'open'
  return {
    id,
    service,
    title: `${service}: error`,
    severity: 'critical',
    state,
    openedAt,
    ...(state === 'resolved' ? { resolvedAt: openedAt + HOUR } : {}),
    ...(state === 'acknowledged' ? { acknowledgedAt: openedAt + MIN, acknowledgedBy: 'ops' } : {}),
    events: Array.from({ length: options.events ?? 2 }, (_, i) => ({
      at: openedAt + i * 1000,
      kind: i === 0 ? ('state' as const) : ('alert' as const),
      text:
        i === 0
          ? 'healthy -> error: connect ECONNREFUSED'
          : "service-down firing; x'; DROP TABLE incidents; --",
      ...(i === 0 ? {} : { ref: `fp${i}` }),
    })),
  }
}
