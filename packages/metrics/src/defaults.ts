import {
  createProcessCollector,
  type ProcessCollector,
  type ProcessCollectorOptions,
} from './collectors/process/process.ts'
import {
  createSystemCollector,
  type SystemCollector,
  type SystemCollectorOptions,
} from './collectors/system/system.ts'
import type { Registry } from './registry.ts'

/** Options of {@link collectDefaultMetrics}. */
export interface DefaultMetricsOptions {
  /** Options of the system collector (`noa_system_*`), or `false` to leave it out. @default {} */
  system?: SystemCollectorOptions | false
  /**
   * Options of the process collector (`noa_process_*`; `naming: 'prom-client'` for prom-client's
   * `process_*` and `nodejs_*` names), or `false` to leave it out. @default {}
   */
  process?: ProcessCollectorOptions | false
}

/** What {@link collectDefaultMetrics} registered; `stop()` releases their timers and observers. */
export interface DefaultMetrics {
  readonly system: SystemCollector | undefined
  readonly process: ProcessCollector | undefined
  stop(): void
}

/**
 * Registers the system and process collectors on `registry` in one call, as prom-client's
 * `collectDefaultMetrics` does. The collectors are returned, to hand to a `MetricsCollector`
 * for the JSON snapshot and to `stop()` when the service shuts down.
 *
 * @example
 * ```ts
 * const registry = new Registry()
 * const defaults = collectDefaultMetrics(registry)
 * // ... on shutdown:
 * defaults.stop()
 * ```
 */
export function collectDefaultMetrics(
  registry: Registry,
  options: DefaultMetricsOptions = {},
): DefaultMetrics {
  const system = options.system === false ? undefined : createSystemCollector(options.system)
  const proc = options.process === false ? undefined : createProcessCollector(options.process)
  const stop = () => {
    system?.stop()
    proc?.stop()
  }
  try {
    system?.register(registry)
    proc?.register(registry)
  } catch (error) {
    // A name already registered: release the event-loop monitor and GC observer before throwing.
    stop()
    throw error
  }
  return { system, process: proc, stop }
}
