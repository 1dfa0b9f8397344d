// Type tests: `tsc --noEmit` (the typecheck task) checks this file, so every `@ts-expect-error`
// below fails the build the day the misspelt option it marks starts to compile again.
import { describe, expectTypeOf, it } from 'vitest'
import type { AlertEngineOptions } from './engine.ts'
import type { AlertRuleOptions } from './rule.ts'

type Rules = NonNullable<AlertEngineOptions['rules']>
type Channels = NonNullable<AlertEngineOptions['channels']>

describe('the typed rules and channels options', () => {
  it('should accept rules and channels as documented', () => {
    const rules: Rules = [
      { name: 'cpu', condition: 'cpu_usage > 0.9', severity: 'critical', for: 60_000 },
      { name: 'down', condition: 'health_check_failed', severity: 'critical', actions: ['notify'] },
      { name: 'mem', condition: 'memory_usage > 0.9', severity: 'warning', actions: [{ type: 'gc' }] },
    ]
    const channels: Channels = {
      console: { type: 'console' },
      ops: { type: 'webhook', url: 'https://hooks.example.com/x', minSeverity: 'critical' },
      slack: { type: 'slack', url: 'https://hooks.slack.com/services/x', sendResolved: false },
    }
    expectTypeOf(rules).toExtend<readonly AlertRuleOptions[]>()
    expectTypeOf(channels.ops).not.toBeAny()
  })

  it('should refuse a misspelt or unknown option at compile time', () => {
    const rules: Rules = [
      // @ts-expect-error: `conditon` is a typo of `condition`
      { name: 'cpu', conditon: 'cpu_usage > 0.9', severity: 'critical' },
      // @ts-expect-error: `severity` is one of info, warning, critical
      { name: 'cpu', condition: 'cpu_usage > 0.9', severity: 'fatal' },
      // @ts-expect-error: `fro` is a typo of `for`
      { name: 'cpu', condition: 'cpu_usage > 0.9', severity: 'critical', fro: 60_000 },
      // @ts-expect-error: an action is notify, heal or gc
      { name: 'cpu', condition: 'cpu_usage > 0.9', severity: 'critical', actions: ['restart'] },
    ]
    const channels: Channels = {
      // @ts-expect-error: `urll` is a typo of `url`
      ops: { type: 'webhook', urll: 'https://hooks.example.com/x' },
      // @ts-expect-error: `sendResolve` is a typo of `sendResolved`
      console: { type: 'console', sendResolve: false },
      // @ts-expect-error: `routingKey` belongs to pagerduty, not slack
      slack: { type: 'slack', url: 'https://hooks.slack.com/services/x', routingKey: 'k' },
      // @ts-expect-error: no such channel type
      pigeon: { type: 'pigeon' },
    }
    expectTypeOf(rules).toExtend<readonly unknown[]>()
    expectTypeOf(channels).toBeObject()
  })
})
