import { describe, expect, it } from 'vitest'
import { yieldToLoop } from './turns.ts'

/** Resolves at the next turn of the loop as node:timers counts them: after one setImmediate. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve))

describe('yieldToLoop', () => {
  it('should resume one walk per turn of the event loop, in the order they asked', async () => {
    const events: string[] = []
    const walk = async (name: string, slices: number) => {
      for (let i = 0; i < slices; i++) {
        events.push(`${name}${i}`)
        await yieldToLoop()
      }
    }
    // A probe that records each turn of the loop: the walks' slices must land in different turns.
    let turns = 0
    let probing = true
    const probe = (async () => {
      while (probing) {
        await turn()
        events.push(`turn${++turns}`)
      }
    })()
    await Promise.all([walk('a', 3), walk('b', 3)])
    probing = false
    await probe
    const slices = events.filter((e) => !e.startsWith('turn'))
    expect(slices).toEqual(['a0', 'b0', 'a1', 'b1', 'a2', 'b2'])
    // Between two slices after the first ones, at least one turn of the loop.
    for (const [x, y] of [
      ['a1', 'b1'],
      ['b1', 'a2'],
      ['a2', 'b2'],
    ] as const)
      expect(events.slice(events.indexOf(x), events.indexOf(y)).some((e) => e.startsWith('turn'))).toBe(true)
  })
})
