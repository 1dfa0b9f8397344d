import { type ConfigError, isConfigError } from '@noa/core'
import { describe, expect, it } from 'vitest'
import { parseServiceChecks, serviceCheckSchema } from './config.ts'

const http = (url: string) => ({ type: 'http', url })

function configError(input: unknown): ConfigError {
  try {
    parseServiceChecks(input)
  } catch (error) {
    if (isConfigError(error)) return error
    throw error
  }
  throw new Error('expected a ConfigError')
}

describe('parseServiceChecks', () => {
  it('should need only a name and a URL, and apply the documented defaults', () => {
    const [service] = parseServiceChecks([
      { name: 'mcp-server', check: http('http://localhost:8001/health') },
    ])
    expect(service).toEqual({
      name: 'mcp-server',
      check: {
        type: 'http',
        url: 'http://localhost:8001/health',
        method: 'GET',
        headers: {},
        expectedStatus: ['200-399'],
        json: [],
        maxBodyBytes: 1_048_576,
        tls: { rejectUnauthorized: true },
      },
      interval: 30_000,
      timeout: 5_000,
      retries: 3,
      backoff: { initialMs: 1_000, maxMs: 10_000, factor: 2, jitter: 0.2 },
      critical: true,
      dependsOn: [],
      failureThreshold: 1,
      successThreshold: 1,
      flapping: { windowMs: 600_000, limit: 5 },
      conditions: [],
    })
  })

  it('should refuse keys it does not know, at every level, with the key they are a typo of', () => {
    const error = configError([
      {
        name: 'a',
        check: { type: 'http', url: 'http://x/', hedaers: {}, tls: { rejectUnauthorised: false } },
        critcal: true,
        backoff: { initialMs: 1, maxMS: 2 },
        color: 'red',
      },
    ])
    expect(error.issues).toEqual([
      {
        path: 'services.a.check.tls.rejectUnauthorised',
        message: 'unknown key; did you mean rejectUnauthorized?',
      },
      { path: 'services.a.check.hedaers', message: 'unknown key; did you mean headers?' },
      { path: 'services.a.backoff.maxMS', message: 'unknown key; did you mean maxMs?' },
      { path: 'services.a.critcal', message: 'unknown key; did you mean critical?' },
      {
        path: 'services.a.color',
        message:
          'unknown key; allowed: name, check, interval, timeout, retries, backoff, critical, dependsOn, failureThreshold, successThreshold, flapping, conditions',
      },
    ])
  })

  it('should take only names that cannot leave a folder, and show a bad one by its index', () => {
    const check = http('http://localhost:8001/health')
    const ok = ['mcp-server', 'a', 'svc.v2_blue', '...', 'x'.repeat(64)]
    expect(parseServiceChecks(ok.map((name) => ({ name, check }))).map((s) => s.name)).toEqual(ok)
    const bad = ['../../../../tmp/x', '.', '..', 'a/b', 'a\\b', 'my service', '', 'x'.repeat(65), 'ünï']
    const error = configError(bad.map((name) => ({ name, check })))
    expect(error.issues).toEqual(
      bad.map((name, i) => ({
        path: `services.${i}.name`,
        message: `expected 1 to 64 letters, digits, ".", "_" or "-", not "." or ".."; found ${JSON.stringify(name.length > 60 ? `${name.slice(0, 57)}...` : name)}`,
      })),
    )
  })

  it('should refuse every problem at once, naming the service and the field', () => {
    const error = configError([
      { name: 'a', check: { type: 'htp', url: 'x' }, interval: -5 },
      { name: 'b', check: http('not a url'), interval: 1000, timeout: 2000 },
      { name: 'c', check: http('http://localhost:8001/health'), dependsOn: ['d', 'zz'] },
      { name: 'd', check: { type: 'postgres', url: 'mysql://u:secret@db/x' }, dependsOn: ['c'] },
      { name: 'e', check: { type: 'http', url: 'http://x/', minCertDays: 3 }, dependsOn: ['e'] },
      { name: 'c', check: http('http://localhost:8002/health') },
    ])
    expect(error.message).toBe(
      [
        'services.a.check.type: unknown checker type "htp"; allowed: http, https, tcp, command, process, postgres, redis, push, tls, dns, grpc, mysql, amqp, mqtt, nats',
        'services.a.interval: Too small: expected number to be >0; found -5',
        'services.b.check.url: expected an http:// or https:// URL; found "not a url"',
        'services.b.timeout: must not be longer than interval (1000 ms); found 2000',
        'services.d.check.url: expected a postgres:// or postgresql:// URL; found "mysql://u:***@db/x"',
        'services.e.check.minCertDays: minCertDays needs an https:// URL',
        'services.c.name: duplicate service name "c"',
        'services.c.dependsOn.1: unknown service "zz"; known: a, b, c, d, e',
        'services.c.dependsOn: dependency cycle c -> d -> c',
        'services.e.dependsOn: dependency cycle e -> e',
      ].join('\n'),
    )
    expect(error.message).not.toContain('secret')
  })

  it('should name a longer cycle in order', () => {
    const error = configError([
      { name: 'ui-server', check: http('http://localhost:9200/health'), dependsOn: ['mcp-server'] },
      { name: 'mcp-server', check: http('http://localhost:8001/health'), dependsOn: ['claude-flow'] },
      { name: 'claude-flow', check: http('http://localhost:9100/health'), dependsOn: ['ui-server'] },
    ])
    expect(error.issues).toEqual([
      {
        path: 'services.ui-server.dependsOn',
        message: 'dependency cycle ui-server -> mcp-server -> claude-flow -> ui-server',
      },
    ])
  })

  it('should accept the seed dependency map and name services by index when they have no name', () => {
    expect(
      parseServiceChecks([
        { name: 'claude-flow', check: http('http://localhost:9100/health') },
        { name: 'mcp-server', check: http('http://localhost:8001/health'), dependsOn: ['claude-flow'] },
        { name: 'ui-server', check: http('http://localhost:9200/health'), dependsOn: ['mcp-server'] },
      ]).map((s) => s.dependsOn),
    ).toEqual([[], ['claude-flow'], ['mcp-server']])
    expect(configError([{ check: http('http://x/') }]).issues).toEqual([
      { path: 'services.0.name', message: 'Invalid input: expected string, received undefined' },
    ])
    expect(configError({}).message).toBe('services: expected an array of services')
  })

  it('should refuse backoff maxMs below initialMs', () => {
    const parsed = serviceCheckSchema.safeParse({
      name: 'a',
      check: http('http://x/'),
      backoff: { initialMs: 5000, maxMs: 100 },
    })
    expect(parsed.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'backoff.maxMs: must be >= backoff.initialMs',
    ])
  })
})
