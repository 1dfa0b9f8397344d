import { FakeClock } from '@noa/core'
import { afterEach, describe, expect, it } from 'vitest'
import { Registry } from '../registry.ts'
import { decodeOfficialProtobuf } from './official.testing.ts'
import { type OtlpExport, startOtlpExport } from './periodic.ts'
import { type Answer, startTestCollector, type TestCollector } from './receiver.testing.ts'

let collector: TestCollector | undefined
let running: OtlpExport | undefined
afterEach(async () => {
  await running?.stop()
  await collector?.close()
  running = undefined
  collector = undefined
})

async function setUp(answer?: Answer) {
  collector = await startTestCollector(answer)
  const clock = new FakeClock(Date.parse('2026-12-07T03:00:00Z'))
  const registry = new Registry()
  const jobs = registry.counter({ name: 'jobs_total', help: 'Jobs done', labelNames: ['queue'], clock })
  return { clock, registry, jobs, url: collector.url }
}

const metricNames = (body: Buffer) =>
  decodeOfficialProtobuf(body).resourceMetrics[0]!.scopeMetrics[0]!.metrics.map((m) => m.name)

describe('startOtlpExport', () => {
  it("exports the registry every interval, each counter a cumulative sum started at its series' creation", async () => {
    const { clock, registry, jobs, url } = await setUp()
    jobs.inc({ queue: 'mail' }, 3)
    running = startOtlpExport({
      registry,
      url,
      clock,
      intervalMs: 10_000,
      resource: { 'service.name': 'mailer' },
    })
    await clock.advance(9_999)
    expect(collector!.received).toHaveLength(0)
    await clock.advance(1)
    await expect.poll(() => collector!.received.length).toBe(1)
    const [jobsMetric] = decodeOfficialProtobuf(
      collector!.received[0]!.body,
    ).resourceMetrics[0]!.scopeMetrics[0]!.metrics.filter((m) => m.name === 'jobs')
    expect(jobsMetric!.sum).toMatchObject({ isMonotonic: true, aggregationTemporality: 2 })
    expect(jobsMetric!.sum!.dataPoints[0]).toMatchObject({
      asDouble: 3,
      startTimeUnixNano: `${BigInt(Date.parse('2026-12-07T03:00:00Z')) * 1_000_000n}`,
      timeUnixNano: `${BigInt(Date.parse('2026-12-07T03:00:10Z')) * 1_000_000n}`,
    })

    jobs.inc({ queue: 'mail' })
    await clock.advance(10_000)
    await expect.poll(() => collector!.received.length).toBe(2)
    const second = decodeOfficialProtobuf(collector!.received[1]!.body).resourceMetrics[0]!.scopeMetrics[0]!
      .metrics
    expect(second.find((m) => m.name === 'jobs')!.sum!.dataPoints[0]!.asDouble).toBe(4)
    // The exporter's own counters travel with the rest.
    expect(metricNames(collector!.received[1]!.body)).toContain('noa_otlp_points')
  })

  it('makes one last export when stopped, and no more after', async () => {
    const { clock, registry, jobs, url } = await setUp()
    jobs.inc({ queue: 'sms' })
    running = startOtlpExport({ registry, url, clock })
    await running.stop()
    running = undefined
    expect(collector!.received).toHaveLength(1)
    expect(metricNames(collector!.received[0]!.body)).toContain('jobs')
    await clock.advance(60_000)
    expect(collector!.received).toHaveLength(1)
  })

  it('replaces an export still retrying with the newer one and counts its points dropped', async () => {
    const { clock, registry, jobs, url } = await setUp((_req, res) => {
      res.statusCode = 503
      res.end()
    })
    jobs.inc({ queue: 'mail' })
    running = startOtlpExport({
      registry,
      url,
      clock,
      backoff: { initialMs: 60_000, maxMs: 60_000, jitter: 0 },
    })
    const first = running.exportNow()
    await expect.poll(() => collector!.received.length).toBe(1)
    const second = running.exportNow()
    const dropped = await first
    expect(dropped.dropped).toBeGreaterThan(0)
    expect(dropped.sent).toBe(0)
    expect(await registry.metrics()).toContain(`noa_otlp_points_total{result="dropped"} ${dropped.dropped}`)
    // The last export retries too, until stop's deadline (5 s) abandons it.
    const stopping = running.stop()
    running = undefined
    await clock.advance(5_000)
    await stopping
    expect((await second).dropped).toBeGreaterThan(0)
  })
})
