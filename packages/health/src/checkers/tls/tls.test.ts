import https from 'node:https'
import { systemClock } from '@noa/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CertFactory, createCertFactory, type KeyPair } from '../../testing/certs.ts'
import { checkerCases } from '../../testing/checker-cases.ts'
import {
  closedPort,
  startSilentServer,
  startTcpServer,
  type TestServer,
  trackServer,
} from '../../testing/servers.ts'
import { tlsCheckSchema } from './schema.ts'
import { createTlsChecker } from './tls.ts'

const checker = createTlsChecker()
const servers: TestServer[] = []
let certs: CertFactory
let ca: string
const pairs: Record<string, KeyPair> = {}
const ports: Record<string, number> = {}

const serve = async (pair: KeyPair) => {
  const server = await trackServer(
    https.createServer({ key: pair.key, cert: pair.cert }, (_req, res) => res.end('ok')),
    'https',
  )
  servers.push(server)
  return server.port
}

beforeAll(async () => {
  certs = createCertFactory()
  ca = certs.ca.cert
  pairs.valid = certs.leaf(['127.0.0.1', 'localhost'], 90)
  pairs.warn = certs.leaf(['127.0.0.1'], 10)
  pairs.critical = certs.leaf(['127.0.0.1'], 5)
  pairs.expired = certs.leaf(['127.0.0.1'], -1)
  pairs.wrongHost = certs.leaf(['other.example', '127.0.0.2'], 90)
  pairs.selfSigned = certs.selfSigned(['127.0.0.1'], 90)
  for (const [name, pair] of Object.entries(pairs)) ports[name] = await serve(pair)
})
afterAll(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
  certs?.remove()
})

const target = (input: Record<string, unknown>) =>
  tlsCheckSchema.parse({ type: 'tls', host: '127.0.0.1', ...input })
const run = (input: Record<string, unknown>, signal = new AbortController().signal) =>
  checker.run(target(input), { signal, clock: systemClock })

describe('createTlsChecker', () => {
  it('should be healthy with the days left, dates and names of a valid certificate', async () => {
    const outcome = await run({ port: ports.valid, ca })
    expect(outcome).toMatchObject({
      state: 'healthy',
      message: 'certificate expires in 89 days',
      details: { daysLeft: 89, subject: '127.0.0.1', issuer: 'noa test CA', authorized: true },
    })
    expect(outcome.details).not.toHaveProperty('warning')
    expect(Date.parse(String(outcome.details?.validTo)) - Date.now()).toBeGreaterThan(89 * 86_400_000)
  })

  it('should send the servername as SNI and check it against the certificate', async () => {
    expect(await run({ port: ports.valid, ca, servername: 'localhost' })).toMatchObject({ state: 'healthy' })
    expect(await run({ port: ports.valid, ca, servername: 'example.org' })).toMatchObject({
      state: 'unhealthy',
      message: expect.stringMatching(/^certificate does not match example.org: /),
      retryable: false,
    })
  })

  it('should stay healthy with a warning below warnDays, and be unhealthy below criticalDays', async () => {
    expect(await run({ port: ports.warn, ca })).toMatchObject({
      state: 'healthy',
      message: 'certificate expires in 9 days (warning: fewer than 21)',
      details: { daysLeft: 9, warning: 'fewer than 21 days left' },
    })
    expect(await run({ port: ports.warn, ca, warnDays: 9 })).toMatchObject({
      state: 'healthy',
      message: 'certificate expires in 9 days',
    })
    expect(await run({ port: ports.critical, ca })).toMatchObject({
      state: 'unhealthy',
      message: 'certificate expires in 4 days, fewer than 7',
      details: { daysLeft: 4 },
      retryable: false,
    })
  })

  it('should call an expired certificate unhealthy, with its date', async () => {
    const outcome = await run({ port: ports.expired, ca })
    expect(outcome).toMatchObject({
      state: 'unhealthy',
      message: expect.stringMatching(/^certificate expired on \d{4}-\d\d-\d\dT/),
      details: { daysLeft: -1, authorized: false, authorizationError: 'CERT_HAS_EXPIRED' },
    })
  })

  it('should call a certificate for another host unhealthy, and say which names it has', async () => {
    expect(await run({ port: ports.wrongHost, ca })).toMatchObject({
      state: 'unhealthy',
      message: "certificate does not match 127.0.0.1: IP: 127.0.0.1 is not in the cert's list: 127.0.0.2",
    })
  })

  it('should call an untrusted chain unhealthy, and a self-signed one only unless allowed', async () => {
    expect(await run({ port: ports.valid })).toMatchObject({
      state: 'unhealthy',
      message: 'certificate not trusted: UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      details: { authorized: false },
    })
    expect(await run({ port: ports.selfSigned })).toMatchObject({
      state: 'unhealthy',
      message: 'certificate not trusted: DEPTH_ZERO_SELF_SIGNED_CERT',
    })
    expect(await run({ port: ports.selfSigned, allowSelfSigned: true })).toMatchObject({
      state: 'healthy',
      details: { daysLeft: 89, authorized: false, authorizationError: 'DEPTH_ZERO_SELF_SIGNED_CERT' },
    })
  })

  it('should give a retryable error when the server does not speak TLS', async () => {
    const server = await startTcpServer((s) => s.end('SSH-2.0-OpenSSH_9.6\r\n'))
    servers.push(server)
    const outcome = await run({ port: server.port })
    expect(outcome).toMatchObject({ state: 'error', retryable: true })
    expect(outcome.message).toBeTruthy()
  })

  it('should refuse warnDays below criticalDays and default the port to 443', () => {
    expect(
      tlsCheckSchema
        .safeParse({ type: 'tls', host: 'x', criticalDays: 10, warnDays: 5 })
        .error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
    ).toEqual(['warnDays: warnDays must be at least criticalDays'])
    expect(tlsCheckSchema.parse({ type: 'tls', host: 'x' })).toEqual({
      type: 'tls',
      host: 'x',
      port: 443,
      criticalDays: 7,
      warnDays: 21,
      allowSelfSigned: false,
    })
  })
})

checkerCases({
  type: 'tls',
  checker: createTlsChecker,
  healthy: () => target({ port: ports.valid, ca }),
  unhealthy: () => target({ port: ports.expired, ca }),
  unreachable: async () => target({ port: await closedPort() }),
  hanging: async () => {
    // Accepts, reads the ClientHello and never answers it.
    const server = await startSilentServer()
    servers.push(server)
    return { target: target({ port: server.port }), open: server.open }
  },
})
