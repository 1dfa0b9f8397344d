/**
 * A FIFO concurrency limit. Slots are held per attempt, not across the backoff sleep
 * between attempts, so a service that retries never blocks the others' slots while it waits.
 */
export class Limiter {
  readonly #limit: number
  #active = 0
  #waiters: Array<() => void> = []
  #head = 0

  constructor(limit: number) {
    this.#limit = limit
  }

  get active(): number {
    return this.#active
  }

  get waiting(): number {
    return this.#waiters.length - this.#head
  }

  /** Takes a slot and calls `start`: at once when one is free, else when one passes to it. */
  acquireThen(start: () => void): void {
    if (this.#active < this.#limit) {
      this.#active++
      start()
    } else this.#waiters.push(start)
  }

  /** Gives the slot back (or straight to the next waiter). */
  release() {
    if (this.#head < this.#waiters.length) {
      const next = this.#waiters[this.#head]!
      this.#waiters[this.#head++] = noop
      if (this.#head > 1024 && this.#head * 2 > this.#waiters.length) {
        this.#waiters = this.#waiters.slice(this.#head)
        this.#head = 0
      }
      // The slot passes straight to the next waiter.
      next()
    } else this.#active--
  }
}

const noop = () => {}
