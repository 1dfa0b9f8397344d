import * as prom from 'prom-client'
import { describe, expect, it } from 'vitest'
import { parseExposition } from './parse.ts'

describe('parseExposition against prom-client output', () => {
  it('should read what prom-client writes, default metrics included, in both formats', async () => {
    const registry = new prom.Registry()
    prom.collectDefaultMetrics({ register: registry })
    const counter = new prom.Counter({
      name: 'jobs_total',
      help: 'Jobs "done"\n\\',
      labelNames: ['q'],
      registers: [registry],
    })
    counter.inc({ q: 'a"b\\c\nd' }, 3)
    new prom.Histogram({ name: 'lat_seconds', help: 'l', registers: [registry] }).observe(0.2)
    new prom.Summary({ name: 'size_bytes', help: 's', registers: [registry] }).observe(10)
    const text = await registry.metrics()
    const result = parseExposition(text, { format: 'prometheus' })
    if (!result.ok) throw new Error(`${result.error.line}: ${result.error.message}`)
    const jobs = result.families.find((f) => f.name === 'jobs_total')
    expect(jobs?.type).toBe('counter')
    expect(jobs?.help).toBe('Jobs "done"\n\\')
    expect(jobs?.samples[0]?.labels.q).toBe('a"b\\c\nd')
    expect(result.families.find((f) => f.name === 'lat_seconds')?.samples).toHaveLength(14)
    expect(result.families.length).toBeGreaterThan(20)

    registry.setContentType(prom.Registry.OPENMETRICS_CONTENT_TYPE as never)
    const om = parseExposition(await registry.metrics(), { format: 'openmetrics' })
    if (!om.ok) throw new Error(`${om.error.line}: ${om.error.message}`)
    expect(om.families.find((f) => f.name === 'jobs')?.samples[0]?.value).toBe(3)
  })
})
