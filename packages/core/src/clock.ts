/** A scheduled callback that can be cancelled. */
export interface Timer {
  /** Cancels the callback if it has not run yet; calling it twice is harmless. */
  cancel(): void
}

/**
 * The source of time for every timed piece of noa. Engines take a Clock instead of
 * calling `Date.now()` or `setTimeout` so tests can run an incident in fake time.
 *
 * @example
 * ```ts
 * const clock = new FakeClock()
 * const done = clock.sleep(30_000)
 * await clock.advance(30_000) // resolves `done` without waiting
 * ```
 */
export interface Clock {
  /** Wall-clock time in epoch milliseconds. */
  now(): number
  /** Monotonic milliseconds with sub-millisecond resolution, for measuring durations. */
  monotonic(): number
  /** Runs `callback` once after `delayMs`. Real timers are unref'd: a pending timer never keeps a process alive. */
  setTimeout(callback: () => void, delayMs: number): Timer
  /** Resolves after `delayMs`; rejects with the signal's reason when `signal` aborts first. */
  sleep(delayMs: number, signal?: AbortSignal): Promise<void>
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError')
}

function sleepWith(clock: Clock, delayMs: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal))
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      timer.cancel()
      reject(abortReason(signal as AbortSignal))
    }
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, delayMs)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** The real clock: `Date.now`, `performance.now` and unref'd Node timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout(callback, delayMs) {
    const handle = setTimeout(callback, Math.max(0, delayMs))
    handle.unref()
    return { cancel: () => clearTimeout(handle) }
  },
  sleep(delayMs, signal) {
    return sleepWith(systemClock, delayMs, signal)
  },
}

interface FakeTimer {
  id: number
  due: number
  callback: () => void
}

/** Lets pending promise callbacks and I/O callbacks run before the next fake timer fires. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve))

/**
 * A Clock that moves only when told to. Timers fire in due order (ties in the order
 * they were set) and every promise chain they start settles before the next one fires.
 *
 * @example
 * ```ts
 * const clock = new FakeClock(Date.parse('2025-10-22T22:00:00Z'))
 * clock.setTimeout(() => console.log('fired'), 5_000)
 * await clock.advance(5_000)
 * ```
 */
export class FakeClock implements Clock {
  #now: number
  #monotonicOffset: number
  #timers: FakeTimer[] = []
  #nextId = 1

  /** @param start epoch milliseconds to start at. @default 2025-10-22T22:00:00.000Z */
  constructor(start: number = Date.parse('2025-10-22T22:00:00.000Z')) {
    this.#now = start
    this.#monotonicOffset = start
  }

  now(): number {
    return this.#now
  }

  monotonic(): number {
    return this.#now - this.#monotonicOffset
  }

  setTimeout(callback: () => void, delayMs: number): Timer {
    const timer: FakeTimer = { id: this.#nextId++, due: this.#now + Math.max(0, delayMs), callback }
    this.#timers.push(timer)
    return {
      cancel: () => {
        this.#timers = this.#timers.filter((t) => t !== timer)
      },
    }
  }

  sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, delayMs, signal)
  }

  /** Number of timers not yet fired. */
  get pending(): number {
    return this.#timers.length
  }

  /** Epoch ms at which the next timer fires, or undefined when none is pending. */
  nextDue(): number | undefined {
    return this.#earliest()?.due
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.#now + ms)
  }

  /** Moves time forward to `epochMs`, firing every timer due on the way. */
  async advanceTo(epochMs: number): Promise<void> {
    await settle()
    for (;;) {
      const next = this.#earliest()
      if (!next || next.due > epochMs) break
      this.#timers = this.#timers.filter((t) => t !== next)
      this.#now = Math.max(this.#now, next.due)
      next.callback()
      await settle()
    }
    this.#now = Math.max(this.#now, epochMs)
    await settle()
  }

  /** Fires timers one by one until none is left or `limit` have fired; returns how many fired. */
  async runAll(limit = 10_000): Promise<number> {
    let fired = 0
    for (let next = this.#earliest(); next && fired < limit; next = this.#earliest()) {
      await this.advanceTo(next.due)
      fired++
    }
    return fired
  }

  #earliest(): FakeTimer | undefined {
    let best: FakeTimer | undefined
    for (const t of this.#timers)
      if (!best || t.due < best.due || (t.due === best.due && t.id < best.id)) best = t
    return best
  }
}
