import type { AgentConfig } from '../config/schema.ts'
import type { FaultDriver } from './fault.ts'
import { healingRules, knob, knobOrigin, missingKnob } from './knobs.ts'

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

/** The names of the per-service rules that heal a memory trigger, from the agent's config. */
export const memoryRules = (config: AgentConfig): string[] => healingRules(config, MEMORY_TRIGGERS)

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
      return missingKnob(origin, 'memory')
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
