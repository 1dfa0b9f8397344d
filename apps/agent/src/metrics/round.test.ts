import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { compileCondition } from '@noa/alerts'
import { createLogger, type LogRecord, systemClock } from '@noa/core'
import type { HealingEngine } from '@noa/healing'
import { createHealthMonitor } from '@noa/health'
import { type ProcessCollector, Registry, type SystemCollector } from '@noa/metrics'
import { createMemoryStore } from '@noa/store'
import { afterEach, describe, expect, it } from 'vitest'
import { formatConfigIssues, validateConfig } from '../config/load.ts'
import { createOwnMetrics } from '../own-metrics.ts'
import { MetricsRound, SCRAPE_LIMITED_SAMPLE } from './round.ts'

const servers: Server[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise<void>((r) => server.close(() => r()))
  }
})

/** A service whose /metrics body is written by `body`, made on the fly at each scrape. */
async function service(body: (res: ServerResponse) => void): Promise<string> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
    body(res)
  })
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`
}

/** The hostile service of issue #15: 1,000 business figures, over-long labels, 200,000 series. */
function hostile(res: ServerResponse): void {
  let head = 'http_requests_total{status="200"} 1000\n'
  for (let i = 0; i < 1000; i++) head += `business_metric{name="tenant${i}"} ${i}\n`
  for (let i = 0; i < 20; i++) head += `trace{id="${'t'.repeat(4096)}${i}"} 1\n`
  res.write(head)
  let i = 0
  const pump = () => {
    while (i < 200_000) {
      let batch = ''
      for (const end = i + 1000; i < end; i++) batch += `session_bytes{session="s${i}"} ${i}\n`
      if (!res.write(batch)) return void res.once('drain', pump)
    }
    res.end()
  }
  pump()
}

async function build(services: Array<Record<string, unknown>>) {
  const result = validateConfig({
    store: { type: 'memory' },
    metrics: { storage: { enabled: false }, categories: { system: false } },
    services,
  })
  if (!result.ok) throw new Error(formatConfigIssues(result.issues).join('\n'))
  const config = result.config
  const records: LogRecord[] = []
  const registry = new Registry()
  const health = createHealthMonitor({
    services: config.services.map(({ metrics: _m, executor: _e, healing: _h, ...check }) => check),
  })
  const healing = { guardState: () => ({ circuit: 'closed' }) } as unknown as HealingEngine
  const metrics = createOwnMetrics(registry, { health, healing, sseClients: () => 0 })
  const store = createMemoryStore()
  const round = new MetricsRound({
    config,
    store,
    archive: undefined,
    health,
    system: { collect: async () => ({}) } as unknown as SystemCollector,
    process: { collect: async () => ({ pid: process.pid }) } as unknown as ProcessCollector,
    metrics,
    clock: systemClock,
    logger: createLogger({ level: 'debug', write: (r) => records.push(r) }),
  })
  return { round, registry, records, store, health }
}

const check = (url: string) => ({ type: 'http', url: url.replace('/metrics', '/health') })

describe('MetricsRound (scrape limits)', () => {
  it('should keep what a hostile service gives within bounds and say so, while a healthy one is untouched', async () => {
    const bad = await service(hostile)
    const good = await service((res) =>
      res.end('http_requests_total{status="200"} 50\nbusiness_metric{name="orders"} 7\n'),
    )
    const { round, registry, records, store } = await build([
      { name: 'hostile', check: check(bad), metrics: bad },
      { name: 'healthy', check: check(good), metrics: good },
    ])
    await round.run()
    const snapshot = await round.run()

    // Rules get at most `series` of the hostile service's samples, and one sample per reason it was limited.
    const ofHostile = round.samples.filter((s) => s.labels.service === 'hostile')
    const limitedSamples = ofHostile.filter((s) => s.name === SCRAPE_LIMITED_SAMPLE)
    // 10,000 lines read, 20 of them dropped for their label values.
    expect(ofHostile.length - limitedSamples.length).toBe(9_980)
    expect(limitedSamples.map((s) => s.labels.reason).sort()).toEqual([
      'business_keys',
      'label_value_length',
      'series_limit',
    ])
    expect(round.samples.filter((s) => s.labels.service === 'healthy')).toEqual([
      { name: SCRAPE_LIMITED_SAMPLE, labels: { service: 'healthy' }, value: 0 },
      {
        name: 'http_requests_total',
        labels: { service: 'healthy', status: '200' },
        value: 50,
        family: expect.objectContaining({ name: 'http_requests_total' }),
      },
      {
        name: 'business_metric',
        labels: { service: 'healthy', name: 'orders' },
        value: 7,
        family: expect.objectContaining({ name: 'business_metric' }),
      },
    ])

    // The facts: what was left out, this round, by reason; nothing for the healthy service.
    // 1 + 1,000 + 20 + 200,000 lines: 10,000 read (20 of them too long), 191,021 counted.
    expect(round.scrapeLimited('hostile')).toEqual({
      series_limit: 191_021,
      label_value_length: 20,
      business_keys: 900,
    })
    expect(round.scrapeLimited('healthy')).toBeUndefined()
    expect(round.scrapeLimited('constructor')).toBeUndefined()

    // The snapshot that is stored and served stays small: 100 business figures at most.
    expect(Object.keys(snapshot.services?.hostile?.business ?? {})).toHaveLength(100)
    expect(snapshot.services?.healthy?.business).toEqual({ orders: 7 })
    expect(Object.keys(snapshot.business)).toHaveLength(101)
    expect(JSON.stringify(snapshot).length).toBeLessThan(8 * 1024)
    const stored = await store.snapshots.recent(10)
    expect(stored).toHaveLength(2)
    for (const s of stored) expect(JSON.stringify(s).length).toBeLessThan(8 * 1024)

    // Counted every round, told once per service and reason.
    const text = registry.render('prometheus')
    expect(text).toContain('noa_scrape_dropped_series_total{service="hostile",reason="series_limit"} 382042')
    expect(text).toContain(
      'noa_scrape_dropped_series_total{service="hostile",reason="label_value_length"} 40',
    )
    expect(text).toContain('noa_scrape_dropped_series_total{service="hostile",reason="business_keys"} 1800')
    expect(text).not.toContain('service="healthy",reason=')
    const told = records.filter((r) => r.msg.startsWith('scrape over its limits'))
    expect(told.map((r) => [r.service, r.reason, r.dropped])).toEqual([
      ['hostile', 'series_limit', 191_021],
      ['hostile', 'label_value_length', 20],
      ['hostile', 'business_keys', 900],
    ])
    expect(told[0]).toMatchObject({ level: 'warn', series: 10_000 })
    expect(told[2]).toMatchObject({ businessKeys: 100, businessKeyLength: 128 })
  })

  it("should apply a service's own limits over the defaults", async () => {
    const url = await service((res) => {
      let body = ''
      for (let i = 0; i < 100; i++) body += `queue_depth{queue="q${i}"} ${i}\n`
      res.end(body)
    })
    const { round } = await build([
      { name: 'tight', check: check(url), metrics: { url, limits: { series: 10 } } },
      { name: 'default', check: check(url), metrics: url },
    ])
    await round.run()
    expect(
      round.samples.filter((s) => s.labels.service === 'tight' && s.name === 'queue_depth'),
    ).toHaveLength(10)
    expect(round.scrapeLimited('tight')).toEqual({ series_limit: 90 })
    expect(
      round.samples.filter((s) => s.labels.service === 'default' && s.name === 'queue_depth'),
    ).toHaveLength(100)
    expect(round.scrapeLimited('default')).toBeUndefined()
  })

  it('should flag a body over the byte limit for rules, and clear the flag when a later scrape is within limits', async () => {
    let big = true
    const url = await service((res) => res.end(big ? `${'pad 1\n'.repeat(400)}` : 'pad 1\n'))
    const { round } = await build([
      { name: 'svc', check: check(url), metrics: { url, limits: { bytes: 1024 } } },
    ])
    await round.run()
    expect(round.scrapeLimited('svc')).toEqual({ body_too_large: expect.any(Number) })
    expect(round.samples).toEqual([
      { name: SCRAPE_LIMITED_SAMPLE, labels: { service: 'svc', reason: 'body_too_large' }, value: 1 },
    ])
    // The rule an operator writes holds while the service is over a limit ...
    const rule = compileCondition('noa_scrape_limited > 0', 'scrape-limited')
    const judge = () => rule.evaluate({ snapshot: round.latest, service: undefined, samples: round.samples })
    expect(judge()).toMatchObject({ holds: true, known: true, value: 1 })
    big = false
    await round.run()
    // ... and is known not to hold as soon as it is back within them (no lookback of absent data).
    expect(judge()).toMatchObject({ holds: false, known: true })
    expect(round.scrapeLimited('svc')).toBeUndefined()
    expect(round.samples).toEqual([
      { name: SCRAPE_LIMITED_SAMPLE, labels: { service: 'svc' }, value: 0 },
      { name: 'pad', labels: { service: 'svc' }, value: 1, family: expect.objectContaining({ name: 'pad' }) },
    ])
  })
})

describe('MetricsRound (noa_service_up)', () => {
  it('should store 1 for a healthy service, 0 for a down one, and nothing for one not checked yet', async () => {
    const up = await service((res) => res.end('ok\n'))
    const { round, store, health } = await build([
      { name: 'ok', check: { type: 'http', url: up }, retries: 0 },
      { name: 'down', check: { type: 'tcp', host: '127.0.0.1', port: 1 }, retries: 0 },
      { name: 'fresh', check: { type: 'http', url: up }, retries: 0 },
    ])
    await health.checkNow('ok')
    await health.checkNow('down')
    await round.run()
    const samples = await store.samples.recent(10, { name: 'noa_service_up' })
    expect(Object.fromEntries(samples.map((s) => [s.labels.service, s.value]))).toEqual({ ok: 1, down: 0 })
  })
})
