import { describe, expect, it } from 'vitest'
import { Counter } from './counter.ts'

describe('Metric label lookup', () => {
  it('should keep thousands of overlapping label sets apart', () => {
    const counter = new Counter({ name: 'c', help: '', labelNames: ['x', 'y', 'z'], maxSeries: 20_000 })
    const sets: Array<{ x: string; y: string; z: string }> = []
    for (let i = 0; i < 60; i++)
      for (let j = 0; j < 60; j++) sets.push({ x: `v${i}`, y: `v${j}`, z: `v${(i * j) % 7}` })
    for (const [i, set] of sets.entries()) counter.inc(set, i)
    expect(counter.seriesCount).toBe(sets.length)
    for (const [i, set] of sets.entries()) expect(counter.get({ ...set })).toBe(i)
    for (const set of sets.slice(0, 1000)) expect(counter.remove(set)).toBe(true)
    expect(counter.get(sets[0]!)).toBeUndefined()
    expect(counter.get(sets[1000]!)).toBe(1000)
    counter.inc(sets[0]!, 5)
    expect(counter.get(sets[0]!)).toBe(5)
    expect(counter.seriesCount).toBe(sets.length - 999)
  })

  it('should forget the ids of values no series uses any more', () => {
    const counter = new Counter({ name: 'c', help: '', labelNames: ['k'] })
    counter.inc({ k: 'a' })
    counter.inc({ k: 'b' })
    expect(counter.remove({ k: 'a' })).toBe(true)
    counter.inc({ k: 'c' })
    counter.inc({ k: 'a' })
    expect([counter.get({ k: 'a' }), counter.get({ k: 'b' }), counter.get({ k: 'c' })]).toEqual([1, 1, 1])
    expect(counter.seriesCount).toBe(3)
  })

  it('should use the one series of a metric without labels for an empty label set', () => {
    const counter = new Counter({ name: 'c', help: '' })
    counter.inc({} as never)
    counter.inc({} as never, 2)
    counter.inc({ extra: 'x' } as never)
    expect(counter.get()).toBe(3)
    expect(counter.seriesCount).toBe(1)
    expect(counter.remove({} as never)).toBe(false)
    expect(counter.drops.get('extra_label')).toBe(1)
  })

  it('should keep label sets apart whatever characters their values hold', () => {
    const counter = new Counter({ name: 'c', help: '', labelNames: ['a', 'b'] })
    counter.inc({ a: 'x\u0000y', b: 'z' })
    counter.inc({ a: 'x', b: 'y\u0000z' })
    expect(counter.seriesCount).toBe(2)
    expect(counter.get({ a: 'x\u0000y', b: 'z' })).toBe(1)
  })
})
