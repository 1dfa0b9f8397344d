import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  decodeRemoteWriteBody,
  REMOTE_WRITE_HEADERS,
  remoteWriteBody,
  type TimeSeries,
  toTimeSeries,
} from '@noa/metrics/remote-write'
import { afterEach, describe, expect, it } from 'vitest'
import { startAgent, type TestAgent, until } from './helpers.ts'
import { startMetricsService } from './metrics-service.ts'
import { PROMETHEUS_BIN, startPrometheus, type TestPrometheus } from './prometheus.ts'

if (!PROMETHEUS_BIN)
  console.warn('Prometheus is not installed: the remote-write tests are skipped (apt-get install prometheus)')

/** A service with a business counter on /metrics (3 more orders at each scrape). */
const startShop = () =>
  startMetricsService(
    (n) =>
      `# HELP shop_orders_total Orders taken\n# TYPE shop_orders_total counter\nshop_orders_total{region="eu"} ${3 * n}\n`,
  )

describe.skipIf(!PROMETHEUS_BIN)('remote write to a real Prometheus', () => {
  let prom: TestPrometheus | undefined
  let t: TestAgent | undefined
  let shop: Awaited<ReturnType<typeof startShop>> | undefined
  afterEach(async () => {
    await t?.close()
    await shop?.close()
    await prom?.close()
    t = shop = prom = undefined
  })

  it("should make the agent's own series, the derived ones and the scraped service metrics queryable", async () => {
    prom = await startPrometheus()
    shop = await startShop()
    t = await startAgent({
      healthChecks: { interval: 300, timeout: 1000, retries: 0 },
      metrics: { collectInterval: 500 },
      integrations: {
        prometheus: {
          remoteWrite: {
            url: `${prom.url}/api/v1/write`,
            intervalMs: 300,
            externalLabels: { agent: 'eu-1' },
          },
        },
      },
      services: [
        { name: 'shop', check: { type: 'http', url: `${shop.url}/health` }, metrics: `${shop.url}/metrics` },
      ],
    })
    const p = prom
    const up = await until(
      async () => {
        const r = await p.query('noa_service_up{service="shop"} == 1')
        return r.length === 1 && r
      },
      30_000,
      'noa_service_up of the service in Prometheus',
    )
    expect(up[0]!.metric).toEqual({ __name__: 'noa_service_up', service: 'shop', agent: 'eu-1' })
    const orders = await until(
      async () => {
        const r = await p.query('shop_orders_total{service="shop"}')
        return r.length === 1 && r
      },
      30_000,
      'the scraped service counter in Prometheus',
    )
    expect(orders[0]!.metric).toEqual({
      __name__: 'shop_orders_total',
      region: 'eu',
      service: 'shop',
      agent: 'eu-1',
    })
    expect(Number(orders[0]!.value[1]) % 3).toBe(0)
    // A derived series (the dashboard's) and the agent's own counters of remote write itself.
    await until(
      async () => (await p.query('noa_memory_usage_percent')).length === 1,
      30_000,
      'a derived series',
    )
    await until(
      async () => (await p.query('noa_remote_write_samples_total{result="sent"} > 0')).length === 1,
      30_000,
      'the sent counter, written by remote write',
    )
    const metrics = await (await fetch(`${t.url}/metrics`)).text()
    expect(metrics).toMatch(/^noa_remote_write_samples_total\{result="sent"\} [1-9]\d*$/m)
    expect(metrics).toMatch(/^noa_remote_write_requests_total\{code="204"\} [1-9]\d*$/m)
    expect(metrics).toMatch(/^noa_remote_write_queue_samples \d+$/m)
    expect(metrics).not.toMatch(/noa_remote_write_samples_total\{result="failed"\}/)
  }, 90_000)

  it('should take a large request from @noa/metrics/remote-write: snappy over several 64 KiB fragments', async () => {
    prom = await startPrometheus()
    const at = Date.now()
    const series = toTimeSeries(
      Array.from({ length: 5_000 }, (_, i) => ({
        name: 'noa_interop_value',
        labels: { series: `s-${i}`, pad: 'x'.repeat(i % 97) },
        value: i / 7,
        at,
      })),
    )
    const body = remoteWriteBody(series)
    expect(body.length).toBeGreaterThan(70_000)
    const res = await fetch(`${prom.url}/api/v1/write`, {
      method: 'POST',
      headers: { ...REMOTE_WRITE_HEADERS, 'user-agent': 'noa/test' },
      body,
    })
    expect(res.status, await res.text()).toBe(204)
    const p = prom
    const count = await p.query('count(noa_interop_value)')
    expect(count[0]?.value[1]).toBe('5000')
    const one = await p.query('noa_interop_value{series="s-4999"}')
    expect(Number(one[0]!.value[1])).toBeCloseTo(4999 / 7, 10)
  }, 60_000)
})

describe('remote write at shutdown', () => {
  it('should hand the queued rounds to the receiver when the agent stops, before its interval', async () => {
    const received: TimeSeries[] = []
    const headers: string[] = []
    const receiver: Server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        received.push(...decodeRemoteWriteBody(Buffer.concat(chunks)))
        headers.push(String(req.headers['user-agent']))
        res.writeHead(204).end()
      })
    })
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r))
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/api/v1/write`
    let t: TestAgent | undefined
    try {
      t = await startAgent({
        healthChecks: { interval: 200, timeout: 1000, retries: 0 },
        metrics: { collectInterval: 200 },
        // Never on schedule within the test: only the stop can send.
        integrations: { prometheus: { remoteWrite: { url, intervalMs: 600_000 } } },
        services: [
          {
            name: 'self',
            check: { type: 'tcp', host: '127.0.0.1', port: (receiver.address() as AddressInfo).port },
          },
        ],
      })
      const agent = t.agent
      await until(
        async () =>
          (await agent.renderMetrics('prometheus')).toString().includes('noa_metrics_rounds_total 2'),
        20_000,
        'two rounds',
      )
      expect(received).toHaveLength(0)
      await t.close()
      t = undefined
      expect(headers[0]).toMatch(/^noa\/\d+\.\d+\.\d+/)
      const up = received.filter((s) => s.labels.__name__ === 'noa_service_up' && s.labels.service === 'self')
      expect(up.flatMap((s) => s.samples).length).toBeGreaterThanOrEqual(2)
      expect(received.some((s) => s.labels.__name__ === 'noa_metrics_rounds_total')).toBe(true)
    } finally {
      await t?.close()
      receiver.closeAllConnections()
      await new Promise<void>((r) => receiver.close(() => r()))
    }
  }, 60_000)
})
