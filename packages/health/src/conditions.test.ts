import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CheckOutcome } from './checker.ts'
import { applyConditions, type Condition, parseCondition } from './conditions.ts'
import { parseServiceChecks } from './config.ts'
import { createHealthMonitor } from './monitor.ts'

const parsed = (...texts: string[]) => texts.map((t) => parseCondition(t) as Condition)
const healthy = (details: Record<string, unknown> = {}): CheckOutcome => ({
  state: 'healthy',
  message: 'ok',
  details,
})

describe('parseCondition', () => {
  it('should say what is wrong with a condition that does not parse', () => {
    expect(parseCondition('RESPONSE_TIME < 300')).toMatch(/^expected \[PLACEHOLDER\] <op> value/)
    expect(parseCondition('[LATENCY] < 300')).toMatch(
      /^unknown placeholder \[LATENCY\]; known: \[RESPONSE_TIME\], \[STATUS\]/,
    )
    expect(parseCondition('[STATUS].code == 200')).toBe(
      '[STATUS] has no fields; only [DETAILS] and [BODY] do',
    )
    expect(parseCondition('len([BODY] > 1')).toBe('len( without its closing )')
    expect(parseCondition('[BODY] == re(a[)')).toMatch(/^re\(a\[\) is not a regular expression: /)
    expect(parseCondition('len([BODY].items) > few')).toBe('> compares numbers and durations; found "few"')
    expect(parseCondition('[DETAILS] == 1')).toBe('expected [DETAILS].<key>, e.g. "[DETAILS].rows >= 1"')
    expect(parseCondition('[MESSAGE] < fast')).toBe('< compares numbers and durations; found "fast"')
  })
})

describe('applyConditions', () => {
  it('should leave a healthy outcome whose conditions hold as it is', () => {
    const outcome = healthy({ statusCode: 200, certDaysLeft: 30, rows: 3 })
    const conditions = parsed(
      '[STATUS] == 200',
      '[RESPONSE_TIME] < 300',
      '[CERTIFICATE_EXPIRATION] > 7d',
      '[DETAILS].rows >= 1',
    )
    expect(applyConditions(conditions, { durationMs: 120, outcome })).toBe(outcome)
  })

  it('should make it unhealthy and name each condition that failed with the value found', () => {
    const outcome = healthy({ statusCode: 200, certDaysLeft: 5 })
    const conditions = parsed(
      '[STATUS] == 200',
      '[RESPONSE_TIME] < 300ms',
      '[CERTIFICATE_EXPIRATION] > 7d',
      '[DETAILS].rows >= 1',
    )
    expect(applyConditions(conditions, { durationMs: 412, outcome })).toEqual({
      state: 'unhealthy',
      message:
        'conditions failed: [RESPONSE_TIME] < 300ms (was 412); [CERTIFICATE_EXPIRATION] > 7d (was 432000000); [DETAILS].rows >= 1 (was none)',
      details: {
        statusCode: 200,
        certDaysLeft: 5,
        failedConditions: [
          '[RESPONSE_TIME] < 300ms (was 412)',
          '[CERTIFICATE_EXPIRATION] > 7d (was 432000000)',
          '[DETAILS].rows >= 1 (was none)',
        ],
      },
      retryable: true,
    })
  })

  it('should compare text and booleans with == and !=, and leave outcomes that are not healthy alone', () => {
    const outcome = healthy({ role: 'primary', readOnly: false })
    expect(
      applyConditions(
        parsed('[DETAILS].role == primary', '[DETAILS].readOnly == false', '[MESSAGE] != "down"'),
        { durationMs: 1, outcome },
      ),
    ).toBe(outcome)
    expect(applyConditions(parsed('[DETAILS].role == "replica"'), { durationMs: 1, outcome }).message).toBe(
      'condition failed: [DETAILS].role == "replica" (was "primary")',
    )
    const down: CheckOutcome = { state: 'error', message: 'refused', retryable: true }
    expect(applyConditions(parsed('[RESPONSE_TIME] < 1'), { durationMs: 5, outcome: down })).toBe(down)
  })
})

describe('conditions on the body', () => {
  const withBody = (body: string): CheckOutcome => ({ state: 'healthy', message: 'status 200', body })
  const judge = (body: string, ...texts: string[]) =>
    applyConditions(parsed(...texts), { durationMs: 1, outcome: withBody(body) })
  const json = JSON.stringify({ status: 'UP', version: '1.4.2', items: [{ id: 7 }, { id: 9 }], errors: null })

  it('should read JSON fields and array items, with len() and has(), as Gatus does', () => {
    const holding = [
      '[BODY].status == UP',
      '[BODY].items[1].id == 9',
      'len([BODY].items) == 2',
      'len([BODY].items) > 1',
      'has([BODY].version) == true',
      'has([BODY].missing) == false',
      '[BODY].version == pat(1.4.*)',
      '[BODY].status == any(UP, DEGRADED)',
      '[BODY].version == re(^\\d+\\.\\d+\\.\\d+$)',
    ]
    for (const text of holding) expect(judge(json, text).state, text).toBe('healthy')
  })

  it('should name each body condition that fails with the value found', () => {
    const result = judge(
      json,
      '[BODY].status == DOWN',
      '[BODY].items[5].id == 1',
      '[BODY].version == pat(2.*)',
      'len([BODY].items) >= 3',
    )
    expect(result.state).toBe('unhealthy')
    expect(result.details?.failedConditions).toEqual([
      '[BODY].status == DOWN (was "UP")',
      '[BODY].items[5].id == 1 (was none)',
      '[BODY].version == pat(2.*) (was "1.4.2")',
      'len([BODY].items) >= 3 (was 2)',
    ])
  })

  it('should compare the whole body as text and show at most 100 characters of it', () => {
    expect(judge('pong', '[BODY] == pong').state).toBe('healthy')
    expect(judge('all ok here', '[BODY] == pat(*ok*)').state).toBe('healthy')
    const long = 'x'.repeat(500)
    expect(judge(long, '[BODY] == pong').message).toBe(
      `condition failed: [BODY] == pong (was "${'x'.repeat(100)}…")`,
    )
    // a body that is not JSON has no fields
    expect(judge('<html>', '[BODY].status == UP').message).toBe(
      'condition failed: [BODY].status == UP (was none)',
    )
  })
})

describe('conditions in a service', () => {
  let appStatus = 'UP'
  let server: http.Server
  let base = ''
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/status') return void res.writeHead(200).end(JSON.stringify({ status: appStatus }))
      const delay = req.url === '/slow' ? 150 : 0
      setTimeout(() => res.writeHead(200).end('ok'), delay)
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((r) => server.close(() => r())))

  it('should list every condition that does not parse, with its path', () => {
    expect(() =>
      parseServiceChecks([
        {
          name: 'api',
          check: { type: 'http', url: `${base}/` },
          conditions: ['[STATUS] == 200', '[LATENCY] < 3'],
        },
      ]),
    ).toThrow(/services\.api\.conditions\.1: unknown placeholder \[LATENCY\]/)
  })

  it('should turn a slow answer unhealthy through the monitor, after its retries, naming the condition', async () => {
    const monitor = createHealthMonitor({
      services: [
        {
          name: 'api',
          check: { type: 'http', url: `${base}/slow` },
          conditions: ['[STATUS] == 200', '[RESPONSE_TIME] < 100'],
          retries: 1,
          backoff: { initialMs: 0, jitter: 0 },
        },
        { name: 'fast', check: { type: 'http', url: `${base}/` }, conditions: ['[RESPONSE_TIME] < 2s'] },
      ],
    })
    const slow = await monitor.checkNow('api')
    expect(slow).toMatchObject({ state: 'unhealthy', attempts: 2 })
    expect(slow.message).toMatch(/^condition failed: \[RESPONSE_TIME\] < 100 \(was \d+(\.\d+)?\)$/)
    expect((await monitor.checkNow('fast')).state).toBe('healthy')
    await monitor.stop()
  })

  it('should judge the body of an http answer and keep the body out of the result', async () => {
    const monitor = createHealthMonitor({
      services: [
        {
          name: 'app',
          check: { type: 'http', url: `${base}/status` },
          conditions: ['[BODY].status == UP'],
          retries: 0,
        },
      ],
    })
    appStatus = 'UP'
    const up = await monitor.checkNow('app')
    expect(up.state).toBe('healthy')
    appStatus = 'MAINTENANCE'
    const down = await monitor.checkNow('app')
    expect(down).toMatchObject({
      state: 'unhealthy',
      message: 'condition failed: [BODY].status == UP (was "MAINTENANCE")',
    })
    for (const result of [up, down]) expect(JSON.stringify(result)).not.toContain('"body"')
    await monitor.stop()
  })

  it('should refuse [BODY] on a check that has no body, naming the condition', () => {
    expect(() =>
      parseServiceChecks([
        {
          name: 'db',
          check: { type: 'tcp', host: '127.0.0.1', port: 5432 },
          conditions: ['[RESPONSE_TIME] < 100', '[BODY] == ok'],
        },
      ]),
    ).toThrow('services.db.conditions.1: [BODY] needs an http or https check; this one is tcp')
  })
})
