import type { Clock, Timer } from '@noa/core'
import { TimeoutError } from '@noa/core'
import type { AbortListener, CheckContext } from './checker.ts'
import { onAbort } from './checker.ts'

/** A group of attempts due at the same time: who to tell when it fires, and a signal for the checkers that take one. */
export interface DeadlineSlot {
  /**
   * Aborts when the slot fires (a TimeoutError) or its parent aborts (the parent's reason).
   * Made on first use: attempts told through their waiter alone (the monitor's fast path)
   * cost no AbortSignal.
   */
  readonly signal: AbortSignal
  /** The context the slot's attempts get, shared: one object per slot, not per attempt. */
  readonly context: CheckContext
}

/** One slot: its timer, its waiters, and its signal once someone asked for it. */
class Slot implements DeadlineSlot, AbortListener {
  readonly waiters = new Set<() => void>()
  timer: Timer | undefined
  /** Set once the slot fired: its timer ran out or its parent aborted. */
  fired = false
  #controller: AbortController | undefined
  #context: CheckContext | undefined
  #parentHub: Set<AbortListener> | undefined

  constructor(
    readonly owner: Deadlines,
    readonly due: number,
    readonly timeoutMs: number,
    readonly parent: AbortSignal,
    readonly clock: Clock,
  ) {}

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController()
      if (this.fired) this.#controller.abort(this.#reason())
    }
    return this.#controller.signal
  }

  get context(): CheckContext {
    this.#context ??= { signal: this.signal, clock: this.clock }
    return this.#context
  }

  /** Listens to the parent through its shared hub: one real listener per parent, not one per slot. */
  listen() {
    this.#parentHub = onAbort(this.parent, this)
  }

  /** The parent aborted (called by its hub). */
  onAbort() {
    this.#parentHub = undefined
    this.fire()
  }

  /** Releases the timer and the parent's hub; the slot fires no more. */
  dispose() {
    this.timer?.cancel()
    this.timer = undefined
    this.#parentHub?.delete(this)
    this.#parentHub = undefined
  }

  fire() {
    if (this.fired) return
    this.fired = true
    this.dispose()
    this.owner.forget(this)
    // The waiters first (the monitor settles the attempts with its timeout message), then
    // the checkers that listen to the signal stop their work.
    for (const waiter of this.waiters) waiter()
    this.waiters.clear()
    this.#controller?.abort(this.#reason())
  }

  #reason(): unknown {
    return this.parent.aborted ? this.parent.reason : new TimeoutError(this.timeoutMs)
  }
}

/**
 * Groups attempt deadlines into slots of `resolutionMs`, so that the many attempts of a busy
 * monitor share one timer per slot instead of one each. A slot listens to its parent through
 * one shared listener, its signal is made only for a checker that reads it, and a slot whose
 * attempts all left in time is released at once: at 10,000 checks a second, a listener per
 * slot on the parent (walked on every add) and a signal and an error per slot at its
 * deadline were most of the monitor's own cost. A deadline fires up to `resolutionMs` late,
 * never early; aborting `parent` fires every slot.
 */
export class Deadlines {
  readonly #slots = new Map<number, Slot>()
  readonly #clock: Clock
  readonly #resolutionMs: number

  constructor(clock: Clock, resolutionMs = 10) {
    this.#clock = clock
    this.#resolutionMs = resolutionMs
  }

  /**
   * Joins the slot of `now + timeoutMs` (`now` from the clock's monotonic time); `onFire` runs
   * if the slot fires (or the parent aborts) before {@link leave}. With the parent already
   * aborted, the slot returned has fired: its signal is aborted and `onFire` is not called.
   */
  enter(
    timeoutMs: number,
    parent: AbortSignal,
    onFire: () => void,
    now: number = this.#clock.monotonic(),
  ): DeadlineSlot {
    const due = Math.ceil((now + timeoutMs) / this.#resolutionMs) * this.#resolutionMs
    let slot = this.#slots.get(due)
    if (slot === undefined || slot.parent !== parent) {
      slot = new Slot(this, due, Math.max(0, due - now), parent, this.#clock)
      if (parent.aborted) {
        slot.fired = true
        return slot
      }
      slot.listen()
      const created = slot
      slot.timer = this.#clock.setTimeout(() => created.fire(), created.timeoutMs)
      this.#slots.set(due, slot)
    }
    slot.waiters.add(onFire)
    return slot
  }

  /** Takes `onFire` out of the slot (its attempt finished in time); the last one out releases the slot. */
  leave(slot: DeadlineSlot, onFire: () => void): void {
    const own = slot as Slot
    own.waiters.delete(onFire)
    if (own.waiters.size > 0 || own.fired) return
    own.dispose()
    this.forget(own)
    // A checker that holds the signal after its attempt left has nothing to wait for.
  }

  /** Drops the slot from the index (it fired or was released). */
  forget(slot: Slot): void {
    if (this.#slots.get(slot.due) === slot) this.#slots.delete(slot.due)
  }

  /** Slots with a live timer. */
  get size(): number {
    return this.#slots.size
  }
}
