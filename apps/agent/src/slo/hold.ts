import type { HealingTrigger } from '@noa/core'
import { defaultTriggers, type HealingEngine } from '@noa/healing'
import type { SloTracker } from './tracker.ts'

/**
 * The strategies held while a service's error budget is spent: a rollback or a scale-up
 * changes what runs, and with no budget left a person should decide. Restarts are not here:
 * they bring back what ran before.
 */
export const RISKY_STRATEGIES: ReadonlySet<string> = new Set(['rollback', 'scale-up'])

/** The strategy a trigger runs: `selfHealing.triggers` first, then the built-in choice. */
export function strategyOf(
  healing: Pick<HealingEngine, 'options'>,
  trigger: HealingTrigger,
): string | undefined {
  if (trigger === 'process-exit') return 'process-restart'
  return healing.options.triggers[trigger] ?? defaultTriggers[trigger]
}

/**
 * The incident router's `holds`: true when the trigger's strategy is risky and the service's
 * budget is spent with `holdRiskyHealing` on.
 *
 * @example
 * ```ts
 * new IncidentRouter({ ...deps, holds: riskyHold(healing, slo) })
 * ```
 */
export function riskyHold(healing: Pick<HealingEngine, 'options'>, slo: Pick<SloTracker, 'holdsRisky'>) {
  return (service: string, trigger: HealingTrigger): boolean => {
    const strategy = strategyOf(healing, trigger)
    return strategy !== undefined && RISKY_STRATEGIES.has(strategy) && slo.holdsRisky(service)
  }
}
