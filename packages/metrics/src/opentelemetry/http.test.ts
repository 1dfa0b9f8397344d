import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { metrics } from '@opentelemetry/api'
import { afterEach, describe, expect, it } from 'vitest'
import { OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE } from '../exposition/negotiate.ts'
import { parseExposition } from '../exposition/parse.ts'
import { metricsHandler } from '../middleware/handler.ts'
import { Registry } from '../registry.ts'
import { createMeterProvider } from './provider.ts'

let server: Server | undefined
afterEach(async () => {
  metrics.disable()
  if (server?.listening) {
    server.closeAllConnections()
    server.close()
    await once(server, 'close')
  }
  server = undefined
})

describe('createMeterProvider behind metricsHandler (real node:http server)', () => {
  it('should serve what was recorded through the OpenTelemetry API on /metrics, in both formats', async () => {
    const registry = new Registry()
    metrics.setGlobalMeterProvider(createMeterProvider(registry))
    const meter = metrics.getMeter('checkout', '3.1.0')
    meter.createCounter('checkout.orders', { unit: '{order}' }).add(2, { currency: 'EUR' })
    meter
      .createHistogram('checkout.duration', { unit: 's', advice: { explicitBucketBoundaries: [0.5] } })
      .record(0.2, { step: 'pay' })
    meter.createObservableGauge('checkout.queue').addCallback((result) => result.observe(4))
    server = createServer(metricsHandler(registry))
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`

    const plain = await fetch(url)
    expect(plain.status).toBe(200)
    expect(plain.headers.get('content-type')).toBe(PROMETHEUS_CONTENT_TYPE)
    const text = await plain.text()
    expect(text).toBe(
      [
        '# HELP checkout_orders_total ',
        '# TYPE checkout_orders_total counter',
        'checkout_orders_total{otel_scope_name="checkout",otel_scope_version="3.1.0",currency="EUR"} 2',
        '# HELP checkout_duration_seconds ',
        '# TYPE checkout_duration_seconds histogram',
        'checkout_duration_seconds_bucket{otel_scope_name="checkout",otel_scope_version="3.1.0",step="pay",le="0.5"} 1',
        'checkout_duration_seconds_bucket{otel_scope_name="checkout",otel_scope_version="3.1.0",step="pay",le="+Inf"} 1',
        'checkout_duration_seconds_sum{otel_scope_name="checkout",otel_scope_version="3.1.0",step="pay"} 0.2',
        'checkout_duration_seconds_count{otel_scope_name="checkout",otel_scope_version="3.1.0",step="pay"} 1',
        '# HELP checkout_queue ',
        '# TYPE checkout_queue gauge',
        'checkout_queue{otel_scope_name="checkout",otel_scope_version="3.1.0"} 4',
        '',
      ].join('\n'),
    )
    expect(parseExposition(text).ok).toBe(true)

    const open = await fetch(url, { headers: { accept: 'application/openmetrics-text;version=1.0.0' } })
    expect(open.headers.get('content-type')).toBe(OPENMETRICS_CONTENT_TYPE)
    const openText = await open.text()
    expect(openText).toContain('# TYPE checkout_orders counter\n')
    expect(openText).toContain('# UNIT checkout_duration_seconds seconds\n')
    expect(openText.endsWith('# EOF\n')).toBe(true)
    expect(parseExposition(openText, { format: 'openmetrics' }).ok).toBe(true)
  })
})
