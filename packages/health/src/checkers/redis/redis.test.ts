import type { Socket } from 'node:net'
import { systemClock } from '@noa/core'
import { afterAll, describe, expect, it } from 'vitest'
import { checkerCases } from '../../testing/checker-cases.ts'
import type { TestServer } from '../../testing/servers.ts'
import { closedPort, startSilentServer, startTcpServer } from '../../testing/servers.ts'
import { createRedisChecker } from './redis.ts'
import { redisCheckSchema } from './schema.ts'

const url = process.env.NOA_TEST_REDIS_URL
if (!url) console.warn('[@noa/health] NOA_TEST_REDIS_URL is not set: skipping the redis checker tests')

const checker = createRedisChecker()
const run = (input: Record<string, unknown>, signal = new AbortController().signal) =>
  checker.run(redisCheckSchema.parse({ type: 'redis', ...input }), { signal, clock: systemClock })

// PING writes no key, so no key prefix is needed to keep runs apart.
describe.skipIf(!url)('createRedisChecker against the machine Redis', () => {
  it('should be healthy on PONG', async () => {
    expect(await run({ url })).toMatchObject({ state: 'healthy', message: 'PONG' })
  })
})

describe('createRedisChecker without a server', () => {
  const servers: TestServer[] = []
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()))
  })

  it('should give an error on a refused port, without the password anywhere', async () => {
    const outcome = await run({ url: `redis://:hunter2@127.0.0.1:${await closedPort()}` })
    expect(outcome).toMatchObject({ state: 'error', retryable: true })
    expect(outcome.message).toMatch(/ECONNREFUSED/)
    expect(JSON.stringify(outcome)).not.toContain('hunter2')
  })

  it('should destroy the connection when aborted while the server stays silent', async () => {
    let accepted!: (s: Socket) => void
    const socket = new Promise<Socket>((resolve) => {
      accepted = resolve
    })
    const server = await startTcpServer((s) => accepted(s.resume()))
    servers.push(server)
    const controller = new AbortController()
    const pending = run({ url: `redis://127.0.0.1:${server.port}` }, controller.signal)
    const serverSide = await socket
    const closed = new Promise((resolve) => serverSide.on('close', resolve))
    controller.abort(new Error('check of cache timed out after 5000 ms'))
    expect(await pending).toMatchObject({ state: 'error', message: 'check of cache timed out after 5000 ms' })
    await closed
  })

  it('should refuse a URL that is not redis', () => {
    expect(redisCheckSchema.safeParse({ type: 'redis', url: 'http://x' }).error?.issues[0]?.message).toBe(
      'expected a redis:// or rediss:// URL',
    )
  })
})

const silent: TestServer[] = []
afterAll(async () => {
  await Promise.all(silent.map((s) => s.close()))
})
checkerCases({
  type: 'redis',
  skip: !url,
  checker: createRedisChecker,
  healthy: () => redisCheckSchema.parse({ type: 'redis', url }),
  unreachable: async () =>
    redisCheckSchema.parse({ type: 'redis', url: `redis://:hunter2@127.0.0.1:${await closedPort()}` }),
  hanging: async () => {
    const server = await startSilentServer()
    silent.push(server)
    return {
      target: redisCheckSchema.parse({ type: 'redis', url: `redis://:hunter2@127.0.0.1:${server.port}` }),
      open: server.open,
    }
  },
  secret: 'hunter2',
})
