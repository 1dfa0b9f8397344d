import type { Clock, Timer } from '@noa/core'

/** Options of {@link Batcher}. */
export interface BatcherOptions<T> {
  /** Writes one batch (one transaction); rejects when it could not. */
  write: (items: T[]) => void | Promise<void>
  clock: Clock
  /** A batch is written as soon as it holds this many items. @default 500 */
  maxItems?: number
  /** Nor does an item wait longer than this, ms. @default 200 */
  delayMs?: number
  /** Items waiting at most (the oldest are dropped, and counted, beyond). @default 20000 */
  maxPending?: number
}

/**
 * Gathers single writes into batches: a check result each, 333 a second at 10,000 services,
 * cost one SQLite commit each (a tenth of the agent's CPU); written together they cost one.
 * A batch is written when it is full, when its first item has waited `delayMs`, or on
 * `flush()`. `add` resolves when its item is written and rejects with the batch's error.
 * The queue is bounded: beyond `maxPending` items waiting (a write slower than the checks),
 * the oldest are dropped and counted, their promises rejected.
 */
export class Batcher<T> {
  readonly #write: (items: T[]) => void | Promise<void>
  readonly #clock: Clock
  readonly #maxItems: number
  readonly #delayMs: number
  readonly #maxPending: number
  #items: T[] = []
  #waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = []
  #timer: Timer | undefined
  /** The batch being written; never rejects (each batch's failure goes to its own items). */
  #writing: Promise<void> = Promise.resolve()
  #dropped = 0

  constructor(options: BatcherOptions<T>) {
    this.#write = options.write
    this.#clock = options.clock
    this.#maxItems = options.maxItems ?? 500
    this.#delayMs = options.delayMs ?? 200
    this.#maxPending = options.maxPending ?? 20_000
  }

  /** Items waiting to be written. */
  get pending(): number {
    return this.#items.length
  }

  /** Items dropped because the queue was full. */
  get dropped(): number {
    return this.#dropped
  }

  add(item: T): Promise<void> {
    const done = new Promise<void>((resolve, reject) => {
      this.#items.push(item)
      this.#waiters.push({ resolve, reject })
    })
    if (this.#items.length > this.#maxPending) {
      this.#items.shift()
      this.#dropped++
      this.#waiters.shift()!.reject(new Error('dropped: the write queue is full'))
    }
    if (this.#items.length >= this.#maxItems) void this.#cut().catch(() => undefined)
    else this.#timer ??= this.#clock.setTimeout(() => void this.#cut().catch(() => undefined), this.#delayMs)
    return done
  }

  /** Writes everything waiting now; resolves once written, rejects when a batch failed. */
  flush(): Promise<void> {
    return this.#cut()
  }

  /** Takes the items waiting as one batch, written after the batch before it. */
  #cut(): Promise<void> {
    this.#timer?.cancel()
    this.#timer = undefined
    if (this.#items.length === 0) return this.#writing
    const items = this.#items
    const waiters = this.#waiters
    this.#items = []
    this.#waiters = []
    const settled = this.#writing
      .then(() => this.#write(items))
      .then(
        () => {
          for (const w of waiters) w.resolve()
        },
        (error) => {
          for (const w of waiters) w.reject(error)
          throw error
        },
      )
    // The next batch waits for this one, whatever its fate: its failure is its own items'.
    this.#writing = settled.catch(() => undefined)
    return settled
  }
}
