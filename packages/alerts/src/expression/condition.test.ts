import type { MetricSnapshot } from '@noa/core'
import { describe, expect, it } from 'vitest'
import type { ServiceScope } from '../context.ts'
import { compileCondition } from './condition.ts'
import { ExpressionError, parseExpression } from './parse.ts'

const snapshot: MetricSnapshot = {
  timestamp: '2025-10-22T22:00:00.000Z',
  system: {
    cpu: { usage: { average: 93 } },
    memory: { usagePercent: 67.8 },
    disk: { usagePercent: 50 },
    loadAverage: [1, 2, 3],
    uptime: 100,
  },
  application: {
    requests: { total: 1000, errors: 80, errorRate: 0.08 },
    latency: { average: 120, p50: 100, p95: 250, p99: 500, max: 900 },
    throughput: { requestsPerSecond: 20 },
    process: { heapUsed: 10, rss: 20, eventLoopLag: 3 },
  },
  business: { activeUsers: 42 },
  custom: { queue_depth: 7 },
  services: { api: { requests: { errorRate: 0.2 }, business: { activeUsers: 3 } } },
}

const samples = [
  { name: 'http_requests_total', labels: { status: '5xx', method: 'GET' }, value: 3 },
  { name: 'http_requests_total', labels: { status: '5xx', method: 'POST' }, value: 4 },
  { name: 'http_requests_total', labels: { status: '2xx', method: 'GET' }, value: 100 },
]

const api: ServiceScope = {
  name: 'api',
  health: { state: 'error', critical: true, failures: 3 },
  blockedBy: ['db'],
  application: snapshot.services?.api,
}

const run = (source: string, service?: ServiceScope, snap: MetricSnapshot | null = snapshot) =>
  compileCondition(source, 'r').evaluate({ snapshot: snap ?? undefined, service, samples })

describe('parseExpression', () => {
  it('should bind && tighter than || and comparisons tighter than &&', () => {
    const ast = parseExpression('a > 1 || b < 2 && !c', 'r')
    expect(ast).toMatchObject({
      kind: 'binary',
      op: '||',
      left: { op: '>', left: { name: 'a' } },
      right: { op: '&&', left: { op: '<' }, right: { kind: 'unary', op: '!' } },
    })
  })

  it('should read durations as milliseconds', () => {
    expect(parseExpression('5m', 'r')).toEqual({ kind: 'number', value: 300_000, column: 1 })
    expect(parseExpression('30s', 'r')).toMatchObject({ value: 30_000 })
    expect(parseExpression('250ms', 'r')).toMatchObject({ value: 250 })
    expect(parseExpression('1.5h', 'r')).toMatchObject({ value: 5_400_000 })
  })

  it('should parse selectors with label matchers', () => {
    expect(parseExpression('http_requests_total{status="5xx", method!~"P.*",}', 'r')).toEqual({
      kind: 'selector',
      name: 'http_requests_total',
      column: 1,
      matchers: [
        { label: 'status', op: '=', value: '5xx' },
        { label: 'method', op: '!~', value: 'P.*' },
      ],
    })
  })

  it.each([
    ['error_rate > ', 'rule "high-error-rate": unexpected end of condition at column 14'],
    ['(cpu_usage > 0.9', 'rule "high-error-rate": expected ")" but found end of condition at column 17'],
    ['cpu_usage >> 1', 'rule "high-error-rate": unexpected ">" at column 12'],
    ['cpu_usage # 1', 'rule "high-error-rate": unexpected character "#" at column 11'],
    ['x{a=1}', 'rule "high-error-rate": expected a quoted label value but found "1" at column 5'],
    ['x{a~"1"}', 'rule "high-error-rate": unexpected character "~" at column 4'],
    ['x{a=~"("}', 'rule "high-error-rate": invalid regular expression "(" at column 6'],
    ['x{a="1" b="2"}', 'rule "high-error-rate": expected "," or "}" but found "b" at column 9'],
    ['x{"a"="1"}', 'rule "high-error-rate": expected a label name but found ""a"" at column 3'],
    ['x{a > "1"}', 'rule "high-error-rate": expected one of = != =~ !~ but found ">" at column 5'],
    ['"open', 'rule "high-error-rate": unterminated string at column 1'],
    ['1 2', 'rule "high-error-rate": unexpected "2" at column 3'],
    ['', 'rule "high-error-rate": empty condition at column 1'],
    ['5xx > 1', 'rule "high-error-rate": malformed number "5xx" at column 1'],
    [') > 1', 'rule "high-error-rate": unexpected ")" at column 1'],
  ])('should name the rule and column for %j', (source, message) => {
    const error = (() => {
      try {
        parseExpression(source, 'high-error-rate')
      } catch (e) {
        return e
      }
    })() as ExpressionError
    expect(error).toBeInstanceOf(ExpressionError)
    expect(error.message).toBe(message)
    expect(error.rule).toBe('high-error-rate')
  })
})

