import { ConfigError, FakeClock } from '@noa/core'
import { describe, expect, it } from 'vitest'
import { parseExposition } from './exposition/parse.ts'
import { Registry } from './registry.ts'

/** A registry of 6,000 gauge series, 400 histogram series and a few small metrics. */
function largeRegistry(renderSlice: number) {
  const clock = new FakeClock(Date.parse('2026-12-06T00:00:00.000Z'))
  const registry = new Registry({ renderSlice })
  const up = registry.gauge({
    name: 'service_up',
    help: 'Up',
    labelNames: ['service'],
    maxSeries: 10_000,
    clock,
  })
  for (let i = 0; i < 6000; i++) up.set({ service: `svc-${i}` }, i % 3 === 0 ? 0 : 1)
  const duration = registry.histogram({
    name: 'check_duration_seconds',
    help: 'Check time',
    unit: 'seconds',
    labelNames: ['service'],
    buckets: [0.01, 0.1, 1],
    clock,
  })
  for (let i = 0; i < 400; i++) duration.observe({ service: `svc-${i}` }, i / 100)
  registry.counter({ name: 'rounds_total', help: 'Rounds', clock }).inc(3)
  registry.summary({ name: 'payload_bytes', help: 'Sizes', clock }).observe(512)
  return { registry, up }
}

/** Turns of the event loop (setImmediate callbacks) while `work` is pending. */
async function turnsDuring<T>(work: () => Promise<T>): Promise<{ value: T; turns: number }> {
  let turns = 0
  let done = false
  const turn = () => {
    if (done) return
    turns++
    setImmediate(turn)
  }
  setImmediate(turn)
  const value = await work()
  done = true
  return { value, turns }
}

describe('Registry.metrics in slices', () => {
  it('lets the event loop run while it writes a large registry, and writes what render() writes', async () => {
    const { registry } = largeRegistry(500)
    for (const format of ['prometheus', 'openmetrics'] as const) {
      const { value, turns } = await turnsDuring(() => registry.metrics(format, { created: true }))
      expect(value).toBe(registry.render(format, { created: true }))
      // 6,000 gauge lines and 400 x 6 histogram lines in slices of 500: at least 16 slices.
      expect(turns).toBeGreaterThanOrEqual(16)
      expect(parseExposition(value, { format }).ok).toBe(true)
    }
  })

  it('gives the same text as UTF-8 bytes, encoded slice by slice', async () => {
    const { registry } = largeRegistry(500)
    const { value, turns } = await turnsDuring(() => registry.metricsBytes('openmetrics'))
    expect(Buffer.from(value).equals(Buffer.from(registry.render('openmetrics')))).toBe(true)
    expect(turns).toBeGreaterThanOrEqual(16)
  })

  it('writes in one go when renderSlice is Infinity', async () => {
    const { registry } = largeRegistry(Number.POSITIVE_INFINITY)
    const { value, turns } = await turnsDuring(() => registry.metrics())
    expect(value).toBe(registry.render())
    expect(turns).toBeLessThanOrEqual(2)
  })

  it('writes each series once when series come and go between slices', async () => {
    const { registry, up } = largeRegistry(500)
    let changes = 0
    const change = () => {
      up.remove({ service: `svc-${changes}` })
      up.set({ service: `new-${changes}` }, 1)
      if (++changes < 20) setImmediate(change)
    }
    setImmediate(change)
    const text = await registry.metrics('openmetrics')
    expect(changes).toBeGreaterThan(1)
    const parsed = parseExposition(text, { format: 'openmetrics' })
    expect(parsed.ok).toBe(true)
    const samples = parsed.ok ? parsed.families.find((f) => f.name === 'service_up')?.samples : []
    const services = (samples ?? []).map((s) => s.labels.service)
    // The gauge's series as listed when its first slice was written: all 6,000, none twice.
    expect(services).toHaveLength(6000)
    expect(new Set(services).size).toBe(6000)
  })

  it('refuses a renderSlice that is not a positive integer or Infinity', () => {
    for (const renderSlice of [0, -1, 1.5, Number.NaN])
      expect(() => new Registry({ renderSlice })).toThrow(ConfigError)
    expect(new Registry({ renderSlice: 1 }).renderSlice).toBe(1)
  })
})
