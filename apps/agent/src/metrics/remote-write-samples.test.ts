import { Registry } from '@noa/metrics'
import { describe, expect, it } from 'vitest'
import { remoteWriteSamples } from './remote-write-samples.ts'

describe('remoteWriteSamples', () => {
  it("should send the registry at now (as the samples of its exposition), the round's samples at their time, and scraped ones labelled by service", async () => {
    const registry = new Registry()
    registry.gauge({ name: 'noa_service_up', help: 'x', labelNames: ['service'] }).set({ service: 'api' }, 1)
    registry.counter({ name: 'noa_metrics_rounds_total', help: 'x' }).inc(3)
    const roundAt = Date.parse('2026-12-07T01:00:00.000Z')
    const latency = registry.histogram({
      name: 'noa_check_seconds',
      help: 'x',
      buckets: [0.1, 1],
      labelNames: ['service'],
    })
    for (const v of [0.05, 0.5, 2]) latency.observe({ service: 'api' }, v)
    const values = await remoteWriteSamples(
      registry,
      {
        snapshot: { timestamp: new Date(roundAt).toISOString() } as never,
        samples: [
          // Also in the registry: the same series at two times would be refused as out of order.
          { name: 'noa_service_up', labels: { service: 'api' }, value: 1, at: roundAt },
          { name: 'noa_error_rate', labels: { service: 'api' }, value: 0.5, at: roundAt },
        ],
        scraped: [{ name: 'shop_orders_total', labels: { region: 'eu', service: 'api' }, value: 9 }],
      },
      roundAt + 20,
    )
    const now = roundAt + 20
    expect(values).toEqual([
      { name: 'noa_service_up', labels: { service: 'api' }, value: 1, at: now },
      { name: 'noa_metrics_rounds_total', labels: {}, value: 3, at: now },
      { name: 'noa_check_seconds_bucket', labels: { service: 'api', le: '0.1' }, value: 1, at: now },
      { name: 'noa_check_seconds_bucket', labels: { service: 'api', le: '1' }, value: 2, at: now },
      { name: 'noa_check_seconds_bucket', labels: { service: 'api', le: '+Inf' }, value: 3, at: now },
      { name: 'noa_check_seconds_sum', labels: { service: 'api' }, value: 2.55, at: now },
      { name: 'noa_check_seconds_count', labels: { service: 'api' }, value: 3, at: now },
      { name: 'noa_error_rate', labels: { service: 'api' }, value: 0.5, at: roundAt },
      { name: 'shop_orders_total', labels: { region: 'eu', service: 'api' }, value: 9, at: roundAt },
    ])
  })
})
