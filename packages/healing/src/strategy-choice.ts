import type { HealingOutcome, HealingSkip, HealingTrigger } from '@noa/core'
import { parseOptions } from '@noa/core'
import { z } from 'zod'
import type { ResolvedSelfHealing } from './options.ts'
import { strategies as builtins, defaultTriggers, disabledReason } from './strategies/registry.ts'
import type { ServiceRuntime, Strategy } from './strategy.ts'

/** Why nothing ran, for the records that never reached a strategy. */
export interface Refusal {
  outcome: HealingOutcome
  reason: string
  skip?: HealingSkip
}

/** The strategy that acts on a service for a trigger, or why none does. */
export type Choice =
  | { ok: true; strategy: Strategy; runtime: ServiceRuntime }
  | { ok: false; refusal: Refusal }

/** Which strategy answers which trigger: the built-ins, the host's own, and `selfHealing.triggers`. */
export interface StrategyChoice {
  /** The strategy name for `trigger`, undefined when none answers it. */
  nameFor(trigger: HealingTrigger): string | undefined
  /** The strategy called `name`, built-in or the host's. */
  byName(name: string): Strategy | undefined
  /** The trigger whose strategy is `action` (an approval's action), to run it again. */
  triggerFor(action: string): HealingTrigger | undefined
  /**
   * The strategy and service for one healing, or the refusal: self-healing off, the strategy
   * off, an unknown service, no strategy for the trigger, an unknown strategy name.
   */
  choose(trigger: HealingTrigger, runtime: ServiceRuntime | undefined, service: string): Choice
}

/**
 * Builds the choice of strategies; throws ConfigError when `selfHealing.triggers` names a
 * strategy that does not exist.
 */
export function createStrategyChoice(
  options: ResolvedSelfHealing,
  extra: Record<string, Strategy> = {},
): StrategyChoice {
  const all: Record<string, Strategy> = { ...builtins, ...extra }
  const triggers: Record<string, string> = { ...defaultTriggers, ...options.triggers }
  const unknown = Object.entries(options.triggers).filter(([, s]) => !(s in all))
  if (unknown.length > 0)
    parseOptions(
      z.object(
        Object.fromEntries(unknown.map(([t]) => [t, z.enum(Object.keys(all) as [string, ...string[]])])),
      ),
      options.triggers,
      'selfHealing.triggers',
    )
  // A supervisor's exit is always answered by the process restart: the supervisor waits for
  // that strategy's start (and reports a failed one as a crash). A host may replace the
  // strategy itself (`strategies: { 'process-restart': ... }`).
  const nameFor = (trigger: HealingTrigger): string | undefined =>
    trigger === 'process-exit' ? 'process-restart' : triggers[trigger]
  const refuse = (outcome: HealingOutcome, reason: string, skip?: HealingSkip): Choice => ({
    ok: false,
    refusal: { outcome, reason, ...(skip ? { skip } : {}) },
  })
  return {
    nameFor,
    byName: (name) => all[name],
    triggerFor: (action) => Object.entries(triggers).find(([, strategy]) => strategy === action)?.[0],
    choose(trigger, runtime, service) {
      if (!options.enabled) return refuse('skipped', 'self-healing is disabled', 'disabled')
      const name = nameFor(trigger)
      const off = name === undefined ? undefined : disabledReason(name, options)
      if (off !== undefined) return refuse('skipped', off, 'disabled')
      if (!runtime) return refuse('failed', `unknown service ${service}`)
      if (name === undefined)
        return refuse('failed', `no strategy answers the trigger ${JSON.stringify(trigger)}`)
      const strategy = all[name]
      if (!strategy) return refuse('failed', `unknown strategy ${name}`)
      return { ok: true, strategy, runtime }
    },
  }
}
