import type { HealingTrigger, Severity } from '@noa/core'
import { ConfigError, recordKnownKeys, SEVERITIES, toConfigIssues } from '@noa/core'
import { z } from 'zod'
import type { Condition } from './expression/condition.ts'
import { compileCondition } from './expression/condition.ts'
import { ExpressionError } from './expression/parse.ts'
import type { Template } from './template.ts'
import { compileTemplate, TemplateFieldError } from './template.ts'

/** What a firing alert does besides existing: notify channels, ask for a healing, ask for a GC. */
export type RuleAction = { type: 'notify' } | { type: 'heal'; trigger: HealingTrigger } | { type: 'gc' }

const actionSchema = z.union([
  z.enum(['notify', 'gc']).transform((type) => ({ type }) as RuleAction),
  z.strictObject({ type: z.literal('notify') }),
  z.strictObject({ type: z.literal('gc') }),
  z.strictObject({ type: z.literal('heal'), trigger: z.string().min(1) }),
])

const labelName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a label name is letters, digits and _')

/** Option schema of one alert rule (times in milliseconds, as in the seed's config). */
export const alertRuleSchema = z.strictObject({
  /** Unique name, also the `alertname` label. */
  name: z.string().regex(/^[A-Za-z0-9][\w.-]*$/, 'a rule name is letters, digits, ".", "_" or "-"'),
  /** Condition in the expression language, e.g. `error_rate > 0.05`. */
  condition: z.string().min(1),
  severity: z.enum(SEVERITIES),
  /** How long the condition must hold before the alert fires (pending until then). @default 0 */
  for: z.number().int().min(0).default(0),
  /** No repeat firing notification for the same rule and labels inside this window. @default 0 */
  cooldown: z.number().int().min(0).default(0),
  /** `service` evaluates once per service; by default it follows the names the condition reads. */
  scope: z.enum(['global', 'service']).optional(),
  labels: z.record(labelName, z.string()).default({}),
  /** `summary`, `description` and any other annotation; `{{ $value }}`, `{{ $labels.x }}` templates. */
  annotations: z.record(z.string(), z.string()).default({}),
  /** @default ['notify'] */
  actions: z.array(actionSchema).default([{ type: 'notify' }]),
})

/** One alert rule as written in configuration. */
export type AlertRuleOptions = z.input<typeof alertRuleSchema>

/** A rule validated, its condition parsed and its templates checked. */
export interface CompiledRule {
  readonly name: string
  readonly severity: Severity
  readonly for: number
  readonly cooldown: number
  readonly scope: 'global' | 'service'
  readonly labels: Readonly<Record<string, string>>
  readonly annotations: Readonly<Record<string, Template>>
  readonly actions: readonly RuleAction[]
  readonly condition: Condition
}

const COMMON_FIELDS = ['$value', '$labels.*', '$rule', '$severity']
const SERVICE_FIELDS = ['$service', '$blockedBy', '$escalation', '$slo.*']

/**
 * Validates and compiles rules, collecting every problem of every rule into one
 * {@link ConfigError} (paths like `rules.2.condition`; `pathOf` names a rule's place when the
 * list was put together from several). Returns warnings for names that are not known snapshot
 * fields (they evaluate as absent).
 *
 * @example
 * ```ts
 * const { rules, warnings } = compileRules([{ name: 'cpu', condition: 'cpu_usage > 0.9', severity: 'critical' }])
 * ```
 */
export function compileRules(
  input: readonly unknown[],
  pathOf: string | ((index: number) => string) = 'rules',
): { rules: CompiledRule[]; warnings: string[] } {
  const issues: Array<{ path: string; message: string }> = []
  const rules: CompiledRule[] = []
  const warnings: string[] = []
  const seen = new Set<string>()
  input.forEach((raw, index) => {
    const path = typeof pathOf === 'string' ? `${pathOf}.${index}` : pathOf(index)
    const parsed = alertRuleSchema.safeParse(raw, { reportInput: true, error: recordKnownKeys })
    if (!parsed.success) {
      issues.push(...toConfigIssues(parsed.error.issues, path))
      return
    }
    const o = parsed.data
    if (seen.has(o.name)) issues.push({ path: `${path}.name`, message: `duplicate rule name "${o.name}"` })
    seen.add(o.name)
    let condition: Condition
    try {
      condition = compileCondition(o.condition, o.name)
    } catch (error) {
      if (!(error instanceof ExpressionError)) throw error
      issues.push({ path: `${path}.condition`, message: error.message })
      return
    }
    const scope = o.scope ?? condition.scope
    if (scope === 'global' && condition.scope === 'service')
      issues.push({
        path: `${path}.scope`,
        message: `the condition reads per-service health facts, so scope "global" is not allowed; found "global"`,
      })
    const allowed = scope === 'service' ? [...COMMON_FIELDS, ...SERVICE_FIELDS] : COMMON_FIELDS
    const annotations: Record<string, Template> = {}
    for (const [key, text] of Object.entries(o.annotations)) {
      try {
        annotations[key] = compileTemplate(text, allowed)
      } catch (error) {
        if (!(error instanceof TemplateFieldError)) throw error
        issues.push({ path: `${path}.annotations.${key}`, message: error.message })
      }
    }
    warnings.push(...condition.warnings)
    rules.push({
      name: o.name,
      severity: o.severity,
      for: o.for,
      cooldown: o.cooldown,
      scope,
      labels: o.labels,
      annotations,
      actions: o.actions as RuleAction[],
      condition,
    })
  })
  if (issues.length > 0) throw new ConfigError(issues)
  return { rules, warnings }
}
