import { describe, expect, it } from 'vitest'
import { Counter } from './counter.ts'

// The lookup's hash (FNV-1a over the values, 0xff between them), to build colliding label sets.
function fnv(values: string[]): number {
  let hash = 0x811c9dc5
  for (const v of values) {
    for (let j = 0; j < v.length; j++) hash = Math.imul(hash ^ v.charCodeAt(j), 0x01000193)
    hash = Math.imul(hash ^ 0xff, 0x01000193)
  }
  return hash
}

function collidingValues(): [string, string] {
  const seen = new Map<number, string>()
  for (let i = 0; ; i++) {
    const v = `v${i}`
    const h = fnv([v])
    const other = seen.get(h)
    if (other !== undefined) return [other, v]
    seen.set(h, v)
    if (i > 2_000_000) throw new Error('no collision found')
  }
}

describe('Metric label lookup', () => {
  it('should keep label sets whose hashes collide apart, and remove them one by one', () => {
    const [a, b] = collidingValues()
    expect(fnv([a])).toBe(fnv([b]))
    const counter = new Counter({ name: 'c', help: '', labelNames: ['k'] })
    counter.inc({ k: a })
    counter.inc({ k: b }, 2)
    counter.inc({ k: b }, 3)
    expect(counter.get({ k: a })).toBe(1)
    expect(counter.get({ k: b })).toBe(5)
    expect(counter.seriesCount).toBe(2)
    expect(counter.remove({ k: b })).toBe(true)
    expect(counter.get({ k: b })).toBeUndefined()
    expect(counter.get({ k: a })).toBe(1)
    counter.inc({ k: b })
    expect(counter.remove({ k: a })).toBe(true)
    expect(counter.get({ k: b })).toBe(1)
    expect(counter.get({ k: a })).toBeUndefined()
    counter.inc({ k: a })
    expect(counter.seriesCount).toBe(2)
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
