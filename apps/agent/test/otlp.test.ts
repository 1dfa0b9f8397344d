import { createServer, type Server } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { startAgent, type TestAgent, until } from './helpers.ts'
import { startMetricsService } from './metrics-service.ts'

/**
 * The OpenTelemetry project's own decoder of ExportMetricsServiceRequest (generated from
 * opentelemetry-proto, shipped in @opentelemetry/otlp-transformer 0.52): what the agent sends is
 * read with it, not with noa's code.
 */
const { opentelemetry } = createRequire(import.meta.url)(
  '@opentelemetry/otlp-transformer/build/src/generated/root.js',
) as {
  opentelemetry: {
    proto: {
      collector: {
        metrics: {
          v1: {
            ExportMetricsServiceRequest: {
              decode(bytes: Uint8Array): object
              toObject(message: object, options: object): Decoded
            }
          }
        }
      }
    }
  }
}
const Request = opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest

interface KeyValue {
  key: string
  value: { stringValue?: string; intValue?: string; doubleValue?: number; boolValue?: boolean }
}
interface Point {
  attributes?: KeyValue[]
  asDouble?: number
  count?: string
  bucketCounts?: string[]
  explicitBounds?: number[]
  startTimeUnixNano?: string
}
interface Metric {
  name: string
  gauge?: { dataPoints: Point[] }
  sum?: { dataPoints: Point[]; isMonotonic?: boolean; aggregationTemporality?: number }
  histogram?: { dataPoints: Point[]; aggregationTemporality?: number }
}
interface Decoded {
  resourceMetrics: { resource?: { attributes?: KeyValue[] }; scopeMetrics: { metrics: Metric[] }[] }[]
}

const decode = (body: Buffer) =>
  Request.toObject(Request.decode(body), { longs: String, enums: Number, arrays: false, defaults: false })
const attrs = (list: KeyValue[] | undefined) =>
  Object.fromEntries((list ?? []).map((kv) => [kv.key, kv.value.stringValue ?? kv.value.intValue]))
const metricsOf = (d: Decoded) => d.resourceMetrics.flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics))

/** A collector: a real HTTP server taking OTLP requests on /v1/metrics. */
async function startCollector() {
  const received: { contentType: string; body: Buffer }[] = []
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      if (req.url === '/v1/metrics')
        received.push({ contentType: req.headers['content-type'] ?? '', body: Buffer.concat(chunks) })
      res.writeHead(req.url === '/v1/metrics' ? 200 : 404).end()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/metrics`,
    received,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}

/** A service with a counter (3 more orders at each scrape) and a histogram on /metrics. */
const startShop = () =>
  startMetricsService((n) =>
    [
      '# HELP shop_orders_total Orders taken',
      '# TYPE shop_orders_total counter',
      `shop_orders_total{region="eu"} ${3 * n}`,
      '# TYPE shop_pay_seconds histogram',
      'shop_pay_seconds_bucket{le="0.1"} 2',
      'shop_pay_seconds_bucket{le="1"} 5',
      'shop_pay_seconds_bucket{le="+Inf"} 6',
      'shop_pay_seconds_sum 4.2',
      'shop_pay_seconds_count 6',
      '',
    ].join('\n'),
  )

describe('OTLP export from the agent to a collector', () => {
  let t: TestAgent | undefined
  let shop: Awaited<ReturnType<typeof startShop>> | undefined
  let collector: Awaited<ReturnType<typeof startCollector>> | undefined
  afterEach(async () => {
    await t?.close()
    await shop?.close()
    await collector?.close()
    t = shop = collector = undefined
  })

  const agentWith = (otlp: Record<string, unknown>) =>
    startAgent({
      healthChecks: { interval: 300, timeout: 1000, retries: 0 },
      metrics: { collectInterval: 500 },
      integrations: { otlp: { url: collector!.url, intervalMs: 1_000, ...otlp } },
      services: [
        {
          name: 'shop',
          check: { type: 'http', url: `${shop!.url}/health` },
          metrics: `${shop!.url}/metrics`,
        },
      ],
    })

  it("sends the agent's own metrics, the derived series and the scraped ones typed as the service declared them", async () => {
    shop = await startShop()
    collector = await startCollector()
    t = await agentWith({ resource: { 'deployment.environment': 'test' } })
    const c = collector
    // The first export may come before the first round has scraped the shop.
    const decoded = await until(
      () =>
        c.received
          .map((r) => decode(r.body))
          .find(
            (d) =>
              metricsOf(d).some((m) => m.name === 'shop_orders') &&
              metricsOf(d).some(
                (m) => m.name === 'noa_service_up' && m.gauge?.dataPoints.some((p) => p.asDouble === 1),
              ),
          ),
      30_000,
      'an export with the scraped shop metrics and the service up',
    )
    expect(c.received[0]!.contentType).toBe('application/x-protobuf')
    expect(attrs(decoded.resourceMetrics[0]!.resource?.attributes)).toMatchObject({
      'service.name': 'noa',
      'service.instance.id': t.agent.agentId,
      'deployment.environment': 'test',
    })
    const metrics = metricsOf(decoded)
    const byName = (name: string) => metrics.find((m) => m.name === name)
    const orders = byName('shop_orders')!
    expect(orders.sum).toMatchObject({ isMonotonic: true, aggregationTemporality: 2 })
    expect(attrs(orders.sum!.dataPoints[0]!.attributes)).toEqual({ region: 'eu', service: 'shop' })
    expect(orders.sum!.dataPoints[0]!.asDouble! % 3).toBe(0)
    expect(orders.sum!.dataPoints[0]!.startTimeUnixNano).toBeDefined()
    const pay = byName('shop_pay_seconds')!
    expect(pay.histogram!.dataPoints[0]).toMatchObject({
      count: '6',
      bucketCounts: ['2', '3', '1'],
      explicitBounds: [0.1, 1],
    })
    expect(attrs(byName('noa_service_up')!.gauge!.dataPoints[0]!.attributes)).toEqual({ service: 'shop' })
    // The round's noa_service_up sample is the registry's series: sent once, not twice.
    expect(metrics.filter((m) => m.name === 'noa_service_up')).toHaveLength(1)
    // A derived series, and the agent's counter of health checks as a sum without _total.
    expect(byName('noa_memory_usage_percent')?.gauge?.dataPoints.length).toBe(1)
    expect(byName('noa_checks')?.sum?.isMonotonic).toBe(true)

    const text = await (await fetch(`${t.url}/metrics`)).text()
    expect(text).toMatch(/^noa_otlp_points_total\{result="sent"\} [1-9]\d*$/m)
    expect(text).toMatch(/^noa_otlp_requests_total\{code="200"\} [1-9]\d*$/m)
    expect(text).not.toMatch(/noa_otlp_points_total\{result="(failed|dropped)"\}/)

    // Stopping makes one last export.
    const before = c.received.length
    await t.close()
    t = undefined
    expect(c.received.length).toBe(before + 1)
  }, 60_000)

  it('sends OTLP/JSON when protocol is http/json', async () => {
    shop = await startShop()
    collector = await startCollector()
    t = await agentWith({ protocol: 'http/json' })
    const c = collector
    await until(() => c.received.length > 0, 30_000, 'a first export')
    expect(c.received[0]!.contentType).toBe('application/json')
    const json = JSON.parse(c.received[0]!.body.toString('utf8')) as Decoded
    expect(metricsOf(json).map((m) => m.name)).toContain('noa_service_up')
  }, 60_000)
})
