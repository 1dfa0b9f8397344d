import { setMaxListeners } from 'node:events'
import type { Clock, TimeoutSignal } from '@noa/core'
import { timeoutSignal } from '@noa/core'

/** A group of attempts due at the same time: the signal their checkers get, and who to tell when it fires. */
export interface DeadlineSlot {
  readonly signal: AbortSignal
  /** The context the slot's attempts get, shared: one object per slot, not per attempt. */
  readonly context: { readonly signal: AbortSignal; readonly clock: Clock }
  /** Remove your callback when your attempt finishes in time. */
  readonly waiters: Set<() => void>
}

interface Slot extends DeadlineSlot {
  timeout: TimeoutSignal
}

/**
 * Groups attempt deadlines into slots of `resolutionMs`, so that the many attempts of a busy
 * monitor share one timer and one AbortSignal per slot instead of creating one each (an
 * AbortSignal per check was the largest cost of the scheduler under load). A deadline fires
 * up to `resolutionMs` late, never early; aborting `parent` aborts every slot.
 */
export class Deadlines {
  readonly #slots = new Map<number, Slot>()
  readonly #clock: Clock
  readonly #resolutionMs: number

  constructor(clock: Clock, resolutionMs = 10) {
    this.#clock = clock
    this.#resolutionMs = resolutionMs
  }

  /** Joins the slot of `now + timeoutMs` (`now` from the clock's monotonic time); `onAbort` runs if the slot fires (or the parent aborts) before it is removed from `waiters`. */
  enter(
    timeoutMs: number,
    parent: AbortSignal,
    onAbort: () => void,
    now: number = this.#clock.monotonic(),
  ): DeadlineSlot {
    const due = Math.ceil((now + timeoutMs) / this.#resolutionMs) * this.#resolutionMs
    let slot = this.#slots.get(due)
    if (!slot || slot.signal.aborted) {
      const timeout = timeoutSignal(Math.max(0, due - now), { parent, clock: this.#clock })
      const created: Slot = {
        timeout,
        signal: timeout.signal,
        context: { signal: timeout.signal, clock: this.#clock },
        waiters: new Set(),
      }
      created.timeout.signal.addEventListener(
        'abort',
        () => {
          if (this.#slots.get(due) === created) this.#slots.delete(due)
          created.timeout.dispose()
          for (const waiter of created.waiters) waiter()
          created.waiters.clear()
        },
        { once: true },
      )
      // Every checker in the slot listens to the shared signal: many listeners are expected.
      setMaxListeners(0, created.timeout.signal)
      this.#slots.set(due, created)
      slot = created
    }
    slot.waiters.add(onAbort)
    return slot
  }

  /** Slots with a live timer. */
  get size(): number {
    return this.#slots.size
  }
}
