import { type ClientRequest, request } from 'node:http'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { onFrames, startAgent, type TestAgent, until } from './helpers.ts'

/** A real SSE client over node:http that parses frames as they arrive. */
interface Client {
  status: number
  events: Array<{ id?: string; event?: string; data?: string }>
  comments: string[]
  closed: boolean
  req: ClientRequest
  close(): void
}

function connect(url: string, headers: Record<string, string> = {}, read = true): Promise<Client> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      const client: Client = {
        status: res.statusCode ?? 0,
        events: [],
        comments: [],
        closed: false,
        req,
        close: () => req.destroy(),
      }
      if (read)
        onFrames(res, (frame) => {
          const event: Client['events'][number] = {}
          for (const line of frame.split('\n')) {
            if (line.startsWith(':')) client.comments.push(line)
            const m = /^(id|event|data): (.*)$/.exec(line)
            if (m) event[m[1] as 'id'] = m[2]
          }
          if (event.event) client.events.push(event)
        })
      else res.pause()
      // The socket, not the paused response, tells when the server hung up.
      res.socket.on('close', () => {
        client.closed = true
      })
      res.on('error', () => {
        client.closed = true
      })
      resolve(client)
    })
    req.on('error', reject)
    req.end()
  })
}

describe('GET /api/sse', () => {
  let t: TestAgent
  const clients: Client[] = []
  const open = async (headers: Record<string, string> = {}, read = true) => {
    const c = await connect(`${t.url}/api/sse`, headers, read)
    clients.push(c)
    return c
  }
  beforeAll(async () => {
    t = await startAgent(
      { api: { sseHeartbeat: 100, sseMaxQueuedBytes: 65_536, sseRateLimit: { limit: 8, windowMs: 60_000 } } },
      { start: false },
    )
  })
  afterEach(() => {
    for (const c of clients.splice(0)) c.close()
  })
  afterAll(async () => {
    await t?.close()
  })

  it('should stream each published event with an id, a name and one JSON data line, and ping', async () => {
    const c = await open()
    expect(c.status).toBe(200)
    await until(() => t.agent.sse.size === 1, 5000, 'the client to attach')
    const id = t.agent.sse.publish('status', { health: 'healthy' })
    await until(() => c.events.length === 1, 5000, 'the event')
    expect(c.events[0]).toEqual({ id: String(id), event: 'status', data: '{"health":"healthy"}' })
    await until(() => c.comments.includes(': ping'), 5000, 'a heartbeat')
  })

  it('should replay what a client missed when it comes back with Last-Event-ID', async () => {
    const first = await open()
    await until(() => t.agent.sse.size === 1, 5000, 'the client to attach')
    const seen = t.agent.sse.publish('change', { n: 1 })
    await until(() => first.events.length === 1, 5000, 'the first event')
    first.close()
    await until(() => t.agent.sse.size === 0, 5000, 'the disconnect to be cleaned up')
    const missed = [t.agent.sse.publish('alert', { n: 2 }), t.agent.sse.publish('healing', { n: 3 })]
    const again = await open({ 'last-event-id': String(seen) })
    await until(() => again.events.length === 2, 5000, 'the replay')
    expect(again.events.map((e) => [Number(e.id), e.event, e.data])).toEqual([
      [missed[0], 'alert', '{"n":2}'],
      [missed[1], 'healing', '{"n":3}'],
    ])
  })

  it('should drop a client that does not read instead of buffering without bound', async () => {
    const slow = await open({}, false)
    const fast = await open()
    await until(() => t.agent.sse.size === 2, 5000, 'both clients to attach')
    const before = t.agent.sse.stats.droppedSlowClients
    const big = { blob: 'x'.repeat(16 * 1024) }
    for (let i = 0; i < 2000 && t.agent.sse.stats.droppedSlowClients === before; i++) {
      t.agent.sse.publish('metrics', big)
      await new Promise((r) => setTimeout(r, 1))
    }
    expect(t.agent.sse.stats.droppedSlowClients).toBe(before + 1)
    // The server let go of the slow stream; the reading one still gets every event.
    expect(t.agent.sse.size).toBe(1)
    const count = fast.events.length
    t.agent.sse.publish('status', { after: true })
    await until(
      () => fast.events.length > count && fast.events.at(-1)?.data === '{"after":true}',
      5000,
      'the next event',
    )
    expect([fast.closed, slow.status]).toEqual([false, 200])
  })

  it('should rate-limit new streams per client with 429', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 12; i++) {
      const c = await open()
      statuses.push(c.status)
      c.close()
    }
    expect(statuses).toContain(429)
  })
})
