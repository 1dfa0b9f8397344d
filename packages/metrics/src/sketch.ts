/** Options of {@link QuantileSketch}. */
export interface QuantileSketchOptions {
  /**
   * Relative accuracy α: every quantile returned is within α × its true value.
   * @default 0.01
   */
  relativeAccuracy?: number
  /**
   * Most buckets kept. Past it the lowest buckets are merged, so the error bound then holds only
   * for quantiles above the merged range (2048 buckets at 1 % cover values spanning 17 orders of magnitude).
   * @default 2048
   */
  maxBuckets?: number
}

/**
 * A DDSketch-style quantile sketch for non-negative values with bounded memory.
 *
 * Values fall into logarithmic buckets `(γ^(i-1), γ^i]` with `γ = (1+α)/(1-α)`; a quantile is read
 * as the midpoint `2γ^i/(γ+1)` of its bucket, which is within a relative error α of the true value
 * at that rank (the value of rank `⌊q·(n-1)⌋` in the sorted observations). Zero is counted exactly;
 * min and max are exact. Memory is at most `maxBuckets` numbers whatever the number of observations.
 *
 * @example
 * ```ts
 * const sketch = new QuantileSketch({ relativeAccuracy: 0.01 })
 * for (const ms of [12, 15, 230]) sketch.add(ms)
 * sketch.quantile(0.99) // within 1 % of 230
 * ```
 */
export class QuantileSketch {
  readonly relativeAccuracy: number
  readonly maxBuckets: number
  count = 0
  sum = 0
  min = Number.POSITIVE_INFINITY
  max = Number.NEGATIVE_INFINITY
  readonly #gamma: number
  readonly #invLogGamma: number
  #zeroCount = 0
  #bins: number[] = []
  #offset = 0

  constructor(options: QuantileSketchOptions = {}) {
    const alpha = options.relativeAccuracy ?? 0.01
    if (!(alpha > 0 && alpha < 1)) throw new RangeError(`relativeAccuracy must be in (0, 1); found ${alpha}`)
    const maxBuckets = options.maxBuckets ?? 2048
    if (!Number.isInteger(maxBuckets) || maxBuckets < 16) {
      throw new RangeError(`maxBuckets must be an integer >= 16; found ${maxBuckets}`)
    }
    this.relativeAccuracy = alpha
    this.maxBuckets = maxBuckets
    this.#gamma = (1 + alpha) / (1 - alpha)
    this.#invLogGamma = 1 / Math.log(this.#gamma)
  }

  /** Adds one value; the caller guarantees a finite number >= 0 (others are ignored). */
  add(value: number): void {
    if (!(value >= 0) || value === Number.POSITIVE_INFINITY) return
    this.count++
    this.sum += value
    if (value < this.min) this.min = value
    if (value > this.max) this.max = value
    if (value === 0) {
      this.#zeroCount++
      return
    }
    const index = Math.ceil(Math.log(value) * this.#invLogGamma)
    const at = index - this.#offset
    if (at >= 0 && at < this.#bins.length) this.#bins[at]!++
    else this.#grow(index)
  }

  /** The value at quantile `q` (0..1); NaN when empty. `quantile(1)` is the exact max, `quantile(0)` the exact min. */
  quantile(q: number): number {
    if (this.count === 0 || !(q >= 0 && q <= 1)) return Number.NaN
    if (q === 1) return this.max
    if (q === 0) return this.min
    const rank = q * (this.count - 1)
    let seen = this.#zeroCount
    if (seen > rank) return 0
    const bins = this.#bins
    for (let i = 0; i < bins.length; i++) {
      seen += bins[i]!
      if (seen > rank) {
        const estimate = (2 * this.#gamma ** (i + this.#offset)) / (this.#gamma + 1)
        return Math.min(Math.max(estimate, this.min), this.max)
      }
    }
    return this.max
  }

  /** Adds every observation of `other` (same relative accuracy) into this sketch. */
  merge(other: QuantileSketch): void {
    if (other.#gamma !== this.#gamma) throw new RangeError('cannot merge sketches of different accuracy')
    if (other.count === 0) return
    this.count += other.count
    this.sum += other.sum
    this.#zeroCount += other.#zeroCount
    if (other.min < this.min) this.min = other.min
    if (other.max > this.max) this.max = other.max
    for (let i = 0; i < other.#bins.length; i++) {
      const n = other.#bins[i]!
      if (n === 0) continue
      const index = i + other.#offset
      const at = index - this.#offset
      if (at >= 0 && at < this.#bins.length) this.#bins[at]! += n
      else {
        this.#grow(index)
        this.#bins[index - this.#offset]! += n - 1
      }
    }
  }

  /** Forgets every observation. */
  reset(): void {
    this.count = 0
    this.sum = 0
    this.#zeroCount = 0
    this.min = Number.POSITIVE_INFINITY
    this.max = Number.NEGATIVE_INFINITY
    this.#bins = []
    this.#offset = 0
  }

  /** Buckets currently held (memory is about 8 bytes each). */
  get bucketCount(): number {
    return this.#bins.length
  }

  // Rare path: widen the dense bucket range to include `index` (counting one value there),
  // merging the lowest buckets when the range would pass maxBuckets.
  #grow(index: number): void {
    const bins = this.#bins
    if (bins.length === 0) {
      this.#offset = index
      this.#bins = [1]
      return
    }
    const lo = Math.min(index, this.#offset)
    const hi = Math.max(index, this.#offset + bins.length - 1)
    const newLo = Math.max(lo, hi - this.maxBuckets + 1)
    const next: number[] = []
    for (let i = newLo; i <= hi; i++) next.push(0)
    for (let i = 0; i < bins.length; i++) {
      const at = Math.max(i + this.#offset, newLo) - newLo
      next[at]! += bins[i]!
    }
    next[Math.max(index, newLo) - newLo]!++
    this.#bins = next
    this.#offset = newLo
  }
}
