import { randomBytes } from 'node:crypto'
import { systemClock } from '@noa/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkerCases } from '../../testing/checker-cases.ts'
import type { TestServer } from '../../testing/servers.ts'
import { closedPort, startSilentServer } from '../../testing/servers.ts'
import { createMysqlChecker } from './mysql.ts'
import { mysqlCheckSchema } from './schema.ts'

const url = process.env.NOA_TEST_MYSQL_URL
if (!url) console.warn('[@noa/health] NOA_TEST_MYSQL_URL is not set: skipping the mysql checker tests')

const checker = createMysqlChecker()
const run = (input: Record<string, unknown>, signal = new AbortController().signal) =>
  checker.run(mysqlCheckSchema.parse({ type: 'mysql', ...input }), { signal, clock: systemClock })

/** Runs SQL as the test URL's user (root on the machine), through the same client the checker loads. */
async function admin(sql: string): Promise<void> {
  const { default: mysql } = await import('mysql2/promise')
  const connection = await mysql.createConnection({ uri: url })
  try {
    await connection.query(sql)
  } finally {
    await connection.end()
  }
}

// A real user with a real password, so that the secret cases hold a password the server checks.
const user = `noa_check_${randomBytes(4).toString('hex')}`
const password = `pw-${randomBytes(12).toString('hex')}`
const userUrl = () => {
  const u = new URL(url!)
  u.username = user
  u.password = password
  return u.toString()
}

const servers: TestServer[] = []
// File-wide, so that the user outlives every describe block, the shared cases' included.
beforeAll(async () => {
  if (!url) return
  const database = new URL(url).pathname.slice(1) || 'test'
  for (const host of ['127.0.0.1', 'localhost']) {
    await admin(`CREATE USER IF NOT EXISTS '${user}'@'${host}' IDENTIFIED BY '${password}'`)
    await admin(`GRANT SELECT ON \`${database}\`.* TO '${user}'@'${host}'`)
  }
})
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()))
  if (url)
    for (const host of ['127.0.0.1', 'localhost']) await admin(`DROP USER IF EXISTS '${user}'@'${host}'`)
})

describe.skipIf(!url)('createMysqlChecker against the machine MariaDB', () => {
  it('should be healthy on SELECT 1 as a user with a password, with connect and query times', async () => {
    const outcome = await run({ url: userUrl() })
    expect(outcome).toMatchObject({ state: 'healthy', message: 'query succeeded' })
    expect(outcome.details).toEqual({
      responseTimeMs: expect.any(Number),
      connectMs: expect.any(Number),
      queryMs: expect.any(Number),
    })
  })

  it('should take a mariadb:// URL as the same protocol', async () => {
    expect(await run({ url: userUrl().replace(/^mysql:/, 'mariadb:') })).toMatchObject({ state: 'healthy' })
  })

  it('should be unhealthy with the server refusal on a wrong password, without the password', async () => {
    const wrong = `wrong-${randomBytes(8).toString('hex')}`
    const u = new URL(userUrl())
    u.password = wrong
    const outcome = await run({ url: u.toString() })
    expect(outcome.state).toBe('unhealthy')
    expect(outcome.message).toMatch(/^connect refused by the server: Access denied for user/)
    expect(JSON.stringify(outcome)).not.toContain(wrong)
    expect(JSON.stringify(outcome)).not.toContain(password)
  })

  it('should be unhealthy with the SQL error when the query fails', async () => {
    const outcome = await run({ url: userUrl(), query: 'SELECT * FROM noa_no_such_table' })
    expect(outcome.state).toBe('unhealthy')
    expect(outcome.message).toMatch(/noa_no_such_table/)
  })
})

describe('createMysqlChecker without a server', () => {
  it('should give an error on a refused port, without the password anywhere', async () => {
    const outcome = await run({ url: `mysql://noa:hunter2@127.0.0.1:${await closedPort()}/app` })
    expect(outcome).toMatchObject({ state: 'error', retryable: true, details: { code: 'ECONNREFUSED' } })
    expect(JSON.stringify(outcome)).not.toContain('hunter2')
  })

  it('should refuse a URL that is not mysql', () => {
    expect(mysqlCheckSchema.safeParse({ type: 'mysql', url: 'postgres://x' }).error?.issues[0]?.message).toBe(
      'expected a mysql:// or mariadb:// URL',
    )
  })
})

if (url)
  checkerCases({
    type: 'mysql',
    checker: createMysqlChecker,
    healthy: () => mysqlCheckSchema.parse({ type: 'mysql', url: userUrl() }),
    unhealthy: () =>
      mysqlCheckSchema.parse({ type: 'mysql', url: userUrl(), query: 'SELECT nope FROM nowhere' }),
    unreachable: async () =>
      mysqlCheckSchema.parse({
        type: 'mysql',
        url: `mysql://${user}:${password}@127.0.0.1:${await closedPort()}/test`,
      }),
    hanging: async () => {
      const server = await startSilentServer()
      servers.push(server)
      return {
        target: mysqlCheckSchema.parse({
          type: 'mysql',
          url: `mysql://${user}:${password}@127.0.0.1:${server.port}/test`,
        }),
        open: server.open,
      }
    },
    secret: password,
  })
