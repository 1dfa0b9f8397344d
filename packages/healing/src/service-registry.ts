import type { Clock, Logger } from '@noa/core'
import { parseOptions } from '@noa/core'
import type { ActionResult, Executor } from './executor.ts'
import type { ProcessExit } from './executors/local/local.ts'
import { isLocalSupervisor } from './executors/local/local.ts'
import { buildExecutor } from './executors/registry.ts'
import type { ServiceHealingConfig } from './options.ts'
import { serviceHealingSchema } from './options.ts'
import type { ServiceRuntime } from './strategy.ts'

/** What a configuration reload changed, by service name. */
export interface ServiceChanges {
  added: string[]
  removed: string[]
  changed: string[]
  kept: string[]
}

/** Options of {@link createServiceRegistry}. */
export interface ServiceRegistryOptions {
  /** Ready-made executors by service; they win over `services.<name>.executor` and reloads leave them. */
  executors: Record<string, Executor>
  clock: Clock
  logger: Logger
  runDir?: string | undefined
  /** A local supervisor's process exited: the host decides the restart. */
  exited(exit: ProcessExit): void
}

/**
 * The services an engine heals and their executors. Each local supervisor leaves its
 * restarts to the engine (its `exit` goes to `exited`), so every restart passes the guards.
 */
export interface ServiceRegistry {
  get(name: string): ServiceRuntime | undefined
  has(name: string): boolean
  all(): IterableIterator<ServiceRuntime>
  /**
   * Replaces the services' settings, validated as a whole first (ConfigError, nothing
   * changed). An unchanged service keeps its executor; a removed one's executor is closed;
   * a changed one gets a new executor; a new supervisor is started while `running()` says so.
   */
  update(services: Record<string, ServiceHealingConfig>, running: () => boolean): Promise<ServiceChanges>
  /** Starts every service under a local supervisor. */
  startSupervised(): Promise<Record<string, ActionResult>>
  /** Closes the executors; with `keep`, local supervisors release their processes instead. */
  close(keep: boolean): Promise<void>
}

/** Builds the services of an engine; throws ConfigError listing every invalid setting. */
export function createServiceRegistry(
  services: Record<string, ServiceHealingConfig>,
  options: ServiceRegistryOptions,
): ServiceRegistry {
  const runtimes = new Map<string, ServiceRuntime>()
  /** Each service's settings as given, to tell a changed one from an unchanged one. */
  const settings = new Map<string, string>()
  const given = options.executors

  const parse = (raw: Record<string, ServiceHealingConfig>) =>
    Object.fromEntries(
      Object.entries(raw).map(([name, r]) => [
        name,
        parseOptions(serviceHealingSchema, r, `services.${name}`),
      ]),
    )
  const build = (name: string, config: ServiceRuntime['config'], ready?: Executor): ServiceRuntime => {
    const executor =
      ready ??
      (config.executor
        ? buildExecutor(config.executor, {
            service: name,
            clock: options.clock,
            logger: options.logger,
            ...(options.runDir ? { runDir: options.runDir } : {}),
          })
        : undefined)
    return { name, config, ...(executor ? { executor } : {}) }
  }
  const add = (runtime: ServiceRuntime, raw?: ServiceHealingConfig) => {
    runtimes.set(runtime.name, runtime)
    settings.set(runtime.name, JSON.stringify(raw ?? null))
    const executor = runtime.executor
    if (isLocalSupervisor(executor)) {
      executor.delegateRestarts()
      executor.on('exit', options.exited)
    }
  }

  for (const [name, config] of Object.entries(parse(services)))
    add(build(name, config, given[name]), services[name])
  for (const [name, executor] of Object.entries(given))
    if (!runtimes.has(name)) add({ name, config: serviceHealingSchema.parse({}), executor })

  return {
    get: (name) => runtimes.get(name),
    has: (name) => runtimes.has(name),
    all: () => runtimes.values(),
    async update(raw, running) {
      const parsed = parse(raw)
      const out: ServiceChanges = { added: [], removed: [], changed: [], kept: [] }
      for (const [name, runtime] of [...runtimes]) {
        if (name in given) continue
        if (!(name in parsed)) {
          runtimes.delete(name)
          settings.delete(name)
          await runtime.executor?.close?.()
          out.removed.push(name)
        } else if (settings.get(name) !== JSON.stringify(raw[name] ?? null)) {
          await runtime.executor?.close?.()
          runtimes.delete(name)
          out.changed.push(name)
        } else out.kept.push(name)
      }
      for (const [name, config] of Object.entries(parsed)) {
        if (runtimes.has(name)) continue
        if (!out.changed.includes(name)) out.added.push(name)
        const runtime = build(name, config)
        add(runtime, raw[name])
        if (running() && isLocalSupervisor(runtime.executor)) {
          const started = await runtime.executor.start()
          if (!started.ok)
            options.logger.error('supervised service did not start', { service: name, error: started.error })
        }
      }
      return out
    },
    async startSupervised() {
      const results: Record<string, ActionResult> = {}
      for (const s of runtimes.values())
        if (isLocalSupervisor(s.executor)) results[s.name] = await s.executor.start()
      return results
    },
    async close(keep) {
      await Promise.allSettled(
        [...runtimes.values()].map((s) =>
          keep && isLocalSupervisor(s.executor) ? s.executor.release() : s.executor?.close?.(),
        ),
      )
    },
  }
}
