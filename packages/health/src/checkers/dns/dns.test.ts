import { systemClock } from '@noa/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkerCases } from '../../testing/checker-cases.ts'
import { startDnsServer, type TestDnsServer } from '../../testing/dns-server.ts'
import { closedPort } from '../../testing/servers.ts'
import { createDnsChecker, type DnsChecker } from './dns.ts'
import { dnsCheckSchema } from './schema.ts'

let dns: TestDnsServer
const servers: TestDnsServer[] = []
const checker = createDnsChecker()

beforeAll(async () => {
  dns = await startDnsServer({
    'api.example.test': [
      { type: 'A', value: '10.0.0.10' },
      { type: 'A', value: '10.0.0.11' },
      { type: 'AAAA', value: 'fd00::10' },
    ],
    'www.example.test': [{ type: 'CNAME', value: 'api.example.test' }],
    'example.test': [
      { type: 'MX', value: { priority: 10, exchange: 'mail.example.test' } },
      { type: 'MX', value: { priority: 20, exchange: 'backup.example.test' } },
      { type: 'TXT', value: 'v=spf1 -all' },
      { type: 'TXT', value: `long=${'x'.repeat(300)}` },
    ],
  })
  servers.push(dns)
})
afterAll(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
})

const target = (input: Record<string, unknown>) =>
  dnsCheckSchema.parse({ type: 'dns', server: dns.address, ...input })
const run = (input: Record<string, unknown>, signal = new AbortController().signal) =>
  checker.run(target(input), { signal, clock: systemClock })

describe('createDnsChecker', () => {
  it('should resolve each record type against the given server', async () => {
    expect(await run({ name: 'api.example.test', expect: ['10.0.0.11'] })).toMatchObject({
      state: 'healthy',
      message: 'A api.example.test: 10.0.0.10, 10.0.0.11',
      details: { answers: ['10.0.0.10', '10.0.0.11'] },
    })
    expect(
      await run({ name: 'api.example.test', recordType: 'AAAA', expect: ['FD00:0:0:0:0:0:0:10'] }),
    ).toMatchObject({ state: 'healthy', details: { answers: ['fd00::10'] } })
    expect(
      await run({ name: 'www.example.test', recordType: 'CNAME', expect: ['API.example.test.'] }),
    ).toMatchObject({ state: 'healthy', details: { answers: ['api.example.test'] } })
    expect(await run({ name: 'www.example.test', expect: ['10.0.0.10'] })).toMatchObject({
      state: 'healthy',
    })
    expect(
      await run({
        name: 'example.test',
        recordType: 'MX',
        expect: ['mail.example.test', '20 backup.example.test'],
      }),
    ).toMatchObject({
      state: 'healthy',
      details: { answers: ['10 mail.example.test', '20 backup.example.test'] },
    })
    expect(
      await run({
        name: 'example.test',
        recordType: 'TXT',
        expect: ['v=spf1 -all', `long=${'x'.repeat(300)}`],
      }),
    ).toMatchObject({ state: 'healthy' })
  })

  it('should call missing answers, an unknown name and an empty answer unhealthy', async () => {
    expect(await run({ name: 'api.example.test', expect: ['10.0.0.10', '10.0.0.99'] })).toMatchObject({
      state: 'unhealthy',
      message: 'A api.example.test: expected 10.0.0.99, got 10.0.0.10, 10.0.0.11',
      retryable: false,
    })
    expect(await run({ name: 'nope.example.test' })).toMatchObject({
      state: 'unhealthy',
      message: 'A nope.example.test: no such name (NXDOMAIN)',
      details: { code: 'ENOTFOUND' },
    })
    expect(await run({ name: 'example.test', recordType: 'A' })).toMatchObject({
      state: 'unhealthy',
      message: 'A example.test: no record of that type',
      details: { code: 'ENODATA' },
    })
  })

  it('should give a retryable error when the server fails the query (SERVFAIL)', async () => {
    const failing = await startDnsServer({})
    servers.push(failing)
    failing.mode = 'servfail'
    expect(await run({ name: 'api.example.test', server: failing.address })).toMatchObject({
      state: 'error',
      retryable: true,
      details: { code: 'ESERVFAIL' },
    })
  })

  it('should take addresses with ports only as the server', () => {
    for (const server of ['10.0.0.2', '127.0.0.1:5353', '::1', '[fd00::53]:53'])
      expect(dnsCheckSchema.safeParse({ type: 'dns', name: 'x', server }).success, server).toBe(true)
    for (const server of ['dns.example.com', '127.0.0.1:0', '127.0.0.1:70000', '1.2.3'])
      expect(dnsCheckSchema.safeParse({ type: 'dns', name: 'x', server }).success, server).toBe(false)
    expect(dnsCheckSchema.parse({ type: 'dns', name: 'x' })).toEqual({
      type: 'dns',
      name: 'x',
      recordType: 'A',
    })
  })
})

let cased: DnsChecker | undefined
let silent: TestDnsServer | undefined
checkerCases({
  type: 'dns',
  checker: () => {
    cased = createDnsChecker()
    return cased
  },
  healthy: () => target({ name: 'api.example.test', expect: ['10.0.0.10'] }),
  unhealthy: () => target({ name: 'api.example.test', expect: ['10.9.9.9'] }),
  // Nothing listens: the port unreachable answer ends the query at once.
  unreachable: async () => target({ name: 'api.example.test', server: `127.0.0.1:${await closedPort()}` }),
  hanging: async () => {
    silent ??= await startDnsServer({})
    silent.mode = 'silent'
    servers.push(silent)
    const heard = silent.queries
    // Open while the server heard the query and the checker's resolver has not let go of it.
    return {
      target: target({ name: 'api.example.test', server: silent.address }),
      open: () => (silent!.queries > heard ? cased!.pending() : 0),
    }
  },
})
