import { FakeClock } from '@noa/core'
import { describe, expect, it } from 'vitest'
import { Registry } from '../registry.ts'
import { parseExposition } from './parse.ts'
import { escapeHelp, escapeLabelValue, formatValue } from './text.ts'

function sampleRegistry() {
  const clock = new FakeClock(Date.parse('2026-11-28T00:00:00.000Z'))
  const registry = new Registry()
  const requests = registry.counter({
    name: 'http_requests_total',
    help: 'Requests "served"\nby \\ the service',
    labelNames: ['method', 'route'],
    clock,
  })
  requests.inc({ method: 'GET', route: '/users/:id' })
  requests.inc({ method: 'POST', route: 'quote " back \\ slash\nnewline' }, 2.5)
  const temperature = registry.gauge({
    name: 'room_temperature_celsius',
    help: 'Room',
    unit: 'celsius',
    clock,
  })
  temperature.set(21.5)
  const odd = registry.gauge({ name: 'odd_values', help: 'Edge values', labelNames: ['kind'], clock })
  odd.set({ kind: 'nan' }, Number.NaN)
  odd.set({ kind: 'up' }, Number.POSITIVE_INFINITY)
  odd.set({ kind: 'down' }, Number.NEGATIVE_INFINITY)
  const latency = registry.histogram({
    name: 'request_duration_seconds',
    help: 'Latency',
    unit: 'seconds',
    buckets: [0.1, 0.5, 1],
    labelNames: ['route'],
    clock,
  })
  latency.observe({ route: '/a' }, 0.05)
  latency.observe({ route: '/a' }, 0.7)
  latency.observe({ route: '/a' }, 3)
  const size = registry.summary({ name: 'payload_bytes', help: 'Payload size', clock })
  for (const v of [100, 200, 300, 400]) size.observe(v)
  return registry
}

const PROMETHEUS = `# HELP http_requests_total Requests "served"\\nby \\\\ the service
# TYPE http_requests_total counter
http_requests_total{method="GET",route="/users/:id"} 1
http_requests_total{method="POST",route="quote \\" back \\\\ slash\\nnewline"} 2.5
# HELP room_temperature_celsius Room
# TYPE room_temperature_celsius gauge
room_temperature_celsius 21.5
# HELP odd_values Edge values
# TYPE odd_values gauge
odd_values{kind="nan"} NaN
odd_values{kind="up"} +Inf
odd_values{kind="down"} -Inf
# HELP request_duration_seconds Latency
# TYPE request_duration_seconds histogram
request_duration_seconds_bucket{route="/a",le="0.1"} 1
request_duration_seconds_bucket{route="/a",le="0.5"} 1
request_duration_seconds_bucket{route="/a",le="1"} 2
request_duration_seconds_bucket{route="/a",le="+Inf"} 3
request_duration_seconds_sum{route="/a"} 3.75
request_duration_seconds_count{route="/a"} 3
# HELP payload_bytes Payload size
# TYPE payload_bytes summary
payload_bytes{quantile="0.5"} 198.3684859812456
payload_bytes{quantile="0.95"} 301.9134365218749
payload_bytes{quantile="0.99"} 301.9134365218749
payload_bytes{quantile="1"} 400
payload_bytes_sum 1000
payload_bytes_count 4
`

const OPENMETRICS = `# HELP http_requests Requests \\"served\\"\\nby \\\\ the service
# TYPE http_requests counter
http_requests_total{method="GET",route="/users/:id"} 1
http_requests_total{method="POST",route="quote \\" back \\\\ slash\\nnewline"} 2.5
# HELP room_temperature_celsius Room
# TYPE room_temperature_celsius gauge
# UNIT room_temperature_celsius celsius
room_temperature_celsius 21.5
# HELP odd_values Edge values
# TYPE odd_values gauge
odd_values{kind="nan"} NaN
odd_values{kind="up"} +Inf
odd_values{kind="down"} -Inf
# HELP request_duration_seconds Latency
# TYPE request_duration_seconds histogram
# UNIT request_duration_seconds seconds
request_duration_seconds_bucket{route="/a",le="0.1"} 1
request_duration_seconds_bucket{route="/a",le="0.5"} 1
request_duration_seconds_bucket{route="/a",le="1"} 2
request_duration_seconds_bucket{route="/a",le="+Inf"} 3
request_duration_seconds_sum{route="/a"} 3.75
request_duration_seconds_count{route="/a"} 3
# HELP payload_bytes Payload size
# TYPE payload_bytes summary
payload_bytes{quantile="0.5"} 198.3684859812456
payload_bytes{quantile="0.95"} 301.9134365218749
payload_bytes{quantile="0.99"} 301.9134365218749
payload_bytes{quantile="1"} 400
payload_bytes_sum 1000
payload_bytes_count 4
# EOF
`

