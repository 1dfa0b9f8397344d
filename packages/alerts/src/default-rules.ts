import type { AlertRuleOptions } from './rule.ts'
import type { InhibitRule } from './silence.ts'

/**
 * The default rule set: the seed's five rules (section 4) plus the ones a fleet needs to be
 * trusted: a warning for a non-critical service that is down (the seed's `service-down`
 * covers critical ones), one alert for a flapping service instead of a stream, a
 * dependency-down alert, and `service-degraded` for what healing could not solve alone
 * (a spent restart budget, an open circuit, a failed healing). Cooldowns are the seed's;
 * resource rules wait a `for` so one busy sample (a build, the agent's own start) fires nothing.
 * A copy is returned, so callers may change it freely.
 *
 * @example
 * ```ts
 * const engine = createAlertEngine({ rules: defaultRules(), outbox, channels })
 * ```
 */
export function defaultRules(): AlertRuleOptions[] {
  return [
    {
      name: 'high-error-rate',
      condition: 'error_rate > 0.05',
      severity: 'critical',
      for: 60_000,
      cooldown: 300_000,
      annotations: {
        summary: 'High error rate: {{ $value }}',
        description: 'The error rate is above 5 % ({{ $value }}).',
      },
      actions: [{ type: 'notify' }, { type: 'heal', trigger: 'high-error-rate' }],
    },
    {
      name: 'service-down',
      condition: 'health_check_failed && critical && !flapping',
      severity: 'critical',
      cooldown: 60_000,
      annotations: {
        summary: 'Service {{ $service }} is down',
        description: 'The critical service {{ $service }} fails its health check.',
      },
      actions: [{ type: 'notify' }, { type: 'heal', trigger: 'service-down' }],
    },
    {
      name: 'service-unhealthy',
      condition: 'health_check_failed && !critical && !flapping',
      severity: 'warning',
      cooldown: 60_000,
      annotations: {
        summary: 'Service {{ $service }} is unhealthy',
        description: 'The service {{ $service }} fails its health check.',
      },
      actions: [{ type: 'notify' }, { type: 'heal', trigger: 'service-down' }],
    },
    {
      name: 'service-flapping',
      condition: 'flapping',
      severity: 'warning',
      cooldown: 600_000,
      annotations: {
        summary: 'Service {{ $service }} is flapping',
        description:
          'The service {{ $service }} keeps changing state; its state is held and it is not restarted while it flaps.',
      },
      actions: [{ type: 'notify' }],
    },
    {
      name: 'cpu-overload',
      condition: 'cpu_usage > 0.90',
      severity: 'critical',
      for: 120_000,
      cooldown: 180_000,
      annotations: {
        summary: 'CPU overload: {{ $value }}',
        description: 'CPU usage has been above 90 % for 2 minutes ({{ $value }}).',
      },
      actions: [{ type: 'notify' }, { type: 'heal', trigger: 'high-load' }],
    },
    {
      name: 'high-latency',
      condition: 'avg_latency > 1000',
      severity: 'warning',
      for: 120_000,
      cooldown: 600_000,
      annotations: {
        summary: 'High latency: {{ $value }} ms',
        description: 'The average latency has been above 1000 ms for 2 minutes ({{ $value }} ms).',
      },
      actions: [{ type: 'notify' }],
    },
    {
      name: 'memory-pressure',
      condition: 'memory_usage > 0.85',
      severity: 'warning',
      for: 300_000,
      cooldown: 300_000,
      annotations: {
        summary: 'Memory pressure: {{ $value }}',
        description: 'Memory usage has been above 85 % for 5 minutes ({{ $value }}).',
      },
      actions: [{ type: 'notify' }, { type: 'gc' }],
    },
    {
      name: 'dependency-down',
      condition: 'health_check_failed && dependency_down',
      severity: 'critical',
      cooldown: 60_000,
      annotations: {
        summary: 'Service {{ $service }} is down because {{ $blockedBy }} is down',
        description: 'The dependencies {{ $blockedBy }} of {{ $service }} fail their health checks.',
      },
      actions: [{ type: 'notify' }, { type: 'heal', trigger: 'dependency-failure' }],
    },
    {
      name: 'scrape-limited',
      condition: 'scrape_limited',
      severity: 'warning',
      cooldown: 3_600_000,
      annotations: {
        summary: 'Metrics of {{ $service }} are cut at the scrape limits',
        description:
          'The /metrics of {{ $service }} has more series or longer labels than metrics.scrapeLimits allows: what is over is dropped (noa_scrape_dropped_series_total).',
      },
      actions: [{ type: 'notify' }],
    },
    {
      name: 'store-unavailable',
      condition: 'store_unavailable',
      severity: 'critical',
      cooldown: 300_000,
      annotations: {
        summary: "noa's store is unavailable",
        description:
          'noa cannot write its store (full or read-only disk, database down, or it runs in memory): history is not kept; notifications are sent directly.',
      },
      actions: [{ type: 'notify' }],
    },
    {
      name: 'store-recovered',
      condition: 'store_recovered',
      severity: 'warning',
      cooldown: 3_600_000,
      annotations: {
        summary: "noa's store was corrupt and has been replaced",
        description:
          'The store failed its integrity check at start: it was moved aside (see /api/health) and a fresh one created; its history is in the moved file.',
      },
      actions: [{ type: 'notify' }],
    },
    {
      name: 'service-degraded',
      condition: 'degraded || healing_failed || circuit_open',
      severity: 'critical',
      cooldown: 300_000,
      annotations: {
        summary: 'Service {{ $service }} could not be healed',
        description: '{{ $escalation }}. A person is needed.',
      },
      actions: [{ type: 'notify' }],
    },
    ...sloRules(),
  ]
}

