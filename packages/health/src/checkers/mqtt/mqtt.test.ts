import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { systemClock } from '@noa/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkerCases } from '../../testing/checker-cases.ts'
import { type ChildServer, installed, startChildServer } from '../../testing/child-server.ts'
import type { TestServer } from '../../testing/servers.ts'
import { closedPort, startSilentServer } from '../../testing/servers.ts'
import { createMqttChecker } from './mqtt.ts'
import { mqttCheckSchema } from './schema.ts'

const url = process.env.NOA_TEST_MQTT_URL
if (!url) console.warn('[@noa/health] NOA_TEST_MQTT_URL is not set: skipping the mqtt checker tests')

const checker = createMqttChecker()
const run = (input: Record<string, unknown>, signal = new AbortController().signal) =>
  checker.run(mqttCheckSchema.parse({ type: 'mqtt', ...input }), { signal, clock: systemClock })

const servers: TestServer[] = []
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()))
})

describe.skipIf(!url)('createMqttChecker against the machine Mosquitto', () => {
  it('should be healthy when its own QoS 1 message comes back, with connect and round-trip times', async () => {
    const outcome = await run({ url })
    expect(outcome).toMatchObject({ state: 'healthy', message: 'message received' })
    expect(outcome.details).toEqual({
      responseTimeMs: expect.any(Number),
      connectMs: expect.any(Number),
      roundTripMs: expect.any(Number),
    })
  })

  it('should be healthy on a topic given, with concurrent attempts on it apart', async () => {
    const topic = `noa/test/${randomBytes(4).toString('hex')}`
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => run({ url, topic })))
    expect(outcomes.map((o) => o.state)).toEqual(Array(5).fill('healthy'))
  })
})

// A Mosquitto of the test's own that wants a password: the real refusal, and a real secret.
const user = 'noa'
const password = `pw-${randomBytes(12).toString('hex')}`
let broker: ChildServer | undefined
let dir = ''
const brokerUrl = () => `mqtt://127.0.0.1:${broker!.port}`

const haveMosquitto = installed('mosquitto') && installed('mosquitto_passwd')
if (!haveMosquitto)
  console.warn(
    '[@noa/health] mosquitto is not installed: skipping the mqtt checker tests on a broker of their own',
  )

beforeAll(async () => {
  if (!haveMosquitto) return
  dir = mkdtempSync(join(tmpdir(), 'noa-mqtt-'))
  const passwords = join(dir, 'passwords')
  writeFileSync(passwords, '')
  execFileSync('mosquitto_passwd', ['-b', passwords, user, password])
  const config = join(dir, 'mosquitto.conf')
  broker = await startChildServer((port) => {
    writeFileSync(
      config,
      [
        `listener ${port} 127.0.0.1`,
        'allow_anonymous false',
        `password_file ${passwords}`,
        'user root',
        '',
      ].join('\n'),
    )
    return ['mosquitto', '-c', config]
  })
})
afterAll(async () => {
  await broker?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe.skipIf(!haveMosquitto)('createMqttChecker against a broker that wants a password', () => {
  it('should be healthy with the password', async () => {
    expect(await run({ url: brokerUrl(), username: user, password })).toMatchObject({ state: 'healthy' })
  })

  it('should take the credentials from the URL too', async () => {
    expect(await run({ url: `mqtt://${user}:${password}@127.0.0.1:${broker!.port}` })).toMatchObject({
      state: 'healthy',
    })
  })

  it('should be unhealthy with the refusal on a wrong password, without the password', async () => {
    const outcome = await run({ url: brokerUrl(), username: user, password: 'wrong-hunter2' })
    expect(outcome.state).toBe('unhealthy')
    expect(outcome.message).toMatch(
      /^connect refused by the broker: .*(Not authorized|Bad User Name or Password)/i,
    )
    expect(JSON.stringify(outcome)).not.toContain('hunter2')
  })
})

describe('createMqttChecker without a broker', () => {
  it('should give an error on a refused port', async () => {
    expect(await run({ url: `mqtt://127.0.0.1:${await closedPort()}` })).toMatchObject({
      state: 'error',
      retryable: true,
      details: { code: 'ECONNREFUSED' },
    })
  })

  it('should refuse a URL that is not mqtt, and a topic with a wildcard', () => {
    expect(mqttCheckSchema.safeParse({ type: 'mqtt', url: 'http://x' }).error?.issues[0]?.message).toBe(
      'expected a mqtt:// or mqtts:// URL',
    )
    expect(
      mqttCheckSchema.safeParse({ type: 'mqtt', url: 'mqtt://x', topic: 'a/#' }).error?.issues[0]?.message,
    ).toBe('a topic to publish on has no wildcard (+ or #)')
  })
})

if (haveMosquitto)
  checkerCases({
    type: 'mqtt',
    checker: createMqttChecker,
    healthy: () => mqttCheckSchema.parse({ type: 'mqtt', url: brokerUrl(), username: user, password }),
    unhealthy: () =>
      mqttCheckSchema.parse({ type: 'mqtt', url: brokerUrl(), username: user, password: `${password}x` }),
    unreachable: async () =>
      mqttCheckSchema.parse({
        type: 'mqtt',
        url: `mqtt://127.0.0.1:${await closedPort()}`,
        username: user,
        password,
      }),
    hanging: async () => {
      const server = await startSilentServer()
      servers.push(server)
      return {
        target: mqttCheckSchema.parse({
          type: 'mqtt',
          url: `mqtt://127.0.0.1:${server.port}`,
          username: user,
          password,
        }),
        open: server.open,
      }
    },
    secret: password,
  })
