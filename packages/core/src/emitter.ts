import { errorMessage } from './errors.ts'
import type { Logger } from './logger.ts'
import { noopLogger } from './logger.ts'

/** Stops a listener; calling it again does nothing. */
export type Unsubscribe = () => void

/** The listening half of an {@link Emitter}: what a component hands to its users. */
export interface Subscribable<Events extends object> {
  /** Calls `listener` with each payload of `event` until the returned function is called. */
  on<E extends keyof Events>(event: E, listener: (payload: Events[E]) => void): Unsubscribe
}

/**
 * Typed events with one payload each. A component keeps the emitter and exposes only
 * {@link Subscribable.on}, so its users cannot emit in its name.
 */
export interface Emitter<Events extends object> extends Subscribable<Events> {
  /** Calls every listener of `event`, in the order they were added. */
  emit<E extends keyof Events>(event: E, payload: Events[E]): void
  /** How many listeners `event` has: lets a component skip building a payload nobody reads. */
  listenerCount(event: keyof Events): number
}

/** Options of {@link createEmitter}. */
export interface EmitterOptions {
  /**
   * Where a listener's error goes. A listener that throws is logged and skipped: one
   * listener's bug must not stop the others, nor the component that emitted.
   * @default noopLogger
   */
  logger?: Logger
  /** The component's name in that log line, such as `'health'`. */
  name?: string
}

/**
 * Creates a typed emitter.
 *
 * @example
 * ```ts
 * const events = createEmitter<{ change: { service: string } }>()
 * const off = events.on('change', (e) => console.log(e.service))
 * events.emit('change', { service: 'api' })
 * off()
 * ```
 */
export function createEmitter<Events extends object>(options: EmitterOptions = {}): Emitter<Events> {
  const logger = options.logger ?? noopLogger
  const listeners = new Map<keyof Events, Set<(payload: never) => void>>()
  return {
    on(event, listener) {
      let set = listeners.get(event)
      if (!set) {
        set = new Set()
        listeners.set(event, set)
      }
      // A wrapper makes each subscription its own: the same function added twice is called twice
      // and each unsubscribe removes one.
      const entry = (payload: never) => listener(payload)
      set.add(entry)
      return () => {
        set.delete(entry)
      }
    },
    emit(event, payload) {
      const set = listeners.get(event)
      if (!set) return
      for (const listener of set) {
        try {
          listener(payload as never)
        } catch (error) {
          logger.error('event listener failed', {
            ...(options.name ? { component: options.name } : {}),
            event: String(event),
            error: errorMessage(error),
          })
        }
      }
    },
    listenerCount: (event) => listeners.get(event)?.size ?? 0,
  }
}
