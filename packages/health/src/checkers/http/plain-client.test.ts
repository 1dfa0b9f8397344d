import { once } from 'node:events'
import type http from 'node:http'
import type { Socket } from 'node:net'
import { systemClock } from '@noa/core'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import type { CheckOutcome } from '../../checker.ts'
import type { TestServer } from '../../testing/servers.ts'
import { closedPort, startHttpServer, startTcpServer } from '../../testing/servers.ts'
import { createHttpChecker } from './http.ts'
import { PlainPool } from './plain-pool.ts'
import { type HttpCheckInput, httpCheckSchema } from './schema.ts'

// The plain client (plain http: GET/HEAD) against real servers on 127.0.0.1, beside the
// node:http path: the same outcomes for the same answers, and a clear result, no leak, for
// every hostile answer.
const plain = createHttpChecker()
const viaNode = createHttpChecker({ plainClient: false })
const servers: TestServer[] = []
/** Every socket the raw servers accepted, to see that the client closed each one it dropped. */
const rawSockets = new Set<Socket>()

const serve = async (s: Promise<TestServer>) => {
  const server = await s
  servers.push(server)
  return server
}
const raw = (onSocket: (socket: Socket) => void) =>
  serve(
    startTcpServer((socket) => {
      rawSockets.add(socket)
      socket.on('close', () => rawSockets.delete(socket))
      socket.on('error', () => {})
      onSocket(socket)
    }),
  )
/** Calls `answer` with each request's head as it arrives. */
const onRequest = (answer: (socket: Socket, head: string) => void) =>
  raw((socket) => {
    let pending = ''
    socket.on('data', (data) => {
      pending += data.toString('latin1')
      for (let end = pending.indexOf('\r\n\r\n'); end !== -1; end = pending.indexOf('\r\n\r\n')) {
        const head = pending.slice(0, end)
        pending = pending.slice(end + 4)
        answer(socket, head)
      }
    })
  })

const check = (input: Omit<HttpCheckInput, 'type'>) => httpCheckSchema.parse({ type: 'http', ...input })
const run = (checker = plain, input: Omit<HttpCheckInput, 'type'>, signal = new AbortController().signal) =>
  checker.run(check(input), { signal, clock: systemClock })
/** An outcome without its timing, which differs from run to run. */
const settled = (outcome: CheckOutcome) => {
  const { responseTimeMs: _, ...details } = outcome.details ?? {}
  return { ...outcome, details }
}

