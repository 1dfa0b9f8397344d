import { metrics } from '@opentelemetry/api'
import { afterEach, describe, expect, it } from 'vitest'
import { createMeterProvider } from '../opentelemetry.ts'
import { Registry } from '../registry.ts'
import { encodeOtlpProtobuf } from './encode-protobuf.ts'
import { attributesOf, decodeOfficialProtobuf } from './official.testing.ts'
import { registryOtlpMetrics } from './registry-metrics.ts'

afterEach(() => metrics.disable())

describe('a service instrumented with the OpenTelemetry API, exported as OTLP by noa', () => {
  it('sends what the API recorded, observable callbacks run at the export, attributes as given', async () => {
    const registry = new Registry()
    metrics.setGlobalMeterProvider(createMeterProvider(registry, { scopeLabels: false }))
    const meter = metrics.getMeter('shop', '1.0.0')
    const orders = meter.createCounter('shop.orders', { description: 'Orders taken' })
    orders.add(2, { region: 'eu' })
    orders.add(1, { region: 'us', channel: 'app' })
    let depth = 7
    meter.createObservableGauge('shop.queue.depth').addCallback((r) => r.observe(depth, { queue: 'mail' }))

    const timeMs = Date.parse('2026-12-07T04:00:00Z')
    const first = await registryOtlpMetrics(registry, timeMs, timeMs)
    depth = 9
    const decoded = decodeOfficialProtobuf(
      encodeOtlpProtobuf({
        resource: { 'service.name': 'shop' },
        scope: { name: 'shop' },
        metrics: await registryOtlpMetrics(registry, timeMs, timeMs),
      }),
    )
    const sent = decoded.resourceMetrics[0]!.scopeMetrics[0]!.metrics
    const ordersSent = sent.find((m) => m.name === 'shop_orders')!
    expect(ordersSent.sum).toMatchObject({ isMonotonic: true })
    // A series recorded without a key the instrument learnt later carries no such attribute.
    expect(ordersSent.sum!.dataPoints.map((p) => [attributesOf(p.attributes), p.asDouble])).toEqual([
      [{ region: 'eu' }, 2],
      [{ region: 'us', channel: 'app' }, 1],
    ])
    const gauge = sent.find((m) => m.name === 'shop_queue_depth')!
    expect(gauge.gauge!.dataPoints.map((p) => [attributesOf(p.attributes), p.asDouble])).toEqual([
      [{ queue: 'mail' }, 9],
    ])
    expect(first.find((m) => m.name === 'shop_queue_depth')!.data.points[0]).toMatchObject({ value: 7 })
  })
})
