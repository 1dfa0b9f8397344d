import { inspectRecord, type RunRecord, readRecord } from '@noa/healing'
import { servicesRunDir } from '../cli/paths.ts'
import type { AgentService } from '../config/schema.ts'
import type { FaultContext, FaultDriver, Injection } from './fault.ts'

/** How many times a crash loop kills the service. */
export const CRASH_LOOP_KILLS = 3
/** How long a restarted process runs before a crash loop kills it again, when noa holds its state. */
export const RESTARTED_FOR_MS = 2000

/**
 * The process the local supervisor runs for `service` (from its run record, identity checked
 * against /proc), or why there is none to signal.
 */
export function supervisedProcess(baseDir: string, service: AgentService): RunRecord | string {
  if (service.executor?.type !== 'local') return 'not run by the local supervisor (executor.type "local")'
  const record = readRecord(servicesRunDir(baseDir), service.name)
  if (record === undefined) return 'no supervised process recorded under run/services'
  if (record instanceof Error) return record.message
  const state = inspectRecord(record)
  return state.kind === 'gone' ? state.why : record
}

/** Signals the process group the supervisor started (the service and anything it spawned). */
function signal(record: RunRecord, sig: NodeJS.Signals): void {
  process.kill(-record.pid, sig)
}

function byName(ctx: FaultContext, name: string): AgentService {
  const service = ctx.config.services.find((s) => s.name === name)
  if (!service) throw new Error(`unknown service ${JSON.stringify(name)}`)
  return service
}

function processUnfit(service: AgentService, ctx: FaultContext): string | undefined {
  const found = supervisedProcess(ctx.baseDir, service)
  return typeof found === 'string' ? found : undefined
}

function running(ctx: FaultContext, service: AgentService): RunRecord {
  const found = supervisedProcess(ctx.baseDir, service)
  if (typeof found === 'string') throw new Error(`${service.name}: ${found}`)
  return found
}

/** SIGSTOP: the process stays, answers nothing; undone with SIGCONT if it is still that process. */
function stop(ctx: FaultContext, service: AgentService): Injection {
  const record = running(ctx, service)
  const undo = ctx.restorer.add(`SIGSTOP of ${service.name} (pid ${record.pid})`, () => {
    if (inspectRecord(record).kind === 'same') signal(record, 'SIGCONT')
  })
  const faultAt = Date.now()
  signal(record, 'SIGSTOP')
  return { faultAt, faulted: [service.name], injections: () => 1, undo }
}

/** SIGKILL: nothing to undo, the service's supervisor or noa brings it back. */
function kill(ctx: FaultContext, service: AgentService): void {
  signal(running(ctx, service), 'SIGKILL')
}

/** The first dependency of `service` that the supervisor runs: the one a dependency drill stops. */
function firstDependency(service: AgentService, ctx: FaultContext): AgentService | string {
  if (service.dependsOn.length === 0) return 'has no dependsOn'
  const reasons: string[] = []
  for (const name of service.dependsOn) {
    const dependency = ctx.config.services.find((s) => s.name === name)
    if (!dependency) continue
    const why = processUnfit(dependency, ctx)
    if (!why) return dependency
    reasons.push(`${name}: ${why}`)
  }
  return `no dependency it can stop (${reasons.join('; ')})`
}

/** crash: SIGKILL of the supervised process. */
export const crash: FaultDriver = {
  targets: (service) => [service.name],
  unfit: processUnfit,
  async inject(service, ctx) {
    const faultAt = Date.now()
    kill(ctx, service)
    return { faultAt, faulted: [service.name], injections: () => 1, undo: async () => undefined }
  },
}

/** hang: SIGSTOP of the supervised process (the checks time out), SIGCONT when the drill ends. */
export const hang: FaultDriver = {
  targets: (service) => [service.name],
  unfit: processUnfit,
  inject: async (service, ctx) => stop(ctx, service),
}

/** dependency-down: the service's dependency stops answering (SIGSTOP); the dependency is healed, not the service. */
export const dependencyDown: FaultDriver = {
  targets(service, config) {
    return service.dependsOn.filter((name) => config.services.some((s) => s.name === name)).slice(0, 1)
  },
  unfit(service, ctx) {
    const dependency = firstDependency(service, ctx)
    return typeof dependency === 'string' ? dependency : undefined
  },
  async inject(service, ctx) {
    const dependency = firstDependency(service, ctx)
    if (typeof dependency === 'string') throw new Error(`${service.name}: ${dependency}`)
    return stop(ctx, dependency)
  },
}

/**
 * flapping: a crash loop, the process killed again each time it is back, {@link CRASH_LOOP_KILLS}
 * times. "Back" is the agent seeing it healthy, or, once noa holds the state of a flapping
 * service, its supervisor running a new process for {@link RESTARTED_FOR_MS}.
 */
export const flapping: FaultDriver = {
  targets: (service) => [service.name],
  unfit: processUnfit,
  async inject(service, ctx) {
    let last = running(ctx, service)
    let lastKillAt = Date.now()
    const faultAt = lastKillAt
    signal(last, 'SIGKILL')
    let kills = 1
    const again = () => {
      const now = supervisedProcess(ctx.baseDir, byName(ctx, service.name))
      if (typeof now === 'string' || now.pid === last.pid) return
      signal(now, 'SIGKILL')
      last = now
      lastKillAt = Date.now()
      kills++
    }
    return {
      faultAt,
      faulted: [service.name],
      injections: () => kills,
      settled: () => kills >= CRASH_LOOP_KILLS,
      onEvent(event) {
        if (kills >= CRASH_LOOP_KILLS) return
        if (event.type === 'change' && event.service === service.name && event.to === 'healthy') again()
      },
      tick() {
        if (kills < CRASH_LOOP_KILLS && Date.now() - lastKillAt >= RESTARTED_FOR_MS) again()
      },
      undo: async () => undefined,
    }
  },
}
