import type { AlertRuleOptions } from './rule.ts'
import type { InhibitRule } from './silence.ts'

/**
 * The default rule set: the seed's five rules (section 4) plus a dependency-down and a
 * service-degraded rule, which make section 18's count of 5 critical and 2 warning.
 * Cooldowns are the seed's. A copy is returned, so callers may change it freely.
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
      cooldown: 300_000,
      annotations: {
        summary: 'High error rate: {{ $value }}',
        description: 'The error rate is above 5 % ({{ $value }}).',
      },
      actions: [{ type: 'notify' }, { type: 'heal', trigger: 'high-error-rate' }],
    },
    {
      name: 'service-down',
      condition: 'health_check_failed && critical',
      severity: 'critical',
      cooldown: 60_000,
      annotations: {
        summary: 'Service {{ $service }} is down',
        description: 'The critical service {{ $service }} fails its health check.',
      },
      actions: [{ type: 'notify' }, { type: 'heal', trigger: 'service-down' }],
    },
    {
      name: 'cpu-overload',
      condition: 'cpu_usage > 0.90',
      severity: 'critical',
      cooldown: 180_000,
      annotations: {
        summary: 'CPU overload: {{ $value }}',
        description: 'CPU usage is above 90 % ({{ $value }}).',
      },
      actions: [{ type: 'notify' }, { type: 'heal', trigger: 'high-load' }],
    },
    {
      name: 'high-latency',
      condition: 'avg_latency > 1000',
      severity: 'warning',
      cooldown: 600_000,
      annotations: {
        summary: 'High latency: {{ $value }} ms',
        description: 'The average latency is above 1000 ms ({{ $value }} ms).',
      },
      actions: [{ type: 'notify' }],
    },
    {
      name: 'memory-pressure',
      condition: 'memory_usage > 0.85',
      severity: 'warning',
      cooldown: 300_000,
      annotations: {
        summary: 'Memory pressure: {{ $value }}',
        description: 'Memory usage is above 85 % ({{ $value }}).',
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
      name: 'service-degraded',
      condition: 'degraded || healing_failed',
      severity: 'critical',
      cooldown: 300_000,
      annotations: {
        summary: 'Service {{ $service }} could not be healed',
        description:
          'Healing of {{ $service }} failed or hit its limits; it runs degraded. A human is needed.',
      },
      actions: [{ type: 'notify' }],
    },
  ]
}

/** Dependency-down alerts mute the service-down alert of the same service: one root cause, one alert. */
export function defaultInhibitRules(): InhibitRule[] {
  return [
    {
      source: [{ label: 'alertname', op: '=', value: 'dependency-down' }],
      target: [{ label: 'alertname', op: '=', value: 'service-down' }],
      equal: ['service'],
    },
  ]
}
