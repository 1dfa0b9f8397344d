/**
 * The demo service's memory drill knob: it grows the process's resident memory at a steady
 * rate, as a leak would, up to a cap, so a forgotten drill cannot take the machine down.
 * Stopping it drops what it holds (the next garbage collection gives it back).
 */

const MiB = 1024 * 1024

/** How fast memory grows and where it stops. */
export interface MemoryGrowthOptions {
  bytesPerSecond: number
  capBytes: number
}

/** What a drill asks for when it says nothing: 32 MiB/s, up to 256 MiB. */
export const MEMORY_GROWTH_DEFAULTS: Readonly<MemoryGrowthOptions> = Object.freeze({
  bytesPerSecond: 32 * MiB,
  capBytes: 256 * MiB,
})

/** The most a drill may make the service hold, whatever it asks. */
export const MAX_MEMORY_GROWTH_BYTES = 1024 * MiB
/** The fastest it may grow (a faster "leak" is a spike, not a leak). */
export const MAX_MEMORY_GROWTH_RATE = 256 * MiB

/** Where the knob stands, as `GET /drill/memory` answers. */
export interface MemoryGrowthStatus {
  growing: boolean
  heldBytes: number
  bytesPerSecond: number
  capBytes: number
  /** The cap was reached: growth stopped by itself. */
  capped: boolean
}

const TICK_MS = 100

/**
 * Reads `rate` (bytes/s) and `cap` (bytes) from a query string; defaults for what is missing,
 * an error message for what is not a positive number or over the bounds.
 */
export function parseMemoryGrowth(query: URLSearchParams): MemoryGrowthOptions | string {
  const read = (name: string, fallback: number, max: number): number | string => {
    const raw = query.get(name)
    if (raw === null) return fallback
    const value = Number(raw)
    if (!Number.isFinite(value) || value <= 0) return `${name} must be a positive number of bytes`
    if (value > max) return `${name} must be at most ${max} bytes`
    return Math.floor(value)
  }
  const bytesPerSecond = read('rate', MEMORY_GROWTH_DEFAULTS.bytesPerSecond, MAX_MEMORY_GROWTH_RATE)
  if (typeof bytesPerSecond === 'string') return bytesPerSecond
  const capBytes = read('cap', MEMORY_GROWTH_DEFAULTS.capBytes, MAX_MEMORY_GROWTH_BYTES)
  if (typeof capBytes === 'string') return capBytes
  return { bytesPerSecond, capBytes }
}

/**
 * Holds memory that grows every 100 ms. The chunks are filled, not only allocated: an
 * untouched allocation is not resident, and the point is the RSS a watcher sees.
 *
 * @example
 * ```ts
 * const growth = new MemoryGrowth((line) => console.log(line))
 * growth.start({ bytesPerSecond: 32 * 1024 * 1024, capBytes: 256 * 1024 * 1024 })
 * growth.stop() // drops what it holds
 * ```
 */
export class MemoryGrowth {
  readonly #log: (line: string) => void
  #chunks: Buffer[] = []
  #held = 0
  #options: MemoryGrowthOptions = { ...MEMORY_GROWTH_DEFAULTS }
  #timer: NodeJS.Timeout | undefined
  #capped = false

  constructor(log: (line: string) => void) {
    this.#log = log
  }

  get status(): MemoryGrowthStatus {
    return {
      growing: this.#timer !== undefined,
      heldBytes: this.#held,
      bytesPerSecond: this.#options.bytesPerSecond,
      capBytes: this.#options.capBytes,
      capped: this.#capped,
    }
  }

  /** Starts growing (again, from what is held), or changes the rate and cap of a growth under way. */
  start(options: MemoryGrowthOptions): MemoryGrowthStatus {
    this.#options = { ...options }
    this.#capped = false
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#grow(), TICK_MS)
      // a growth never keeps the process alive on its own
      this.#timer.unref()
    }
    this.#log(`memory growth started: ${options.bytesPerSecond} bytes/s up to ${options.capBytes} bytes`)
    return this.status
  }

  /** Stops growing and drops what it holds. */
  stop(): MemoryGrowthStatus {
    const held = this.#held
    clearInterval(this.#timer)
    this.#timer = undefined
    this.#chunks = []
    this.#held = 0
    this.#capped = false
    if (held > 0) this.#log(`memory growth stopped: ${held} bytes dropped`)
    return this.status
  }

  #grow(): void {
    const size = Math.min(
      Math.ceil((this.#options.bytesPerSecond * TICK_MS) / 1000),
      this.#options.capBytes - this.#held,
    )
    if (size <= 0) {
      clearInterval(this.#timer)
      this.#timer = undefined
      this.#capped = true
      this.#log(`memory growth stopped at its cap: ${this.#held} bytes held`)
      return
    }
    this.#chunks.push(Buffer.alloc(size, 0x5a))
    this.#held += size
  }
}
