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

  /** Takes a slot: returns nothing when one is free, else a promise that resolves when one passes to us. */
  acquire(): Promise<void> | undefined {
    if (this.#active < this.#limit) {
      this.#active++
      return undefined
    }
    return new Promise<void>((resolve) => this.#waiters.push(resolve))
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
