import type { Registry } from './registry.ts'

/**
 * A source of readings for one section of the snapshot, that can also publish them as gauges.
 * `collect()` never rejects: a reading that fails is left out of the section.
 */
export interface Collector<T> {
  /** Short name, used in logs. */
  readonly name: string
  /** One reading. */
  collect(): Promise<T>
  /** Registers gauges that refresh from this collector on each exposition. */
  register(registry: Registry): void
  /** Stops timers and observers; collect() still works afterwards with what it can read. */
  stop(): void
}
