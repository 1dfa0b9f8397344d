import { ConfigError, FakeClock } from '@noa/core'
import { afterEach, describe, expect, it } from 'vitest'
import { Registry } from '../registry.ts'
import { createOtlpExporter } from './exporter.ts'
import type { OtlpMetric } from './model.ts'
import {
  attributesOf,
  decodeOfficialJson,
  decodeOfficialProtobuf,
  ExportMetricsServiceResponse,
} from './official.testing.ts'
import { type Answer, startTestCollector, type TestCollector } from './receiver.testing.ts'
import { otlpExportMetrics } from './self-metrics.ts'

const timeMs = Date.parse('2026-12-07T03:00:00Z')

function gauge(name: string, n: number): OtlpMetric {
  return {
    name,
    description: '',
    unit: '',
    data: {
      kind: 'gauge',
      points: Array.from({ length: n }, (_, i) => ({ attributes: { i: String(i) }, timeMs, value: i })),
    },
  }
}

const fast = { initialMs: 1, maxMs: 5, jitter: 0 }
let collectors: TestCollector[] = []
async function collector(answer?: Answer): Promise<TestCollector> {
  const c = await startTestCollector(answer)
  collectors.push(c)
  return c
}
afterEach(async () => {
  await Promise.all(collectors.map((c) => c.close()))
  collectors = []
})

async function counted(registry: Registry): Promise<string> {
  return (await registry.metrics())
    .split('\n')
    .filter((l) => l.startsWith('noa_otlp_'))
    .join('\n')
}

