import { describe, expect, it } from 'vitest'
import { QuantileSketch } from './sketch.ts'

// A small deterministic PRNG (mulberry32) so the distributions are the same on every run.
function random(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function exact(sorted: number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))]!
}

describe('QuantileSketch', () => {
  const distributions: Record<string, (r: () => number) => number> = {
    uniform: (r) => r() * 1000,
    exponential: (r) => -Math.log(1 - r()) * 50,
    pareto: (r) => 1 / (1 - r()) ** 1.5,
    'log-normal latency (ms)': (r) =>
      Math.exp(3 + 1.2 * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r())),
  }

  for (const [name, draw] of Object.entries(distributions)) {
    it(`should keep every quantile within the stated relative error (${name})`, () => {
      for (const alpha of [0.01, 0.02]) {
        const r = random(42)
        const sketch = new QuantileSketch({ relativeAccuracy: alpha })
        const values: number[] = []
        for (let i = 0; i < 20_000; i++) {
          const v = draw(r)
          values.push(v)
          sketch.add(v)
        }
        values.sort((a, b) => a - b)
        for (const q of [0.001, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999]) {
          const truth = exact(values, q)
          expect(Math.abs(sketch.quantile(q) - truth) / truth).toBeLessThanOrEqual(alpha + 1e-12)
        }
        expect(sketch.quantile(1)).toBe(values.at(-1))
        expect(sketch.quantile(0)).toBe(values[0])
        expect(sketch.count).toBe(20_000)
      }
    })
  }

  it('should hold bounded memory however many values it sees', () => {
    const sketch = new QuantileSketch({ relativeAccuracy: 0.01, maxBuckets: 64 })
    const values: number[] = []
    for (let v = 1; v <= 1_000_000; v += 3) values.push(v)
    for (const v of values) sketch.add(v)
    expect(sketch.bucketCount).toBe(64)
    // The lowest buckets were merged; the quantiles above them keep the 1 % bound.
    for (const q of [0.9, 0.99, 0.999]) {
      const truth = exact(values, q)
      expect(Math.abs(sketch.quantile(q) - truth) / truth).toBeLessThanOrEqual(0.01)
    }
    const wide = new QuantileSketch()
    for (let i = 1; i <= 1_000_000; i++) wide.add(i)
    expect(wide.bucketCount).toBeLessThan(800)
  })

  it('should count zeros exactly and ignore what it cannot hold', () => {
    const sketch = new QuantileSketch()
    expect(sketch.quantile(0.5)).toBeNaN()
    for (const v of [0, 0, 0, 5, -1, Number.NaN, Number.POSITIVE_INFINITY]) sketch.add(v)
    expect(sketch.count).toBe(4)
    expect(sketch.quantile(0.5)).toBe(0)
    expect(sketch.quantile(0.99)).toBe(0)
    expect(sketch.quantile(1)).toBe(5)
    expect(sketch.quantile(2)).toBeNaN()
    sketch.reset()
    expect(sketch.count).toBe(0)
  })

  it('should merge sketches as if all values went into one', () => {
    const a = new QuantileSketch()
    const b = new QuantileSketch()
    const all = new QuantileSketch()
    for (let i = 1; i <= 500; i++) {
      a.add(i)
      all.add(i)
    }
    for (let i = 1000; i <= 100_000; i += 7) {
      b.add(i)
      all.add(i)
    }
    b.add(0)
    all.add(0)
    a.merge(b)
    a.merge(new QuantileSketch())
    for (const q of [0.1, 0.5, 0.9, 0.99]) expect(a.quantile(q)).toBe(all.quantile(q))
    expect(a.count).toBe(all.count)
    expect(a.sum).toBe(all.sum)
    expect(() => a.merge(new QuantileSketch({ relativeAccuracy: 0.05 }))).toThrow(RangeError)
  })

  it('should refuse options that break its guarantee', () => {
    expect(() => new QuantileSketch({ relativeAccuracy: 0 })).toThrow(RangeError)
    expect(() => new QuantileSketch({ maxBuckets: 3 })).toThrow(RangeError)
  })
})
