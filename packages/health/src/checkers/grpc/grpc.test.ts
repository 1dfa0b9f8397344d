import { systemClock } from '@noa/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CertFactory, createCertFactory } from '../../testing/certs.ts'
import { checkerCases } from '../../testing/checker-cases.ts'
import { startGrpcServer, type TestGrpcServer } from '../../testing/grpc-server.ts'
import { closedPort, startHttpServer, startSilentServer, type TestServer } from '../../testing/servers.ts'
import { createGrpcChecker } from './grpc.ts'
import { decodeHealthResponse, encodeHealthRequest, encodeHealthResponse } from './proto.ts'
import { grpcCheckSchema } from './schema.ts'

const checker = createGrpcChecker()
let grpc: TestGrpcServer
const closers: Array<{ close(): Promise<void> }> = []

beforeAll(async () => {
  grpc = await startGrpcServer({ '': 1, 'shop.Orders': 1, 'shop.Billing': 2, 'shop.Old': 3, 'shop.New': 0 })
  closers.push(grpc)
})
afterAll(async () => {
  checker.close?.()
  await Promise.all(closers.splice(0).map((s) => s.close()))
})

const target = (input: Record<string, unknown>) =>
  grpcCheckSchema.parse({ type: 'grpc', host: '127.0.0.1', port: grpc.port, ...input })
const run = (input: Record<string, unknown>, signal = new AbortController().signal) =>
  checker.run(target(input), { signal, clock: systemClock })

describe('createGrpcChecker', () => {
  it('should be healthy when the server or a service is SERVING', async () => {
    expect(await run({})).toMatchObject({
      state: 'healthy',
      message: 'the server is SERVING',
      details: { status: 'SERVING' },
    })
    expect(await run({ service: 'shop.Orders' })).toMatchObject({
      state: 'healthy',
      message: 'service "shop.Orders" is SERVING',
    })
  })

  it('should call NOT_SERVING, SERVICE_UNKNOWN, UNKNOWN and an unknown service unhealthy, with the status', async () => {
    expect(await run({ service: 'shop.Billing' })).toMatchObject({
      state: 'unhealthy',
      message: 'service "shop.Billing" is NOT_SERVING',
      details: { status: 'NOT_SERVING' },
      retryable: true,
    })
    expect(await run({ service: 'shop.Old' })).toMatchObject({
      state: 'unhealthy',
      message: 'service "shop.Old" is SERVICE_UNKNOWN',
    })
    expect(await run({ service: 'shop.New' })).toMatchObject({
      state: 'unhealthy',
      message: 'service "shop.New" is UNKNOWN',
    })
    expect(await run({ service: 'shop.Nope' })).toMatchObject({
      state: 'unhealthy',
      message: 'service "shop.Nope" is unknown to the health service: NOT_FOUND (unknown service)',
      details: { grpcStatus: 'NOT_FOUND' },
      retryable: false,
    })
  })

  it('should follow a status change on the server', async () => {
    grpc.statuses.set('shop.Orders', 2)
    expect((await run({ service: 'shop.Orders' })).state).toBe('unhealthy')
    grpc.statuses.set('shop.Orders', 1)
    expect((await run({ service: 'shop.Orders' })).state).toBe('healthy')
  })

  it('should call a server without the health service, or not speaking gRPC, unhealthy', async () => {
    // A grpc-js server without the health service answers UNIMPLEMENTED.
    const bare = await startGrpcServer(null)
    closers.push(bare)
    expect(await run({ port: bare.port })).toMatchObject({
      state: 'unhealthy',
      message: expect.stringMatching(/^the server has no grpc.health.v1 health service: UNIMPLEMENTED/),
    })
    const web: TestServer = await startHttpServer((_req, res) => res.end('hello'))
    closers.push(web)
    // An HTTP/1 server: the HTTP/2 preface fails; no answer is an error.
    expect((await run({ port: web.port })).state).toBe('error')
  })

  it('should check over TLS against a trusted certificate only', async () => {
    const certs: CertFactory = createCertFactory()
    try {
      const secure = await startGrpcServer({ '': 1 }, certs.leaf(['127.0.0.1'], 30))
      closers.push(secure)
      expect(await run({ port: secure.port, tls: true, ca: certs.ca.cert })).toMatchObject({
        state: 'healthy',
      })
      const untrusted = await run({ port: secure.port, tls: true })
      expect(untrusted).toMatchObject({ state: 'error', retryable: true })
      expect(untrusted.message).toMatch(/certificate/)
      // Plain text against a TLS port: no answer.
      expect((await run({ port: secure.port })).state).toBe('error')
    } finally {
      certs.remove()
    }
  })

  it('should encode and decode the health messages as protobuf does', () => {
    expect(encodeHealthRequest('')).toEqual(Buffer.alloc(0))
    expect([...encodeHealthRequest('ab')]).toEqual([0x0a, 2, 0x61, 0x62])
    expect([...encodeHealthRequest('x'.repeat(200))].slice(0, 3)).toEqual([0x0a, 0xc8, 0x01])
    expect([...encodeHealthResponse(2)]).toEqual([0x08, 2])
    expect(decodeHealthResponse(Buffer.alloc(0))).toBe(0)
    // An unknown string field before the status is skipped.
    expect(decodeHealthResponse(Buffer.from([0x12, 1, 0x41, 0x08, 1]))).toBe(1)
    expect(decodeHealthResponse(Buffer.from([0x08]))).toBeUndefined()
  })
})

checkerCases({
  type: 'grpc',
  checker: createGrpcChecker,
  healthy: () => target({ service: 'shop.Orders' }),
  unhealthy: () => target({ service: 'shop.Billing' }),
  unreachable: async () => target({ port: await closedPort() }),
  hanging: async () => {
    // Accepts and reads the HTTP/2 preface, never answers.
    const server = await startSilentServer()
    closers.push(server)
    return { target: target({ port: server.port }), open: server.open }
  },
})
