import type { Socket } from 'node:net'
import { createId, systemClock } from '@noa/core'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkerCases } from '../../testing/checker-cases.ts'
import type { TestServer } from '../../testing/servers.ts'
import { closedPort, startSilentServer, startTcpServer } from '../../testing/servers.ts'
import { createPostgresChecker } from './postgres.ts'
import { postgresCheckSchema } from './schema.ts'

const url = process.env.NOA_TEST_POSTGRES_URL
if (!url) console.warn('[@noa/health] NOA_TEST_POSTGRES_URL is not set: skipping the postgres checker tests')

const checker = createPostgresChecker()
const run = (input: Record<string, unknown>, signal = new AbortController().signal) =>
  checker.run(postgresCheckSchema.parse({ type: 'postgres', ...input }), { signal, clock: systemClock })

describe.skipIf(!url)('createPostgresChecker against the machine PostgreSQL', () => {
  const schema = `noa_health_${createId()
    .replace(/[^a-z0-9]/gi, '')
    .toLowerCase()}`
  const admin = new pg.Client({ connectionString: url })

  beforeAll(async () => {
    await admin.connect()
    await admin.query(`CREATE SCHEMA ${schema}`)
    await admin.query(`CREATE TABLE ${schema}.probe (id int)`)
  })
  afterAll(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
    await admin.end()
  })

  it('should be healthy after SELECT 1 and after a custom query in its own schema', async () => {
    expect(await run({ url })).toMatchObject({ state: 'healthy', message: 'query succeeded' })
    expect((await run({ url, query: `SELECT count(*) FROM ${schema}.probe` })).state).toBe('healthy')
  })

  it('should call an SQL error unhealthy: the server answered', async () => {
    const outcome = await run({ url, query: `SELECT * FROM ${schema}.missing` })
    expect(outcome).toMatchObject({ state: 'unhealthy', details: { code: '42P01' } })
    expect(outcome.message).toBe(`relation "${schema}.missing" does not exist`)
  })
})

describe('createPostgresChecker without a server', () => {
  const servers: TestServer[] = []
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()))
  })

  it('should give an error on a refused port, without the password anywhere', async () => {
    const port = await closedPort()
    const outcome = await run({ url: `postgres://noa:hunter2@127.0.0.1:${port}/app` })
    expect(outcome).toMatchObject({ state: 'error', retryable: true, details: { code: 'ECONNREFUSED' } })
    expect(JSON.stringify(outcome)).not.toContain('hunter2')
  })

  it('should destroy the socket when aborted while the server stays silent', async () => {
    let accepted!: (s: Socket) => void
    const socket = new Promise<Socket>((resolve) => {
      accepted = resolve
    })
    const server = await startTcpServer((s) => accepted(s.resume()))
    servers.push(server)
    const controller = new AbortController()
    const pending = run({ url: `postgres://noa:hunter2@127.0.0.1:${server.port}/app` }, controller.signal)
    const serverSide = await socket
    const closed = new Promise((resolve) => serverSide.on('close', resolve))
    controller.abort(new Error('check of db timed out after 5000 ms'))
    expect(await pending).toMatchObject({ state: 'error', message: 'check of db timed out after 5000 ms' })
    await closed
  })
})

const silent: TestServer[] = []
afterAll(async () => {
  await Promise.all(silent.map((s) => s.close()))
})
const target = (url: string) => postgresCheckSchema.parse({ type: 'postgres', url })
checkerCases({
  type: 'postgres',
  skip: !url,
  checker: createPostgresChecker,
  healthy: () => target(url!),
  // An SQL error: the server answered, unexpectedly.
  unhealthy: () =>
    postgresCheckSchema.parse({ type: 'postgres', url, query: 'SELECT * FROM no_such_table_here' }),
  unreachable: async () => target(`postgres://noa:hunter2@127.0.0.1:${await closedPort()}/noa`),
  hanging: async () => {
    const server = await startSilentServer()
    silent.push(server)
    return { target: target(`postgres://noa:hunter2@127.0.0.1:${server.port}/noa`), open: server.open }
  },
  secret: 'hunter2',
})
