import { FakeClock } from '@noa/core'
import { describe, expect, it } from 'vitest'
import { Batcher } from './batch.ts'

function batcher(
  options: { maxItems?: number; delayMs?: number; maxPending?: number; fail?: () => boolean } = {},
) {
  const clock = new FakeClock()
  const batches: number[][] = []
  const b = new Batcher<number>({
    clock,
    ...options,
    write: (items) => {
      if (options.fail?.()) throw new Error('disk full')
      batches.push(items)
    },
  })
  return { clock, b, batches }
}

describe('Batcher', () => {
  it('should write a batch as soon as it is full', async () => {
    const { b, batches } = batcher({ maxItems: 3, delayMs: 1000 })
    const done = [b.add(1), b.add(2), b.add(3), b.add(4)]
    await Promise.all(done.slice(0, 3))
    expect(batches).toEqual([[1, 2, 3]])
    expect(b.pending).toBe(1)
  })

  it('should write what waits once its first item has waited delayMs', async () => {
    const { clock, b, batches } = batcher({ maxItems: 100, delayMs: 200 })
    const one = b.add(1)
    await clock.advance(100)
    const two = b.add(2)
    await clock.advance(99)
    expect(batches).toEqual([])
    await clock.advance(1)
    await Promise.all([one, two])
    expect(batches).toEqual([[1, 2]])
    expect(clock.pending).toBe(0)
  })

  it('should write everything waiting on flush, and resolve at once when nothing waits', async () => {
    const { clock, b, batches } = batcher({ maxItems: 100, delayMs: 200 })
    void b.add(1)
    void b.add(2)
    await b.flush()
    expect(batches).toEqual([[1, 2]])
    expect(clock.pending).toBe(0)
    await b.flush()
    expect(batches).toHaveLength(1)
  })

  it('should reject the items of a failed batch only, and write the next one', async () => {
    let fail = true
    const { b, batches } = batcher({ fail: () => fail })
    const lost = b.add(1)
    await expect(b.flush()).rejects.toThrow('disk full')
    await expect(lost).rejects.toThrow('disk full')
    fail = false
    const kept = b.add(2)
    await b.flush()
    await kept
    expect(batches).toEqual([[2]])
  })

  it('should drop the oldest beyond maxPending and count them', async () => {
    const { b, batches } = batcher({ maxItems: 100, maxPending: 2 })
    const first = b.add(1)
    void b.add(2)
    void b.add(3)
    await expect(first).rejects.toThrow('queue is full')
    expect(b.dropped).toBe(1)
    await b.flush()
    expect(batches).toEqual([[2, 3]])
  })
})