describe('exposition writer', () => {
  it('should write the Prometheus text format 0.0.4 exactly', async () => {
    expect(await sampleRegistry().metrics('prometheus')).toBe(PROMETHEUS)
  })

  it('should write OpenMetrics 1.0.0 exactly, ending with # EOF', async () => {
    expect(await sampleRegistry().metrics('openmetrics')).toBe(OPENMETRICS)
  })

  it('should write _created samples in OpenMetrics when asked', async () => {
    const text = await sampleRegistry().metrics('openmetrics', { created: true })
    expect(text).toContain('http_requests_created{method="GET",route="/users/:id"} 1795824000\n')
    expect(text).toContain('request_duration_seconds_created{route="/a"} 1795824000\n')
    expect(text).toContain('payload_bytes_created 1795824000\n')
    expect(await sampleRegistry().metrics('prometheus', { created: true })).not.toContain('_created')
  })

  it('should write expositions the strict OpenMetrics parser accepts', async () => {
    for (const created of [false, true]) {
      const result = parseExposition(await sampleRegistry().metrics('openmetrics', { created }), {
        format: 'openmetrics',
      })
      expect(result.ok ? 'accepted' : result.error).toBe('accepted')
    }
    const empty = new Registry()
    empty.counter({ name: 'never_used', help: '', labelNames: ['a'] })
    empty.summary({ name: 'no_obs', help: 'none yet' })
    empty.histogram({ name: 'h', help: 'h' })
    const dropped = empty.counter({ name: 'c', help: 'c' })
    dropped.inc(-1)
    const result = parseExposition(await empty.metrics('openmetrics'), { format: 'openmetrics' })
    expect(result.ok ? 'accepted' : result.error).toBe('accepted')
  })

  it('should round-trip what it writes through the parser in both formats', async () => {
    const prom = parseExposition(await sampleRegistry().metrics('prometheus'), { format: 'prometheus' })
    const om = parseExposition(await sampleRegistry().metrics('openmetrics'), { format: 'openmetrics' })
    if (!prom.ok || !om.ok) throw new Error('did not parse')
    expect(prom.families.map((f) => [f.name, f.type])).toEqual([
      ['http_requests_total', 'counter'],
      ['room_temperature_celsius', 'gauge'],
      ['odd_values', 'gauge'],
      ['request_duration_seconds', 'histogram'],
      ['payload_bytes', 'summary'],
    ])
    expect(om.families.map((f) => [f.name, f.type, f.unit])).toEqual([
      ['http_requests', 'counter', ''],
      ['room_temperature_celsius', 'gauge', 'celsius'],
      ['odd_values', 'gauge', ''],
      ['request_duration_seconds', 'histogram', 'seconds'],
      ['payload_bytes', 'summary', ''],
    ])
    for (const result of [prom, om]) {
      const [counter, , odd] = result.families
      expect(counter?.help).toBe('Requests "served"\nby \\ the service')
      expect(counter?.samples[1]).toEqual({
        name: 'http_requests_total',
        labels: { method: 'POST', route: 'quote " back \\ slash\nnewline' },
        value: 2.5,
      })
      expect(odd?.samples.map((s) => s.value)).toEqual([
        Number.NaN,
        Number.POSITIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
      ])
    }
  })
})

describe('escaping helpers', () => {
  it('should escape label values for both formats', () => {
    expect(escapeLabelValue('plain')).toBe('plain')
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd')
  })

  it('should escape the double quote in HELP only for OpenMetrics', () => {
    expect(escapeHelp('say "hi"\\\n', 'prometheus')).toBe('say "hi"\\\\\\n')
    expect(escapeHelp('say "hi"\\\n', 'openmetrics')).toBe('say \\"hi\\"\\\\\\n')
  })

  it('should spell special values as both formats do', () => {
    expect(
      [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.1, 1e21, -2].map(formatValue),
    ).toEqual(['NaN', '+Inf', '-Inf', '0.1', '1e+21', '-2'])
  })
})