/**
 * The SRE workbook's multi-window, multi-burn-rate alerts (chapter 5, "Alerting on SLOs") for
 * every service with an SLO (the facts are absent for the others, so these never fire there):
 * a long window says the budget is really burning, a short one that it still is, so an alert
 * resolves minutes after the burn stops and a short spike alone pages nobody. At a 30-day
 * window, 14.4x over 1 h spends 2 % of the budget, 6x over 6 h 5 %, 1x over 3 d 10 %.
 */
function sloRules(): AlertRuleOptions[] {
  const budget = 'Error budget left: {{ $slo.budget_left }} % ({{ $slo.objectives }}).'
  return [
    {
      name: 'slo-burn-fast',
      condition: 'slo_burn_rate_1h > 14.4 && slo_burn_rate_5m > 14.4',
      severity: 'critical',
      cooldown: 300_000,
      annotations: {
        summary: '{{ $service }} burns its error budget fast (14.4x over 1 h and 5 min)',
        description: `Burn rate {{ $slo.burn_1h }}x over 1 h and {{ $slo.burn_5m }}x over 5 min: at this rate the 30-day budget is gone in about 2 days. ${budget}`,
      },
      actions: [{ type: 'notify' }],
    },
    {
      name: 'slo-burn-medium',
      condition: 'slo_burn_rate_6h > 6 && slo_burn_rate_30m > 6',
      severity: 'critical',
      cooldown: 1_800_000,
      annotations: {
        summary: '{{ $service }} burns its error budget (6x over 6 h and 30 min)',
        description: `Burn rate {{ $slo.burn_6h }}x over 6 h and {{ $slo.burn_30m }}x over 30 min: at this rate the 30-day budget is gone in 5 days. ${budget}`,
      },
      actions: [{ type: 'notify' }],
    },
    {
      name: 'slo-burn-slow',
      condition: 'slo_burn_rate_3d > 1 && slo_burn_rate_6h > 1',
      severity: 'warning',
      cooldown: 21_600_000,
      annotations: {
        summary: '{{ $service }} spends its error budget faster than it earns it (1x over 3 d and 6 h)',
        description: `Burn rate {{ $slo.burn_3d }}x over 3 days and {{ $slo.burn_6h }}x over 6 h: the budget will not last the window. ${budget}`,
      },
      actions: [{ type: 'notify' }],
    },
    {
      name: 'slo-healing-held',
      condition: 'slo_healing_held',
      severity: 'critical',
      cooldown: 3_600_000,
      annotations: {
        summary: 'Risky healing of {{ $service }} held: its error budget is spent',
        description: `A {{ $slo.held }} healing (rollback or scale-up) was not run because the error budget is spent (slo.holdRiskyHealing). Restarts still run; a person decides (POST /api/heal/{{ $service }}). ${budget}`,
      },
      actions: [{ type: 'notify' }],
    },
  ]
}

/**
 * Dependency-down alerts mute the service-down and service-unhealthy alerts of the same
 * service: one root cause, one alert.
 */
export function defaultInhibitRules(): InhibitRule[] {
  return [
    {
      source: [{ label: 'alertname', op: '=', value: 'dependency-down' }],
      target: [{ label: 'alertname', op: '=~', value: 'service-down|service-unhealthy' }],
      equal: ['service'],
    },
  ]
}