/** Waits until every socket the raw servers accepted has closed, or fails after `ms`. */
async function rawSocketsClosed(ms = 2_000) {
  const deadline = Date.now() + ms
  while (rawSockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
  expect(rawSockets.size, 'sockets left open').toBe(0)
}

afterEach(async () => {
  plain.close?.()
  viaNode.close?.()
  await Promise.all(servers.splice(0).map((s) => s.close()))
  rawSockets.clear()
})
afterAll(() => {
  plain.close?.()
  viaNode.close?.()
})

describe('the plain http client', () => {
  it('should give the same outcomes as node:http for the same answers', async () => {
    const big = 'x'.repeat(3000)
    const routes: Record<string, (req: http.IncomingMessage, res: http.ServerResponse) => void> = {
      '/ok': (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'),
      '/empty': (_req, res) => res.writeHead(204).end(),
      '/missing': (_req, res) => res.writeHead(404).end('no such page'),
      '/down': (_req, res) => res.writeHead(503).end('down'),
      '/moved': (_req, res) => res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end(),
      '/chunked': (_req, res) => {
        res.writeHead(200)
        res.write('{"status":')
        setTimeout(() => res.end('"ok"}'), 5)
      },
      '/json': (_req, res) => res.writeHead(200).end('{"status":"ok","db":{"up":true}}'),
      '/big': (_req, res) => res.writeHead(200).end(big),
      '/big-chunked': (_req, res) => {
        res.writeHead(200)
        res.write(big.slice(0, 1500))
        res.end(big.slice(1500))
      },
      '/hints': (_req, res) => {
        res.writeEarlyHints({ link: '</style.css>; rel=preload' })
        res.writeHead(200).end('after hints')
      },
      '/close': (_req, res) => res.writeHead(200, { connection: 'close' }).end('bye'),
    }
    const server = await serve(startHttpServer((req, res) => routes[req.url!.split('?')[0]!]!(req, res)))
    const cases: Array<Omit<HttpCheckInput, 'type' | 'url'> & { path: string }> = [
      { path: '/ok' },
      { path: '/ok?x=1', bodyContains: 'ok' },
      { path: '/ok', method: 'HEAD' },
      { path: '/ok', bodyNotContains: 'ok' },
      { path: '/empty' },
      { path: '/empty', expectedStatus: [200] },
      { path: '/missing' },
      { path: '/down' },
      { path: '/moved' },
      { path: '/moved', expectedStatus: ['2xx'] },
      { path: '/chunked', json: [{ path: '$.status', equals: 'ok' }] },
      { path: '/json', json: [{ path: '$.db.up', equals: true }] },
      { path: '/json', json: [{ path: '$.status', equals: 'up' }] },
      { path: '/big' },
      { path: '/big', maxBodyBytes: 1000 },
      { path: '/big', maxBodyBytes: 1000, bodyContains: 'x' },
      { path: '/big-chunked', maxBodyBytes: 1000 },
      { path: '/big-chunked', bodyContains: 'xxx' },
      { path: '/hints', bodyContains: 'after' },
      { path: '/close' },
      { path: '/ok', headers: { 'x-check': 'noa', 'X-Check': 'last' } },
    ]
    for (const { path, ...options } of cases) {
      const input = { url: `${server.url}${path}`, ...options }
      const viaPlain = await run(plain, input)
      expect(settled(viaPlain), JSON.stringify(options) + path).toEqual(settled(await run(viaNode, input)))
      if (viaPlain.state === 'healthy') expect(typeof viaPlain.details?.responseTimeMs).toBe('number')
    }
    expect(plain.plainSockets().open).toBeGreaterThan(0)
  })

  it('should send what node:http sends for a GET: path, headers once each, Host, keep-alive', async () => {
    const heads: string[] = []
    const server = await onRequest((socket, head) => {
      heads.push(head)
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n')
    })
    const url = `http://admin:s3cret@127.0.0.1:${server.port}/health?full=1`
    const outcome = await run(plain, { url, headers: { 'x-a': '1', 'X-A': '2', accept: 'application/json' } })
    expect(outcome.state).toBe('healthy')
    expect(heads).toEqual([
      [
        'GET /health?full=1 HTTP/1.1',
        'x-a: 2',
        'accept: application/json',
        `authorization: Basic ${Buffer.from('admin:s3cret').toString('base64')}`,
        `Host: 127.0.0.1:${server.port}`,
        'Connection: keep-alive',
      ].join('\r\n'),
    ])
    expect(JSON.stringify(outcome)).not.toContain('s3cret')
  })

  it('should keep one socket for checks in a row and close it with the checker', async () => {
    const server = await onRequest((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'))
    for (let i = 0; i < 5; i++)
      expect((await run(plain, { url: `http://127.0.0.1:${server.port}/` })).state).toBe('healthy')
    expect(server.connections).toBe(1)
    expect(plain.plainSockets()).toEqual({ open: 1, idle: 1 })
    plain.close?.()
    expect(plain.plainSockets()).toEqual({ open: 0, idle: 0 })
    await rawSocketsClosed()
  })

  it('should give a clear result for every hostile answer, never hang, and leave no socket open', async () => {
    const huge = `HTTP/1.1 200 OK\r\nx-big: ${'a'.repeat(20 * 1024)}\r\n\r\n`
    const endless = (socket: Socket, head: string) => {
      socket.write(head)
      const chunk = Buffer.alloc(64 * 1024, 'x')
      const pump = () => {
        while (!socket.destroyed && socket.write(chunk));
        if (!socket.destroyed) socket.once('drain', pump)
      }
      pump()
    }
    const hostile: Array<
      [string, (socket: Socket) => void, Partial<CheckOutcome>, Omit<HttpCheckInput, 'type' | 'url'>?]
    > = [
      [
        'huge headers',
        (s) => s.write(huge),
        { state: 'error', message: 'Parse Error: Header overflow', details: { code: 'HPE_HEADER_OVERFLOW' } },
      ],
      [
        'huge headers, dripped',
        (s) => {
          let at = 0
          const drip = () => {
            if (s.destroyed || at >= huge.length) return
            s.write(huge.slice(at, at + 500))
            at += 500
            setTimeout(drip, 1)
          }
          drip()
        },
        { state: 'error', message: 'Parse Error: Header overflow' },
      ],
      [
        'an invalid status line',
        (s) => s.write('HTTP/1.1 OK 200\r\n\r\n'),
        { state: 'error', message: 'Parse Error: Expected HTTP/1.x status line', retryable: true },
      ],
      [
        'not HTTP at all',
        (s) => s.end('SSH-2.0-OpenSSH_9.6\r\n\r\n'),
        { state: 'error', message: 'Parse Error: Expected HTTP/1.x status line' },
      ],
      [
        'an endless close-delimited body',
        (s) => endless(s, 'HTTP/1.1 200 OK\r\n\r\n'),
        {
          state: 'unhealthy',
          message: 'body larger than 100000 bytes',
          details: { statusCode: 200 },
          retryable: false,
        },
        { maxBodyBytes: 100_000 },
      ],
      [
        'an endless chunk',
        (s) => endless(s, 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffff\r\n'),
        { state: 'unhealthy', message: 'body larger than 1048576 bytes' },
      ],
      [
        'an endless body read for a condition',
        (s) => endless(s, 'HTTP/1.1 200 OK\r\n\r\n'),
        { state: 'unhealthy', message: 'body larger than 100000 bytes' },
        { maxBodyBytes: 100_000, bodyContains: 'ok' },
      ],
      [
        'a declared length past the cap',
        (s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 99999999\r\n\r\n'),
        { state: 'unhealthy', message: 'body larger than 1048576 bytes', details: { statusCode: 200 } },
      ],
      [
        'a reset right away',
        (s) => s.resetAndDestroy(),
        { state: 'error', details: { code: 'ECONNRESET' }, retryable: true },
      ],
      [
        'a close without an answer',
        (s) => s.end(),
        { state: 'error', message: 'socket hang up', details: { code: 'ECONNRESET' } },
      ],
      [
        'a half-close in the middle of the body',
        (s) => s.end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'),
        {
          state: 'error',
          message: 'connection closed before the answer was complete',
          details: { statusCode: 200 },
          retryable: true,
        },
      ],
      [
        'a half-close in the middle of the head',
        (s) => s.end('HTTP/1.1 200 OK\r\nContent-Le'),
        { state: 'error', message: 'socket hang up' },
      ],
      [
        'a redirect elsewhere',
        (s) => s.write('HTTP/1.1 301 Moved\r\nLocation: http://127.0.0.1:1/\r\nContent-Length: 0\r\n\r\n'),
        { state: 'unhealthy', message: 'expected status 2xx, got 301', details: { statusCode: 301 } },
        { expectedStatus: ['2xx'] },
      ],
    ]
    for (const [name, answer, expected, options] of hostile) {
      const server = await onRequest((socket) => answer(socket))
      const outcome = await run(plain, { url: `http://127.0.0.1:${server.port}/`, ...options })
      expect(outcome, name).toMatchObject(expected)
      expect(typeof outcome.message, name).toBe('string')
      // Each of these answers leaves the socket unusable: it is closed, not kept.
      if (name !== 'a redirect elsewhere') {
        expect(plain.plainSockets(), name).toEqual({ open: 0, idle: 0 })
        await rawSocketsClosed()
      }
    }
    plain.close?.()
    await rawSocketsClosed()
  })

  it('should give up on a slow drip when the check is aborted, and close the socket', async () => {
    let dripped = 0
    const server = await onRequest((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n')
      const timer = setInterval(() => {
        if (socket.destroyed) return clearInterval(timer)
        socket.write('x')
        dripped++
      }, 5)
      socket.on('close', () => clearInterval(timer))
    })
    const controller = new AbortController()
    const pending = run(plain, { url: `http://127.0.0.1:${server.port}/` }, controller.signal)
    while (dripped < 3) await new Promise((r) => setTimeout(r, 5))
    controller.abort(new Error('check of api timed out after 5000 ms'))
    expect(await pending).toEqual({
      state: 'error',
      message: 'check of api timed out after 5000 ms',
      retryable: true,
    })
    expect(plain.plainSockets()).toEqual({ open: 0, idle: 0 })
    await rawSocketsClosed()
  })

  it('should close a socket that the server sends unasked bytes on, and a connection it pipelined garbage on', async () => {
    const server = await onRequest((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokGARBAGE')
    })
    const url = `http://127.0.0.1:${server.port}/`
    expect((await run(plain, { url })).state).toBe('healthy')
    await rawSocketsClosed()
    expect(plain.plainSockets()).toEqual({ open: 0, idle: 0 })

    const later = await onRequest((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')
      setTimeout(() => !socket.destroyed && socket.write('late bytes'), 20)
    })
    expect((await run(plain, { url: `http://127.0.0.1:${later.port}/` })).state).toBe('healthy')
    expect(plain.plainSockets()).toEqual({ open: 1, idle: 1 })
    await rawSocketsClosed()
    expect(plain.plainSockets()).toEqual({ open: 0, idle: 0 })
  })

  it('should drop an idle socket the server closed, and answer a refused connection with an error', async () => {
    const server = await onRequest((socket) => {
      socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok')
    })
    expect((await run(plain, { url: `http://127.0.0.1:${server.port}/` })).state).toBe('healthy')
    await rawSocketsClosed()
    const deadline = Date.now() + 2_000
    while (plain.plainSockets().open > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
    expect(plain.plainSockets()).toEqual({ open: 0, idle: 0 })

    const refused = await run(plain, { url: `http://127.0.0.1:${await closedPort()}/` })
    expect(refused).toMatchObject({ state: 'error', retryable: true, details: { code: 'ECONNREFUSED' } })
    expect(plain.plainSockets()).toEqual({ open: 0, idle: 0 })
  })

  it('should cancel an attempt in flight through its handle and close its socket', async () => {
    const server = await onRequest(() => {})
    const plan = (plain as unknown as { prepare(t: unknown): unknown }).prepare(
      check({ url: `http://127.0.0.1:${server.port}/` }),
    )
    const outcomes: CheckOutcome[] = []
    const fast = plain as unknown as {
      start(
        p: unknown,
        c: unknown,
        done: (o: CheckOutcome) => void,
        token: unknown,
        attempt: number,
      ): { cancel(): void }
    }
    const handle = fast.start(plan, { clock: systemClock }, (o) => outcomes.push(o), undefined, 1)
    while (rawSockets.size === 0) await new Promise((r) => setTimeout(r, 5))
    handle.cancel()
    handle.cancel()
    expect(outcomes).toEqual([{ state: 'error', message: 'check cancelled', retryable: true }])
    await rawSocketsClosed()
  })
})

describe('PlainPool', () => {
  it('should keep at most maxIdlePerOrigin idle sockets and close those idle past the timeout', async () => {
    const server = await onRequest(() => {})
    let now = 0
    const pool = new PlainPool({ maxIdlePerOrigin: 2, idleTimeoutMs: 1_000, now: () => now })
    try {
      const origin = pool.origin('127.0.0.1', server.port)
      const connections = [pool.acquire(origin), pool.acquire(origin), pool.acquire(origin)]
      await Promise.all(connections.map((c) => once(c.socket, 'connect')))
      for (const c of connections) pool.release(c)
      expect(pool.stats()).toEqual({ open: 2, idle: 2 })
      // The last one returned is the next one used.
      expect(pool.acquire(origin)).toBe(connections[1])
      pool.release(connections[1]!)
      now = 900
      pool.sweep()
      expect(pool.stats()).toEqual({ open: 2, idle: 2 })
      now = 1_500
      pool.sweep()
      // connections[0] was idle since 0, connections[1] since 0 too (returned at now = 0).
      expect(pool.stats()).toEqual({ open: 0, idle: 0 })
      await rawSocketsClosed()
    } finally {
      pool.close()
    }
  })
})
