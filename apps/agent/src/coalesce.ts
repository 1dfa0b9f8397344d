import type { Clock, Timer } from '@noa/core'

/** Options of {@link Coalescer}. */
export interface CoalescerOptions {
  /** The work; its cost grows with the fleet (it reads every service). */
  task: () => Promise<void>
  clock: Clock
  /**
   * The share of the time the task may take while requests keep coming: after a run that took
   * `t` ms, the next one waits `t * (1 / share - 1)` ms. @default 0.1
   */
  share?: number
  /** The longest wait between two runs, ms. @default 1000 */
  maxDelayMs?: number
}

/**
 * Runs an O(fleet) task for bursts of requests instead of once per request. Every state
 * change asked for a rule evaluation, and an evaluation reads every service: 5,000 services
 * turning healthy at start were 25 million service reads and an agent pinned for minutes.
 * Requests made while a run is due or in progress are served by that run or by one run after
 * it; a run waits after the one before so that the task takes at most `share` of the time.
 * A request on an idle coalescer runs on the next microtask: a small fleet sees no delay.
 */
export class Coalescer {
  readonly #task: () => Promise<void>
  readonly #clock: Clock
  readonly #rest: number
  readonly #maxDelayMs: number
  #timer: Timer | undefined
  #queued = false
  #running: Promise<void> | undefined
  #again = false
  #gapMs = 0
  #lastEnd = Number.NEGATIVE_INFINITY
  #stopped = false
  #runs = 0

  constructor(options: CoalescerOptions) {
    this.#task = options.task
    this.#clock = options.clock
    this.#rest = 1 / (options.share ?? 0.1) - 1
    this.#maxDelayMs = options.maxDelayMs ?? 1000
  }

  /** Runs the task soon, once for every request made until it starts. */
  request(): void {
    if (this.#stopped || this.#queued) return
    if (this.#running) {
      this.#again = true
      return
    }
    this.#queued = true
    const wait = this.#lastEnd + this.#gapMs - this.#clock.monotonic()
    if (wait <= 0) queueMicrotask(() => this.#run())
    else this.#timer = this.#clock.setTimeout(() => this.#run(), wait)
  }

  /** How many times the task ran. */
  get runs(): number {
    return this.#runs
  }

  /** Drops a run still waiting and refuses new requests; resolves when a run in progress ends. */
  async stop(): Promise<void> {
    this.#stopped = true
    this.#timer?.cancel()
    this.#timer = undefined
    await this.#running
  }

  #run(): void {
    this.#timer = undefined
    this.#queued = false
    if (this.#stopped) return
    this.#runs++
    const started = this.#clock.monotonic()
    this.#running = this.#task()
      .catch(() => undefined)
      .finally(() => {
        const end = this.#clock.monotonic()
        this.#running = undefined
        this.#lastEnd = end
        this.#gapMs = Math.min(this.#maxDelayMs, (end - started) * this.#rest)
        if (this.#again) {
          this.#again = false
          this.request()
        }
      })
  }
}
