import type { Silence } from '@noa/core'
import { ConfigError, recordKnownKeys, toConfigIssues } from '@noa/core'
import { z } from 'zod'
import type { LabelMatcher } from './expression/parse.ts'

/** A silence is core's `Silence`, the shape the `SilenceStore` port keeps. */
export type { LabelMatcher, Silence }

const matcherSchema = z
  .strictObject({
    label: z.string().min(1),
    op: z.enum(['=', '!=', '=~', '!~']).default('='),
    value: z.string(),
  })
  .superRefine((m, ctx) => {
    if (m.op !== '=~' && m.op !== '!~') return
    try {
      new RegExp(m.value)
    } catch {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `invalid regular expression "${m.value}"` })
    }
  })

/** Option schema of a silence: matchers, a time window in epoch ms, and why. */
export const silenceSchema = z.strictObject({
  matchers: z.array(matcherSchema).min(1, 'a silence needs at least one matcher'),
  startsAt: z.number().int().min(0),
  endsAt: z.number().int().min(0),
  comment: z.string().min(1, 'say why the alerts are silenced'),
  createdBy: z.string().optional(),
})

/** A silence as given by a user (`op` defaults to `=`). */
export type SilenceOptions = z.input<typeof silenceSchema>

/**
 * While an alert matching `source` fires, alerts matching `target` that share the values
 * of the `equal` labels are muted (Alertmanager's inhibition).
 */
export interface InhibitRule {
  source: LabelMatcher[]
  target: LabelMatcher[]
  equal: string[]
}

/** Checks and normalises silence options; throws a ConfigError naming every problem. */
export function parseSilence(input: unknown): Omit<Silence, 'id'> {
  const parsed = silenceSchema.safeParse(input, { reportInput: true, error: recordKnownKeys })
  const issues = parsed.success ? [] : toConfigIssues(parsed.error.issues, 'silence')
  const { startsAt, endsAt } = (input ?? {}) as { startsAt?: unknown; endsAt?: unknown }
  if (typeof startsAt === 'number' && typeof endsAt === 'number' && endsAt <= startsAt)
    issues.push({ path: 'silence.endsAt', message: `must be after startsAt (${startsAt}); found ${endsAt}` })
  if (!parsed.success || issues.length > 0) throw new ConfigError(issues)
  return parsed.data
}

const regexCache = new Map<string, RegExp>()

/** True when every matcher matches the labels (a missing label is the empty string, as in Prometheus). */
export function matchesAll(
  labels: Readonly<Record<string, string>>,
  matchers: readonly LabelMatcher[],
): boolean {
  return matchers.every((m) => {
    const v = labels[m.label] ?? ''
    if (m.op === '=') return v === m.value
    if (m.op === '!=') return v !== m.value
    let re = regexCache.get(m.value)
    if (!re) {
      re = new RegExp(`^(?:${m.value})$`)
      regexCache.set(m.value, re)
    }
    return re.test(v) === (m.op === '=~')
  })
}

/** True when the silence is active at `now` and matches the labels. */
export function silenced(silence: Silence, labels: Readonly<Record<string, string>>, now: number): boolean {
  return silence.startsAt <= now && now < silence.endsAt && matchesAll(labels, silence.matchers)
}
