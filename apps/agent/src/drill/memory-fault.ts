import { compileRules } from '@noa/alerts'
import { errorMessage } from '@noa/core'
import { configuredRules } from '../config/rules.ts'
import type { AgentConfig, AgentService } from '../config/schema.ts'
import type { FaultDriver } from './fault.ts'

const MiB = 1024 * 1024

/** How fast a memory drill grows the service's memory, and where the service stops it. */
export interface MemoryGrowth {
  bytesPerSecond: number
  capBytes: number
}

/**
 * 32 MiB/s up to 256 MiB: a rule's threshold within 256 MiB of the service's usual memory is
 * crossed in seconds, and a drill that is never undone costs the machine at most the cap.
 */
export const MEMORY_GROWTH: Readonly<MemoryGrowth> = Object.freeze({
  bytesPerSecond: 32 * MiB,
  capBytes: 256 * MiB,
})

/** The triggers whose healing gives a process's memory back (a graceful restart by default). */
const MEMORY_TRIGGERS: ReadonlySet<string> = new Set(['memory-leak', 'resource-exhaustion'])

/** How long a knob may take to answer. */
const KNOB_TIMEOUT_MS = 3000

/** Where the service's drill knobs are: the origin of the /metrics noa scrapes. */
function knobOrigin(service: AgentService): string | undefined {
  const entry = service.metrics
  if (entry === undefined) return undefined
  try {
    return new URL(typeof entry === 'string' ? entry : entry.url).origin
  } catch {
    return undefined
  }
}

/** The names of the per-service rules that heal a memory trigger, from the agent's config. */
export function memoryRules(config: AgentConfig): string[] {
  if (!config.alerting.enabled) return []
  const { rules } = compileRules(configuredRules(config.alerting).rules)
  return rules
    .filter(
      (rule) =>
        rule.scope === 'service' &&
        rule.actions.some((a) => a.type === 'heal' && MEMORY_TRIGGERS.has(a.trigger)),
    )
    .map((rule) => rule.name)
}

/** An error of fetch with its cause (`fetch failed: ECONNREFUSED`): a service not running says so. */
function failure(error: unknown): string {
  const code = (error as { cause?: { code?: unknown } }).cause?.code
  return typeof code === 'string' ? `${errorMessage(error)}: ${code}` : errorMessage(error)
}

async function knob(url: string, method: 'GET' | 'POST' | 'DELETE'): Promise<unknown> {
  const res = await fetch(url, { method, signal: AbortSignal.timeout(KNOB_TIMEOUT_MS) })
  const body = (await res.json().catch(() => undefined)) as { error?: unknown } | undefined
  if (!res.ok)
    throw new Error(`${method} ${url} answered ${res.status}${body?.error ? `: ${String(body.error)}` : ''}`)
  return body
}

/**
 * memory: the service grows its own memory through its drill knob (`POST /drill/memory` at the
 * origin of its /metrics, as the demo service has), as a leak would; noa sees it only through a
 * per-service rule on the memory its /metrics reports, whose heal action restarts it
 * gracefully. Undone by `DELETE /drill/memory` (nothing is held any more once noa restarted it).
 */
export function memoryFault(growth: MemoryGrowth = MEMORY_GROWTH): FaultDriver {
  return {
    targets: (service) => [service.name],
    async unfit(service, ctx) {
      if (!service.executor) return 'noa cannot restart it (no executor)'
      const origin = knobOrigin(service)
      if (!origin || !ctx.config.metrics.enabled)
        return 'noa does not scrape its /metrics ("metrics" URL and metrics.enabled): it cannot see its memory'
      if (memoryRules(ctx.config).length === 0)
        return 'no per-service alert rule heals "memory-leak" (see the drill section of the agent README)'
      try {
        const listed = (await knob(`${origin}/drill`, 'GET')) as { knobs?: unknown } | undefined
        if (Array.isArray(listed?.knobs) && listed.knobs.includes('memory')) return undefined
        return `no memory drill knob listed at ${origin}/drill`
      } catch (error) {
        return `no memory drill knob answered at ${origin}/drill (${failure(error)})`
      }
    },
    async inject(service, ctx) {
      const origin = knobOrigin(service)
      if (!origin) throw new Error(`${service.name}: no /metrics URL`)
      const url = `${origin}/drill/memory`
      const undo = ctx.restorer.add(`memory growth of ${service.name}`, async () => {
        await knob(url, 'DELETE')
      })
      const faultAt = Date.now()
      try {
        await knob(`${url}?rate=${growth.bytesPerSecond}&cap=${growth.capBytes}`, 'POST')
      } catch (error) {
        await undo().catch(() => undefined)
        throw error
      }
      return { faultAt, faulted: [service.name], injections: () => 1, undo }
    },
  }
}

/** memory with the default growth. */
export const memory: FaultDriver = memoryFault()
