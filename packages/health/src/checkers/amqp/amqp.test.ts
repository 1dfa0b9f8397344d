import { randomBytes } from 'node:crypto'
import { systemClock } from '@noa/core'
import { afterAll, describe, expect, it } from 'vitest'
import { checkerCases } from '../../testing/checker-cases.ts'
import type { TestServer } from '../../testing/servers.ts'
import { closedPort, startSilentServer } from '../../testing/servers.ts'
import { createAmqpChecker } from './amqp.ts'
import { amqpCheckSchema } from './schema.ts'

const url = process.env.NOA_TEST_AMQP_URL
if (!url) console.warn('[@noa/health] NOA_TEST_AMQP_URL is not set: skipping the amqp checker tests')

const checker = createAmqpChecker()
const run = (input: Record<string, unknown>, signal = new AbortController().signal) =>
  checker.run(amqpCheckSchema.parse({ type: 'amqp', ...input }), { signal, clock: systemClock })

/** The test URL with another password: the broker refuses it. */
const wrong = `wrong-${randomBytes(12).toString('hex')}`
const withPassword = (password: string) => {
  const u = new URL(url!)
  u.password = password
  return u.toString()
}
const withVhost = (vhost: string) => {
  const u = new URL(url!)
  u.pathname = `/${encodeURIComponent(vhost)}`
  return u.toString()
}

const servers: TestServer[] = []
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()))
})

describe.skipIf(!url)('createAmqpChecker against the machine RabbitMQ', () => {
  it('should be healthy when its message comes back from a queue of its own, with the times', async () => {
    const outcome = await run({ url })
    expect(outcome).toMatchObject({ state: 'healthy', message: 'message received' })
    expect(outcome.details).toMatchObject({
      responseTimeMs: expect.any(Number),
      connectMs: expect.any(Number),
      roundTripMs: expect.any(Number),
      polls: expect.any(Number),
    })
  })

  it('should use a named queue, dropping the leftover of an earlier attempt, and refuse one holding others', async () => {
    const queue = `noa.test.${randomBytes(4).toString('hex')}`
    const { default: amqp } = await import('amqplib')
    const connection = await amqp.connect(url!)
    try {
      const channel = await connection.createChannel()
      await channel.assertQueue(queue, { durable: false })
      channel.sendToQueue(queue, Buffer.from('left over'), { messageId: 'noa-health-earlier' })
      await channel.close()
      const outcome = await run({ url, queue })
      expect(outcome).toMatchObject({ state: 'healthy', details: { leftoversDropped: 1 } })
      expect(await run({ url, queue })).toMatchObject({ state: 'healthy', details: { polls: 1 } })
      const other = await connection.createChannel()
      other.sendToQueue(queue, Buffer.from('a real job'), { messageId: 'job-1' })
      const refused = await run({ url, queue })
      expect(refused).toMatchObject({
        state: 'unhealthy',
        message: `queue ${queue} holds messages not from noa: give the check a queue of its own`,
      })
      // The job is back in the queue, untouched, the check's own message behind it (the next attempt drops it).
      // The broker takes the nack on its own time: ask until it has (2 s at most).
      let ready = 0
      for (let i = 0; i < 100 && ready !== 2; i++) {
        ready = (await other.checkQueue(queue)).messageCount
        if (ready !== 2) await new Promise((resolve) => setTimeout(resolve, 20))
      }
      expect(ready).toBe(2)
      await other.deleteQueue(queue)
      await other.close()
    } finally {
      await connection.close()
    }
  })

  it('should be unhealthy with the broker refusal on a wrong password, without the password', async () => {
    const outcome = await run({ url: withPassword(wrong) })
    expect(outcome.state).toBe('unhealthy')
    expect(outcome.message).toMatch(/ACCESS.REFUSED/)
    expect(JSON.stringify(outcome)).not.toContain(wrong)
  })

  it('should be unhealthy on a vhost that does not exist, and on a queue the broker refuses', async () => {
    expect(await run({ url: withVhost('noa-no-such-vhost') })).toMatchObject({ state: 'unhealthy' })
    const outcome = await run({ url, queue: 'amq.noa' })
    expect(outcome.state).toBe('unhealthy')
    expect(outcome.message).toMatch(/reserved prefix/)
  })
})

describe('createAmqpChecker without a broker', () => {
  it('should give an error on a refused port, without the password anywhere', async () => {
    const outcome = await run({ url: `amqp://noa:hunter2@127.0.0.1:${await closedPort()}` })
    expect(outcome).toMatchObject({ state: 'error', retryable: true, details: { code: 'ECONNREFUSED' } })
    expect(JSON.stringify(outcome)).not.toContain('hunter2')
  })

  it('should refuse a URL that is not amqp', () => {
    expect(amqpCheckSchema.safeParse({ type: 'amqp', url: 'http://x' }).error?.issues[0]?.message).toBe(
      'expected an amqp:// or amqps:// URL',
    )
  })
})

if (url)
  checkerCases({
    type: 'amqp',
    checker: createAmqpChecker,
    healthy: () => amqpCheckSchema.parse({ type: 'amqp', url }),
    unhealthy: () => amqpCheckSchema.parse({ type: 'amqp', url: withPassword(wrong) }),
    unreachable: async () =>
      amqpCheckSchema.parse({ type: 'amqp', url: `amqp://guest:${wrong}@127.0.0.1:${await closedPort()}` }),
    hanging: async () => {
      const server = await startSilentServer()
      servers.push(server)
      return {
        target: amqpCheckSchema.parse({
          type: 'amqp',
          url: `amqp://guest:${wrong}@127.0.0.1:${server.port}`,
        }),
        open: server.open,
      }
    },
    secret: wrong,
  })
