import { once } from 'node:events'
import type { Socket } from 'node:net'
import { systemClock } from '@noa/core'
import { afterEach, describe, expect, it } from 'vitest'
import { checkerCases } from '../../testing/checker-cases.ts'
import type { TestServer } from '../../testing/servers.ts'
import { closedPort, startSilentServer, startTcpServer } from '../../testing/servers.ts'
import { tcpCheckSchema } from './schema.ts'
import { createTcpChecker } from './tcp.ts'

const checker = createTcpChecker()
const servers: TestServer[] = []
const serve = async (onSocket: (s: Socket) => void) => {
  const server = await startTcpServer(onSocket)
  servers.push(server)
  return server
}
const run = (input: Record<string, unknown>, signal = new AbortController().signal) =>
  checker.run(tcpCheckSchema.parse({ type: 'tcp', host: '127.0.0.1', ...input }), {
    signal,
    clock: systemClock,
  })

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
})

describe('createTcpChecker', () => {
  it('should be healthy when the port accepts a connection', async () => {
    const server = await serve(() => {})
    expect(await run({ port: server.port })).toMatchObject({ state: 'healthy', message: 'connected' })
  })

  it('should send a line and expect an answer', async () => {
    const server = await serve((s) =>
      s.on('data', (d) => s.write(String(d).startsWith('PING') ? '+PONG\r\n' : '-ERR\r\n')),
    )
    expect(await run({ port: server.port, send: 'PING\r\n', expect: 'PONG' })).toMatchObject({
      state: 'healthy',
      message: 'answer contains "PONG"',
    })
    expect(await run({ port: server.port, send: 'HELLO\r\n', expect: 'PONG', maxBytes: 3 })).toEqual({
      state: 'unhealthy',
      message: 'no "PONG" in the first 3 bytes',
      retryable: false,
    })
  })

  it('should call a connection closed without the expected text unhealthy', async () => {
    const server = await serve((s) => s.end('hello\n'))
    expect(await run({ port: server.port, expect: 'READY' })).toEqual({
      state: 'unhealthy',
      message: 'connection closed without "READY" in the answer',
      details: { answer: 'hello\n' },
      retryable: true,
    })
  })

  it('should give an error on a refused port and close the socket on abort', async () => {
    expect(await run({ port: await closedPort() })).toMatchObject({
      state: 'error',
      details: { code: 'ECONNREFUSED' },
    })
    let accepted!: (s: Socket) => void
    const socket = new Promise<Socket>((resolve) => {
      accepted = resolve
    })
    const server = await serve((s) => accepted(s))
    const controller = new AbortController()
    const pending = run({ port: server.port, expect: 'never' }, controller.signal)
    const serverSide = await socket
    const closed = once(serverSide, 'close')
    controller.abort(new Error('timed out'))
    expect(await pending).toMatchObject({ state: 'error', message: 'timed out' })
    await closed
  })

  it('should report a bad port and send without expect together', () => {
    const parsed = tcpCheckSchema.safeParse({ type: 'tcp', host: 'x', port: 70_000, send: 'a' })
    expect(parsed.error?.issues.map((i) => i.path.join('.'))).toEqual(['port', 'expect'])
    expect(
      tcpCheckSchema
        .safeParse({ type: 'tcp', host: 'x', port: 1, send: 'a' })
        .error?.issues.map((i) => i.message),
    ).toEqual(['send needs expect (what the answer must contain)'])
  })
})

checkerCases({
  type: 'tcp',
  checker: createTcpChecker,
  healthy: async () =>
    tcpCheckSchema.parse({ type: 'tcp', host: '127.0.0.1', port: (await serve(() => {})).port }),
  unhealthy: async () =>
    tcpCheckSchema.parse({
      type: 'tcp',
      host: '127.0.0.1',
      port: (await serve((s) => s.end('-ERR\r\n'))).port,
      send: 'PING\r\n',
      expect: 'PONG',
    }),
  unreachable: async () => tcpCheckSchema.parse({ type: 'tcp', host: '127.0.0.1', port: await closedPort() }),
  hanging: async () => {
    const server = await startSilentServer()
    servers.push(server)
    const target = tcpCheckSchema.parse({
      type: 'tcp',
      host: '127.0.0.1',
      port: server.port,
      expect: 'never',
    })
    return { target, open: server.open }
  },
})
