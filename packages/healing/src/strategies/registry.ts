import type { HealingTrigger } from '@noa/core'
import type { ResolvedSelfHealing } from '../options.ts'
import type { Strategy } from '../strategy.ts'
import { dependencyCheck } from './dependency-check/dependency-check.ts'
import { gracefulDegradation } from './graceful-degradation/graceful-degradation.ts'
import { gracefulRestart } from './graceful-restart/graceful-restart.ts'
import { processRestart } from './process-restart/process-restart.ts'
import { rollback } from './rollback/rollback.ts'
import { safeRestart } from './safe-restart/safe-restart.ts'
import { scaleUp } from './scale-up/scale-up.ts'
import { serviceRestart } from './service-restart/service-restart.ts'

/** A built-in strategy name. */
export type StrategyName =
  | 'service-restart'
  | 'safe-restart'
  | 'dependency-check'
  | 'graceful-restart'
  | 'scale-up'
  | 'rollback'
  | 'graceful-degradation'
  | 'process-restart'

/** The built-in strategies by name; a new name without a strategy fails to compile. */
export const strategies = {
  'service-restart': serviceRestart,
  'safe-restart': safeRestart,
  'dependency-check': dependencyCheck,
  'graceful-restart': gracefulRestart,
  'scale-up': scaleUp,
  rollback,
  'graceful-degradation': gracefulDegradation,
  'process-restart': processRestart,
} satisfies Record<StrategyName, Strategy>

/** Which strategy answers which trigger, before `selfHealing.triggers` overrides. */
export const defaultTriggers: Record<string, StrategyName> = {
  'service-down': 'service-restart',
  manual: 'service-restart',
  'high-error-rate': 'safe-restart',
  'performance-degradation': 'safe-restart',
  'dependency-failure': 'dependency-check',
  'memory-leak': 'graceful-restart',
  'resource-exhaustion': 'graceful-restart',
  'high-load': 'scale-up',
  'deployment-failure': 'rollback',
  'max-restarts': 'graceful-degradation',
  'process-exit': 'process-restart',
} satisfies Record<string, StrategyName> & Partial<Record<HealingTrigger, StrategyName>>

/** The seed's config key of each strategy with an `enabled` flag under `selfHealing.strategies`. */
const strategyConfigKey = {
  'service-restart': 'serviceRestart',
  'safe-restart': 'safeRestart',
  'dependency-check': 'dependencyCheck',
  'graceful-restart': 'gracefulRestart',
  'scale-up': 'scaleUp',
  rollback: 'rollback',
  'graceful-degradation': 'gracefulDegradation',
} as const satisfies Record<Exclude<StrategyName, 'process-restart'>, keyof ResolvedSelfHealing['strategies']>

/** Why the configuration turned the strategy `name` off, or undefined when it is on. */
export function disabledReason(name: string, options: ResolvedSelfHealing): string | undefined {
  // The supervisor's own restarts have their switch at the top: `autoRestart`.
  if (name === 'process-restart')
    return options.autoRestart ? undefined : 'restarts of exited processes are off (selfHealing.autoRestart)'
  const key = strategyConfigKey[name as keyof typeof strategyConfigKey]
  if (key && !options.strategies[key].enabled)
    return `strategy ${name} is disabled (selfHealing.strategies.${key}.enabled)`
  return undefined
}
