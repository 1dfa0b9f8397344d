import { randomBytes } from 'node:crypto'
import { systemClock } from '@noa/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkerCases } from '../../testing/checker-cases.ts'
import { type ChildServer, installed, startChildServer } from '../../testing/child-server.ts'
import type { TestServer } from '../../testing/servers.ts'
import { closedPort, startSilentServer, startTcpServer } from '../../testing/servers.ts'
import { createNatsChecker } from './nats.ts'
import { natsCheckSchema } from './schema.ts'

const url = process.env.NOA_TEST_NATS_URL
if (!url)
  console.warn(
    '[@noa/health] NOA_TEST_NATS_URL is not set: skipping the nats checker tests against the machine NATS',
  )

const checker = createNatsChecker()
// A check that never answers fails with what it saw by then, instead of at the test's time limit.
const run = (input: Record<string, unknown>, signal = AbortSignal.timeout(10_000)) =>
  checker.run(natsCheckSchema.parse({ type: 'nats', ...input }), { signal, clock: systemClock })

const servers: TestServer[] = []
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()))
})

describe.skipIf(!url)('createNatsChecker against the machine NATS', () => {
  it('should be healthy when it answers its own request, with the times and the server version', async () => {
    const outcome = await run({ url })
    expect(outcome).toMatchObject({ state: 'healthy', message: 'reply received' })
    expect(outcome.details).toEqual({
      responseTimeMs: expect.any(Number),
      connectMs: expect.any(Number),
      roundTripMs: expect.any(Number),
      serverVersion: expect.stringMatching(/^\d+\.\d+/),
    })
  })

  it('should keep concurrent attempts on one subject apart', async () => {
    const subject = `noa.test.${randomBytes(4).toString('hex')}`
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => run({ url, subject })))
    expect(outcomes.map((o) => o.state)).toEqual(Array(5).fill('healthy'))
  })
})

// nats-servers of the test's own that want credentials: the real refusal, and a real secret.
const user = 'noa'
const password = `pw-${randomBytes(12).toString('hex')}`
const token = `tk-${randomBytes(12).toString('hex')}`
let withPassword: ChildServer | undefined
let withToken: ChildServer | undefined
const local = (server: ChildServer | undefined) => `nats://127.0.0.1:${server!.port}`

const haveNats = installed('nats-server')
if (!haveNats)
  console.warn(
    '[@noa/health] nats-server is not installed: skipping the nats checker tests on servers of their own',
  )

beforeAll(async () => {
  if (!haveNats) return
  ;[withPassword, withToken] = await Promise.all([
    startChildServer((port) => [
      'nats-server',
      '-a',
      '127.0.0.1',
      '-p',
      String(port),
      '--user',
      user,
      '--pass',
      password,
    ]),
    startChildServer((port) => ['nats-server', '-a', '127.0.0.1', '-p', String(port), '--auth', token]),
  ])
})
afterAll(async () => {
  await Promise.all([withPassword?.close(), withToken?.close()])
})

describe.skipIf(!haveNats)('createNatsChecker against servers that want credentials', () => {
  it('should be healthy with the user and password, given apart or in the URL', async () => {
    expect(await run({ url: local(withPassword), user, password })).toMatchObject({ state: 'healthy' })
    expect(await run({ url: `nats://${user}:${password}@127.0.0.1:${withPassword!.port}` })).toMatchObject({
      state: 'healthy',
    })
  })

  it('should be healthy with the token, and unhealthy with the refusal without it', async () => {
    expect(await run({ url: local(withToken), token })).toMatchObject({ state: 'healthy' })
    expect(await run({ url: local(withToken) })).toMatchObject({
      state: 'unhealthy',
      message: 'refused by the server (auth): Authorization Violation',
    })
  })

  it('should be unhealthy on a wrong password, without the password', async () => {
    const outcome = await run({ url: local(withPassword), user, password: 'wrong-hunter2' })
    expect(outcome).toMatchObject({
      state: 'unhealthy',
      message: 'refused by the server (auth): Authorization Violation',
    })
    expect(JSON.stringify(outcome)).not.toContain('hunter2')
  })
})

describe('createNatsChecker without a server', () => {
  it('should give an error on a refused port', async () => {
    expect(await run({ url: `nats://127.0.0.1:${await closedPort()}` })).toMatchObject({
      state: 'error',
      retryable: true,
      details: { code: 'ECONNREFUSED' },
    })
  })

  it('should give an error on a server that does not speak NATS', async () => {
    const server = await startTcpServer((s) => s.end('SSH-2.0-OpenSSH_9.2\r\n'))
    servers.push(server)
    expect(await run({ url: `nats://127.0.0.1:${server.port}` })).toMatchObject({
      state: 'error',
      message: 'not a NATS server: unexpected "SSH-2.0-OpenSSH_9.2"',
    })
  })

  it('should refuse a bad URL, a subject with a wildcard, and a token with a password', () => {
    const issues = (input: Record<string, unknown>) =>
      natsCheckSchema
        .safeParse({ type: 'nats', url: 'nats://x', ...input })
        .error?.issues.map((i) => i.message)
    expect(issues({ url: 'http://x' })).toEqual(['expected a nats:// URL'])
    expect(issues({ subject: 'a.>' })).toEqual([
      'expected a subject without wildcards or spaces, e.g. noa.health',
    ])
    expect(issues({ token: 't', password: 'p' })).toEqual(['give a token or a user and password, not both'])
  })
})

if (haveNats)
  checkerCases({
    type: 'nats',
    checker: createNatsChecker,
    healthy: () => natsCheckSchema.parse({ type: 'nats', url: local(withPassword), user, password }),
    unhealthy: () =>
      natsCheckSchema.parse({ type: 'nats', url: local(withPassword), user, password: `${password}x` }),
    unreachable: async () =>
      natsCheckSchema.parse({ type: 'nats', url: `nats://127.0.0.1:${await closedPort()}`, user, password }),
    hanging: async () => {
      const server = await startSilentServer()
      servers.push(server)
      return {
        target: natsCheckSchema.parse({
          type: 'nats',
          url: `nats://127.0.0.1:${server.port}`,
          user,
          password,
        }),
        open: server.open,
      }
    },
    secret: password,
  })
