import { compileRules } from '@noa/alerts'
import { errorMessage } from '@noa/core'
import { configuredRules } from '../config/rules.ts'
import type { AgentConfig, AgentService } from '../config/schema.ts'

/** How long a knob may take to answer. */
const KNOB_TIMEOUT_MS = 3000

/** Where the service's drill knobs are: the origin of the /metrics noa scrapes. */
export function knobOrigin(service: AgentService): string | undefined {
  const entry = service.metrics
  if (entry === undefined) return undefined
  try {
    return new URL(typeof entry === 'string' ? entry : entry.url).origin
  } catch {
    return undefined
  }
}

/** The names of the per-service rules whose heal action is one of `triggers`, from the agent's config. */
export function healingRules(config: AgentConfig, triggers: ReadonlySet<string>): string[] {
  if (!config.alerting.enabled) return []
  const { rules } = compileRules(configuredRules(config.alerting).rules)
  return rules
    .filter(
      (rule) =>
        rule.scope === 'service' && rule.actions.some((a) => a.type === 'heal' && triggers.has(a.trigger)),
    )
    .map((rule) => rule.name)
}

/** An error of fetch with its cause (`fetch failed: ECONNREFUSED`): a service not running says so. */
function failure(error: unknown): string {
  const code = (error as { cause?: { code?: unknown } }).cause?.code
  return typeof code === 'string' ? `${errorMessage(error)}: ${code}` : errorMessage(error)
}

/** Calls a knob; throws with the service's answer (or why none came) unless it answered 2xx. */
export async function knob(url: string, method: 'GET' | 'POST' | 'DELETE'): Promise<unknown> {
  const res = await fetch(url, { method, signal: AbortSignal.timeout(KNOB_TIMEOUT_MS) })
  const body = (await res.json().catch(() => undefined)) as { error?: unknown } | undefined
  if (!res.ok)
    throw new Error(`${method} ${url} answered ${res.status}${body?.error ? `: ${String(body.error)}` : ''}`)
  return body
}

/** Why the service at `origin` has no knob `name` listed at `GET /drill`; undefined when it has. */
export async function missingKnob(origin: string, name: string): Promise<string | undefined> {
  try {
    const listed = (await knob(`${origin}/drill`, 'GET')) as { knobs?: unknown } | undefined
    if (Array.isArray(listed?.knobs) && listed.knobs.includes(name)) return undefined
    return `no ${name} drill knob listed at ${origin}/drill`
  } catch (error) {
    return `no ${name} drill knob answered at ${origin}/drill (${failure(error)})`
  }
}