describe('compileCondition', () => {
  it('should evaluate the seed conditions over the snapshot, with percentages as fractions', () => {
    expect(run('error_rate > 0.05')).toEqual({ holds: true, known: true, value: 0.08 })
    expect(run('cpu_usage > 0.90')).toEqual({ holds: true, known: true, value: 0.93 })
    expect(run('memory_usage > 0.85')).toEqual({ holds: false, known: true })
    expect(run('avg_latency > 1000')).toEqual({ holds: false, known: true })
    expect(run('health_check_failed && critical', api)).toEqual({ holds: true, known: true })
  })

  it('should mark conditions that read health facts as per-service', () => {
    expect(compileCondition('health_check_failed && critical', 'r').scope).toBe('service')
    expect(compileCondition('health_check_failed && critical', 'r').readsHealth).toBe(true)
    expect(compileCondition('error_rate > 0.1', 'r').readsHealth).toBe(false)
    expect(compileCondition('error_rate > 0.05', 'r').scope).toBe('global')
  })

  it('should read application values of the service in a per-service evaluation', () => {
    expect(run('error_rate > 0.1 && critical', api)).toEqual({ holds: true, known: true, value: 0.2 })
    expect(run('business.activeUsers == 3', api)).toEqual({ holds: true, known: true, value: 3 })
    expect(run('business.activeUsers == 42')).toEqual({ holds: true, known: true, value: 42 })
    expect(run('custom.queue_depth >= 7')).toEqual({ holds: true, known: true, value: 7 })
  })

  it('should read every named snapshot field', () => {
    const names = [
      'request_total',
      'request_errors',
      'request_rate',
      'p50_latency',
      'p95_latency',
      'p99_latency',
      'max_latency',
      'heap_used',
      'rss',
      'event_loop_lag',
      'disk_usage',
      'load_average',
      'load_average_5m',
      'load_average_15m',
      'uptime',
    ]
    const values = names.map((n) => run(`${n} > -1`).value)
    expect(values).toEqual([1000, 80, 20, 100, 250, 500, 900, 10, 20, 3, 0.5, 1, 2, 3, 100])
  })

  it('should read health facts of the service', () => {
    expect(run('state == "error" && !healthy && dependency_down && failures >= 3', api).holds).toBe(true)
    expect(run('degraded || healing_failed', api).holds).toBe(false)
    expect(run('degraded', { ...api, health: { state: 'healthy', degraded: true } }).holds).toBe(true)
  })

  it('should sum samples matched by a selector', () => {
    expect(run('http_requests_total{status="5xx"} > 5')).toEqual({ holds: true, known: true, value: 7 })
    expect(run('http_requests_total{status=~"5..", method!="GET"} == 4').holds).toBe(true)
    expect(run('http_requests_total{status!~"5.."} == 100').holds).toBe(true)
    expect(run('{__name__="x"} > 0').holds).toBe(false)
    expect(run('{method="GET"} == 103').holds).toBe(true)
  })

  it('should do arithmetic and refuse division by zero as absent', () => {
    expect(run('request_errors / request_total * 100 + 1 - 1 == 8').holds).toBe(true)
    expect(run('-error_rate < 0').holds).toBe(true)
    expect(run('request_total / 0 > 1 || request_total / 0 <= 1').holds).toBe(false)
  })

  it('should never treat an absent value as 0', () => {
    const empty: MetricSnapshot = { timestamp: '', system: {}, application: {}, business: {}, custom: {} }
    expect(run('error_rate < 0.05', undefined, empty).holds).toBe(false)
    expect(run('!(error_rate > 0.05)', undefined, empty).holds).toBe(false)
    expect(run('error_rate == 0', undefined, null).holds).toBe(false)
    expect(run('cpu_usage < 1', undefined, null)).toEqual({ holds: false, known: false })
    expect(run('missing_metric < 1').holds).toBe(false)
    expect(run('-missing_metric < 1').holds).toBe(false)
    expect(run('critical').holds).toBe(false)
  })

  it('should use three-valued logic for && and || with absent values', () => {
    expect(run('missing || cpu_usage > 0.9').holds).toBe(true)
    expect(run('cpu_usage > 0.9 || missing').holds).toBe(true)
    expect(run('missing && cpu_usage > 0.9').holds).toBe(false)
    expect(run('!(missing && cpu_usage > 2)').holds).toBe(true)
    expect(run('!(missing || cpu_usage > 2)').holds).toBe(false)
    expect(run('!(cpu_usage > 2 || false)').holds).toBe(true)
    expect(run('!(true && missing)').holds).toBe(false)
  })

  it('should treat mismatched types as absent and accept numbers and strings as truth values', () => {
    expect(run('state > 1', api).holds).toBe(false)
    expect(run('true > false').holds).toBe(false)
    expect(run('true == true && 1 && "x" && !""').holds).toBe(true)
    expect(run('"a" < "b"').holds).toBe(true)
    expect(run('\'it\\\'s\' == "it\'s" && "a\\tb\\nc" != "x"').holds).toBe(true)
    expect(run('true + 1 > 0').holds).toBe(false)
  })

  it('should warn about names that are not snapshot fields and evaluate them as absent', () => {
    const c = compileCondition('cpu_usag > 0.9 && foo.bar', 'cpu')
    expect(c.warnings).toEqual([
      'rule "cpu": "cpu_usag" at column 1 is not a snapshot field or health fact; it is looked up among scraped samples and is absent until one is scraped',
      'rule "cpu": "foo.bar" at column 19 is not a snapshot field or health fact; it is looked up among scraped samples and is absent until one is scraped',
    ])
    expect(c.evaluate({ snapshot, service: undefined, samples }).holds).toBe(false)
    expect(
      c.evaluate({
        snapshot,
        service: undefined,
        samples: [...samples, { name: 'cpu_usag', labels: {}, value: 1 }],
      }).holds,
    ).toBe(false)
  })
})
