import { EventEmitter } from 'node:events'
import type { ServerResponse } from 'node:http'
import { FakeClock } from '@noa/core'
import { describe, expect, it } from 'vitest'
import { SseHub } from './sse-hub.ts'

/** A response that records what is written to it. */
function response() {
  const res = Object.assign(new EventEmitter(), {
    written: '',
    writableEnded: false,
    destroyed: false,
    writableLength: 0,
    writeHead: () => res,
    write(chunk: string) {
      res.written += chunk
      return true
    },
    end() {
      res.writableEnded = true
    },
    destroy() {
      res.destroyed = true
    },
  })
  return res
}

describe('SseHub', () => {
  it('should keep for resume only the newest events that fit in its byte bound', () => {
    const hub = new SseHub({ bufferSize: 100, bufferBytes: 2000, clock: new FakeClock() })
    const big = { blob: 'x'.repeat(500) }
    for (let i = 0; i < 10; i++) hub.publish('services', big)
    const res = response()
    expect(hub.attach(res as unknown as ServerResponse, '0')).toBe(true)
    const ids = [...res.written.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]))
    expect(ids).toEqual([8, 9, 10]) // three frames of ~540 bytes fit in 2000
    hub.close()
  })

  it('should still keep the newest event when it alone is over the bound', () => {
    const hub = new SseHub({ bufferBytes: 10, clock: new FakeClock() })
    hub.publish('services', { n: 1 })
    hub.publish('services', { n: 2 })
    const res = response()
    hub.attach(res as unknown as ServerResponse, '0')
    expect(res.written).toContain('data: {"n":2}')
    expect(res.written).not.toContain('data: {"n":1}')
    hub.close()
  })
})
