// @vitest-environment node
import type { Server, ServerResponse } from 'node:http'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import type { SseMessage, SseState } from './sse-client.ts'
import { SseClient, SseParser } from './sse-client.ts'

describe('SseParser', () => {
  it('should parse id, event and multi-line data, and skip comments', () => {
    const parser = new SseParser()
    const out = parser.push(': ping\n\nid: 7\nevent: status\ndata: {"a":1,\ndata: "b":2}\n\n')
    expect(out).toEqual([{ id: '7', event: 'status', data: '{"a":1,\n"b":2}' }])
  })

  it('should join chunks split anywhere, including between CR and LF', () => {
    const parser = new SseParser()
    const text = 'event: change\r\ndata: x\r\n\r\ndata: y\r\n\r\n'
    const out: SseMessage[] = []
    for (const ch of text) out.push(...parser.push(ch))
    expect(out).toEqual([
      { event: 'change', data: 'x' },
      { event: 'message', data: 'y' },
    ])
  })

  it('should keep the last id for later events and ignore fields it does not know', () => {
    const parser = new SseParser()
    expect(parser.push('id: 3\nretry: 10\nfoo\ndata\n\ndata: z\n\n')).toEqual([
      { id: '3', event: 'message', data: '' },
      { id: '3', event: 'message', data: 'z' },
    ])
  })

  it('should not dispatch an event without data', () => {
    expect(new SseParser().push('event: status\n\n')).toEqual([])
  })
})

describe('SseClient', () => {
  let server: Server | undefined
  let client: SseClient | undefined
  const responses: ServerResponse[] = []

  afterEach(async () => {
    client?.stop()
    for (const r of responses) r.destroy()
    responses.length = 0
    server?.closeAllConnections()
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
    server = undefined
  })

  async function listen(handler: (res: ServerResponse, lastEventId: string | undefined, n: number) => void) {
    let n = 0
    server = createServer((req, res) => {
      if (req.url !== '/api/sse') {
        res.writeHead(404).end()
        return
      }
      responses.push(res)
      handler(res, req.headers['last-event-id'] as string | undefined, n++)
    })
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
    return `http://127.0.0.1:${(server!.address() as AddressInfo).port}/api/sse`
  }

  it('should receive events, reconnect after the server drops it, and resume with Last-Event-ID', async () => {
    const seen: string[] = []
    const resumeIds: Array<string | undefined> = []
    const url = await listen((res, lastId, n) => {
      resumeIds.push(lastId)
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      if (n === 0) {
        res.write('id: 1\nevent: status\ndata: {"n":1}\n\n')
        res.write('id: 2\nevent: status\ndata: {"n":2}\n\n')
        setTimeout(() => res.destroy(), 20)
      } else {
        res.write(`id: 3\nevent: change\ndata: {"n":3}\n\n`)
      }
    })
    const states: SseState[] = []
    await new Promise<void>((resolve) => {
      client = new SseClient({
        url,
        retryMs: 10,
        onState: (s) => states.push(s),
        onMessage: (m) => {
          seen.push(`${m.id}:${m.event}:${m.data}`)
          if (m.id === '3') resolve()
        },
      })
      client.start()
    })
    expect(seen).toEqual(['1:status:{"n":1}', '2:status:{"n":2}', '3:change:{"n":3}'])
    expect(resumeIds).toEqual([undefined, '2'])
    expect(states.slice(0, 4)).toEqual(['connecting', 'open', 'closed', 'connecting'])
    expect(client!.lastEventId).toBe('3')
  })

  it('should keep retrying through error answers until the stream opens', async () => {
    const url = await listen((res, _id, n) => {
      if (n < 2) {
        res.writeHead(503).end()
        return
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write('event: status\ndata: {}\n\n')
    })
    const details: string[] = []
    await new Promise<void>((resolve) => {
      client = new SseClient({
        url,
        retryMs: 5,
        onState: (s, d) => {
          if (s === 'closed' && d) details.push(d)
        },
        onMessage: () => resolve(),
      })
      client.start()
    })
    expect(details).toEqual(['HTTP 503', 'HTTP 503'])
  })

  it('should drop a silent connection after the idle timeout and open a new one', async () => {
    const url = await listen((res, _id, n) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write(': hello\n\n')
      if (n > 0) res.write('event: status\ndata: {"again":true}\n\n')
    })
    const got = await new Promise<string>((resolve) => {
      client = new SseClient({ url, retryMs: 5, idleTimeoutMs: 50, onMessage: (m) => resolve(m.data) })
      client.start()
    })
    expect(got).toBe('{"again":true}')
  })

  it('should back off, not loop at the shortest delay, when streams open and drop without an event', async () => {
    const at: number[] = []
    const url = await listen((res) => {
      at.push(performance.now())
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.end('retry: 3000\n\n')
    })
    client = new SseClient({ url, retryMs: 100, maxRetryMs: 10_000, onMessage: () => {} })
    client.start()
    await expect.poll(() => at.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(4)
    client.stop()
    const gaps = at.slice(1).map((t, i) => t - at[i]!)
    // delays of about 100, 200, 400 ms (less up to 20 % jitter): the third is at least twice the first
    expect(gaps[2]!).toBeGreaterThan(gaps[0]! * 2)
  })

  it('should stop for good: no reconnect after stop()', async () => {
    let connections = 0
    const url = await listen((res) => {
      connections++
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write('event: status\ndata: {}\n\n')
    })
    await new Promise<void>((resolve) => {
      client = new SseClient({ url, retryMs: 5, onMessage: () => resolve() })
      client.start()
      client.start() // a second start is ignored
    })
    client!.stop()
    expect(client!.state).toBe('closed')
    await new Promise((r) => setTimeout(r, 50))
    expect(connections).toBe(1)
  })
})
