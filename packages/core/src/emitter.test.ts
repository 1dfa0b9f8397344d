import { describe, expect, it } from 'vitest'
import { createEmitter } from './emitter.ts'
import type { LogRecord } from './logger.ts'
import { createLogger } from './logger.ts'

interface Events {
  change: { service: string }
  tick: number
}

describe('createEmitter', () => {
  it('should call listeners of an event in the order they were added, with the payload', () => {
    const events = createEmitter<Events>()
    const seen: string[] = []
    events.on('change', (e) => seen.push(`a:${e.service}`))
    events.on('change', (e) => seen.push(`b:${e.service}`))
    events.on('tick', (n) => seen.push(`tick:${n}`))
    events.emit('change', { service: 'api' })
    expect(seen).toEqual(['a:api', 'b:api'])
  })

  it('should stop a listener when its unsubscribe is called, once per subscription', () => {
    const events = createEmitter<Events>()
    const seen: number[] = []
    const listener = (n: number) => seen.push(n)
    const first = events.on('tick', listener)
    events.on('tick', listener)
    events.emit('tick', 1)
    first()
    first()
    events.emit('tick', 2)
    expect(seen).toEqual([1, 1, 2])
    expect(events.listenerCount('tick')).toBe(1)
  })

  it('should log a listener that throws and still call the others', () => {
    const records: LogRecord[] = []
    const events = createEmitter<Events>({
      logger: createLogger({ write: (r) => records.push(r) }),
      name: 'health',
    })
    const seen: number[] = []
    events.on('tick', () => {
      throw new Error('listener bug')
    })
    events.on('tick', (n) => seen.push(n))
    expect(() => events.emit('tick', 7)).not.toThrow()
    expect(seen).toEqual([7])
    expect(records).toMatchObject([
      {
        level: 'error',
        msg: 'event listener failed',
        component: 'health',
        event: 'tick',
        error: 'listener bug',
      },
    ])
  })

  it('should let a listener unsubscribe itself while the event is emitted', () => {
    const events = createEmitter<Events>()
    const seen: string[] = []
    const off = events.on('tick', () => {
      seen.push('once')
      off()
    })
    events.on('tick', () => seen.push('always'))
    events.emit('tick', 1)
    events.emit('tick', 2)
    expect(seen).toEqual(['once', 'always', 'always'])
  })
})
