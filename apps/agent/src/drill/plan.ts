import type { AgentConfig, AgentService } from '../config/schema.ts'
import type { FaultContext, FaultDriver } from './fault.ts'
import { DRILL_FAULTS, type DrillFault } from './types.ts'

/** One drill to run: a fault, the service it is about, and the round. */
export interface DrillItem {
  fault: DrillFault
  service: string
  round: number
}

export interface PlanOptions {
  /** The faults asked for; every supported one when empty. */
  faults: readonly DrillFault[]
  /** Only this service. */
  service?: string
  rounds: number
  /** Drill services that are not marked `drill: true`. */
  yes: boolean
}

/** The drills to run and what was left out (with why); or problems that refuse the whole run. */
export type Plan = { ok: true; items: DrillItem[]; notes: string[] } | { ok: false; problems: string[] }

/** The services a drill about `service` touches for `fault`: itself, and what it injects into. */
function touched(driver: FaultDriver, service: AgentService, config: AgentConfig): string[] {
  return [...new Set([service.name, ...driver.targets(service, config)])]
}

/** Which service of `config` is not marked `drill: true`, among `names`. */
function unmarked(config: AgentConfig, names: readonly string[]): string[] {
  return names.filter((name) => config.services.find((s) => s.name === name)?.drill !== true)
}

/**
 * Plans a drill run. Safety first: a drill touches only services marked `drill: true` in the
 * config unless `yes`; a named service that is not marked refuses the run. Faults without a
 * driver are left out as "not supported yet"; a fault no allowed service can take is left out
 * with each service's reason. Across rounds, the drills of a fault go round the services that
 * can take it, so one service is not hit again and again.
 */
export async function planDrills(
  options: PlanOptions,
  drivers: Partial<Record<DrillFault, FaultDriver>>,
  ctx: FaultContext,
): Promise<Plan> {
  const { config } = ctx
  const asked = options.faults.length > 0 ? options.faults : DRILL_FAULTS.filter((f) => drivers[f])
  const notes: string[] = []
  let candidates: AgentService[]
  if (options.service !== undefined) {
    const named = config.services.find((s) => s.name === options.service)
    if (!named)
      return {
        ok: false,
        problems: [
          `unknown service ${JSON.stringify(options.service)}; known: ${config.services.map((s) => s.name).join(', ')}`,
        ],
      }
    candidates = [named]
  } else {
    candidates = options.yes ? config.services : config.services.filter((s) => s.drill === true)
    if (candidates.length === 0)
      return {
        ok: false,
        problems: [
          'no service is marked "drill": true in the config (mark the ones drills may break, or pass --yes)',
        ],
      }
  }

  const problems: string[] = []
  const fitting = new Map<DrillFault, AgentService[]>()
  for (const fault of asked) {
    const driver = drivers[fault]
    if (!driver) {
      notes.push(`${fault}: not supported yet`)
      continue
    }
    const fit: AgentService[] = []
    const why: string[] = []
    for (const service of candidates) {
      const refused = options.yes ? [] : unmarked(config, touched(driver, service, config))
      if (refused.length > 0) {
        const text = `refusing to drill ${fault} on ${service.name}: ${refused.join(', ')} ${refused.length === 1 ? 'is' : 'are'} not marked "drill": true in the config (mark ${refused.length === 1 ? 'it' : 'them'}, or pass --yes)`
        if (options.service !== undefined) problems.push(text)
        else why.push(`${service.name}: ${refused.join(', ')} not marked "drill": true`)
        continue
      }
      const unfit = await driver.unfit(service, ctx)
      if (unfit) why.push(`${service.name}: ${unfit}`)
      else fit.push(service)
    }
    if (fit.length > 0) fitting.set(fault, fit)
    else if (problems.length === 0) notes.push(`${fault}: no service can take it (${why.join('; ')})`)
  }
  if (problems.length > 0) return { ok: false, problems }

  const items: DrillItem[] = []
  const faults = [...fitting.keys()]
  for (let round = 0; round < options.rounds; round++)
    faults.forEach((fault, i) => {
      const fit = fitting.get(fault)!
      items.push({ fault, service: fit[(round + i) % fit.length]!.name, round })
    })
  return { ok: true, items, notes }
}
