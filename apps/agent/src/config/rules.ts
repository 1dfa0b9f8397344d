import { type AlertRuleOptions, defaultRules } from '@noa/alerts'
import type { AgentConfig } from './schema.ts'

/** The rules the alert engine runs, and where each one comes from in the config file. */
export interface ConfiguredRules {
  rules: AlertRuleOptions[]
  /** `alerting.rules.<index>` of each rule; a default rule is named by its `"defaults"` entry and its name. */
  paths: string[]
}

/**
 * `alerting.rules` with each `"defaults"` entry replaced by the default rule set, or the
 * default set alone when the config has no rules: a config adds its own rules to the defaults
 * with `["defaults", { ... }]`, or replaces them by leaving `"defaults"` out.
 *
 * @example
 * ```ts
 * const { rules } = configuredRules(config.alerting) // defaults, then the config's own
 * ```
 */
export function configuredRules(alerting: Pick<AgentConfig['alerting'], 'rules'>): ConfiguredRules {
  const rules: AlertRuleOptions[] = []
  const paths: string[] = []
  const entries = alerting.rules ?? ['defaults' as const]
  entries.forEach((entry, index) => {
    if (entry !== 'defaults') {
      rules.push(entry as AlertRuleOptions)
      paths.push(`alerting.rules.${index}`)
      return
    }
    for (const rule of defaultRules()) {
      rules.push(rule)
      paths.push(`alerting.rules.${index} ("defaults": ${rule.name})`)
    }
  })
  return { rules, paths }
}