describe('createOtlpExporter against a real HTTP collector', () => {
  it('posts protobuf with the resource, scope and headers, and counts the points sent', async () => {
    const c = await collector()
    const registry = new Registry()
    const exporter = createOtlpExporter({
      url: c.url,
      resource: { 'service.name': 'checkout' },
      scope: { name: 'noa', version: '9.9.9' },
      headers: { authorization: 'Bearer t0k3n' },
      userAgent: 'noa/9.9.9',
      metrics: otlpExportMetrics(registry),
    })
    const result = await exporter.export([gauge('queue_depth', 3)])
    expect(result).toEqual({ sent: 3, failed: 0, dropped: 0 })
    expect(c.received).toHaveLength(1)
    const [req] = c.received
    expect(req!.headers).toMatchObject({
      'content-type': 'application/x-protobuf',
      'user-agent': 'noa/9.9.9',
      authorization: 'Bearer t0k3n',
    })
    const decoded = decodeOfficialProtobuf(req!.body)
    expect(attributesOf(decoded.resourceMetrics[0]!.resource?.attributes)).toEqual({
      'service.name': 'checkout',
    })
    expect(decoded.resourceMetrics[0]!.scopeMetrics[0]!.scope).toEqual({ name: 'noa', version: '9.9.9' })
    expect(decoded.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.gauge!.dataPoints).toHaveLength(3)
    expect(await counted(registry)).toContain('noa_otlp_points_total{result="sent"} 3')
    expect(await counted(registry)).toContain('noa_otlp_requests_total{code="200"} 1')
  })

  it('posts OTLP/JSON when asked', async () => {
    const c = await collector()
    await createOtlpExporter({ url: c.url, encoding: 'json' }).export([gauge('g', 2)])
    expect(c.received[0]!.headers['content-type']).toBe('application/json')
    const decoded = decodeOfficialJson(c.received[0]!.body.toString('utf8'))
    expect(decoded.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.name).toBe('g')
  })

  it('splits a large export into requests of at most maxPointsPerRequest points, none lost', async () => {
    const c = await collector()
    const result = await createOtlpExporter({ url: c.url, maxPointsPerRequest: 3 }).export([
      gauge('a', 4),
      gauge('b', 3),
    ])
    expect(result.sent).toBe(7)
    const perRequest = c.received.map((r) =>
      decodeOfficialProtobuf(r.body).resourceMetrics[0]!.scopeMetrics[0]!.metrics.map(
        (m) => `${m.name}:${m.gauge!.dataPoints.length}`,
      ),
    )
    expect(perRequest).toEqual([['a:3'], ['a:1', 'b:2'], ['b:1']])
  })

  it('retries a collector answering 503 until it takes the export', async () => {
    const c = await collector((_req, res, i) => {
      res.statusCode = i < 2 ? 503 : 200
      res.end()
    })
    const registry = new Registry()
    const result = await createOtlpExporter({
      url: c.url,
      backoff: fast,
      metrics: otlpExportMetrics(registry),
    }).export([gauge('g', 2)])
    expect(result).toEqual({ sent: 2, failed: 0, dropped: 0 })
    expect(c.received).toHaveLength(3)
    expect(await counted(registry)).toContain('noa_otlp_requests_total{code="503"} 2')
  })

  it("waits as long as the collector's Retry-After says before sending again", async () => {
    const clock = new FakeClock()
    const c = await collector((_req, res, i) => {
      if (i === 0) res.writeHead(429, { 'retry-after': '120' })
      res.end()
    })
    const done = createOtlpExporter({ url: c.url, backoff: fast, clock }).export([gauge('g', 1)])
    // The only timer left once the 429 is in: the wait before the next attempt.
    await expect.poll(() => (clock.nextDue() ?? 0) - clock.now()).toBe(120_000)
    await clock.advance(119_000)
    expect(c.received).toHaveLength(1)
    await clock.advance(1_000)
    await expect(done).resolves.toEqual({ sent: 1, failed: 0, dropped: 0 })
    expect(c.received).toHaveLength(2)
  })

  it('does not retry a request the collector refuses (400): the points are counted failed', async () => {
    const c = await collector((_req, res) => {
      res.statusCode = 400
      res.end('bad request: echo of what was sent')
    })
    const registry = new Registry()
    const result = await createOtlpExporter({
      url: c.url,
      backoff: fast,
      metrics: otlpExportMetrics(registry),
    }).export([gauge('g', 4)])
    expect(result).toEqual({ sent: 0, failed: 4, dropped: 0 })
    expect(c.received).toHaveLength(1)
    expect(await counted(registry)).toContain('noa_otlp_points_total{result="failed"} 4')
  })

  it('counts the points a partial success rejected as failed, in either encoding', async () => {
    const protobufAnswer = ExportMetricsServiceResponse.encode(
      ExportMetricsServiceResponse.fromObject({
        partialSuccess: { rejectedDataPoints: '2', errorMessage: 'too old' },
      }),
    ).finish()
    const c = await collector((req, res) => {
      const json = req.headers['content-type'] === 'application/json'
      res.setHeader('content-type', json ? 'application/json' : 'application/x-protobuf')
      res.end(
        json ? JSON.stringify({ partialSuccess: { rejectedDataPoints: '1' } }) : Buffer.from(protobufAnswer),
      )
    })
    expect(await createOtlpExporter({ url: c.url }).export([gauge('g', 5)])).toEqual({
      sent: 3,
      failed: 2,
      dropped: 0,
    })
    expect(await createOtlpExporter({ url: c.url, encoding: 'json' }).export([gauge('g', 5)])).toEqual({
      sent: 4,
      failed: 1,
      dropped: 0,
    })
  })

  it('aborts a hung request at its time limit, and drops what is left when the caller gives up', async () => {
    const c = await collector(() => {
      // Never answers.
    })
    const registry = new Registry()
    const giveUp = new AbortController()
    const done = createOtlpExporter({
      url: c.url,
      timeoutMs: 100,
      backoff: fast,
      metrics: otlpExportMetrics(registry),
    }).export([gauge('g', 3)], giveUp.signal)
    await expect.poll(() => c.closedEarly, { timeout: 5_000 }).toBeGreaterThanOrEqual(2)
    giveUp.abort()
    await expect(done).resolves.toEqual({ sent: 0, failed: 0, dropped: 3 })
    expect(await counted(registry)).toContain('noa_otlp_requests_total{code="timeout"}')
    expect(await counted(registry)).toContain('noa_otlp_points_total{result="dropped"} 3')
  })

  it('reads at most 64 KiB of an endless success answer', async () => {
    const c = await collector((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-protobuf' })
      const chunk = Buffer.alloc(16 * 1024, 1)
      const pump = () => {
        while (res.write(chunk)) {}
      }
      res.on('drain', pump)
      pump()
    })
    const result = await createOtlpExporter({ url: c.url }).export([gauge('g', 1)])
    expect(result).toEqual({ sent: 1, failed: 0, dropped: 0 })
  })

  it('does not follow a redirect to another host', async () => {
    const elsewhere = await collector()
    const c = await collector((_req, res) => {
      res.writeHead(307, { location: elsewhere.url })
      res.end()
    })
    const result = await createOtlpExporter({ url: c.url, backoff: fast }).export([gauge('g', 1)])
    expect(result).toEqual({ sent: 0, failed: 1, dropped: 0 })
    expect(elsewhere.received).toHaveLength(0)
  })

  it('refuses a URL with credentials or another scheme without echoing it', () => {
    for (const url of [
      'http://user:s3cret@127.0.0.1:4318/v1/metrics',
      'ftp://127.0.0.1/x',
      'not a url s3cret',
    ]) {
      let error: unknown
      try {
        createOtlpExporter({ url })
      } catch (e) {
        error = e
      }
      expect(error).toBeInstanceOf(ConfigError)
      expect(String((error as Error).message)).not.toContain('s3cret')
    }
  })
})
