// The smoke run inside every fresh consumer project (ESM and CommonJS). It is handed the
// project's own loader (`import` or `require`), so each project loads the packages its way.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * @param {{ kind: string, load: (specifier: string) => Promise<any> | any, entries: string[], out: string }} options
 *   `entries` are the specifiers of every published entry point; `out` a folder for the expositions promtool checks.
 */
export async function run({ kind, load, entries, out }) {
  for (const entry of entries) {
    const exported = Object.keys(await load(entry))
    assert.ok(exported.length > 0, `${entry} exports nothing`)
  }

  const { collectDefaultMetrics, HttpMetrics, MetricsCollector, Registry } = await load('@noa/metrics')
  for (const naming of ['noa', 'prom-client']) {
    const registry = new Registry()
    const defaults = collectDefaultMetrics(registry, { process: { naming } })
    const http = new HttpMetrics({ registry })
    http.record({ method: 'GET', route: '/users/:id', status: 200, durationMs: 12, bytes: 300 })
    http.record({ method: 'POST', route: '/users', status: 503, durationMs: 40 })
    const jobs = registry.counter({ name: 'jobs_total', help: 'Jobs done', labelNames: ['queue'] })
    jobs.inc({ queue: 'mail' })
    const collector = new MetricsCollector({
      registry,
      system: defaults.system,
      process: defaults.process,
      http,
    })
    collector.setGauge('custom_active_connections', 42)
    collector.incrementCounter('custom_api_calls', 1)
    collector.recordHistogram('custom_response_time', 150)
    collector.setBusiness('activeUsers', 42)
    const snapshot = await collector.snapshot()
    assert.equal(snapshot.application.process.pid, process.pid)
    writeFileSync(join(out, `${kind}-${naming}.prom`), await registry.metrics())
    defaults.stop()
  }

  // The /metrics handler answers a real request, negotiating OpenMetrics from Accept.
  {
    const { metricsHandler, OPENMETRICS_CONTENT_TYPE, Registry } = await load('@noa/metrics')
    const { createServer } = await import('node:http')
    const { once } = await import('node:events')
    const registry = new Registry()
    registry.counter({ name: 'smoke_total', help: 'Smoke' }).inc()
    const server = createServer(metricsHandler(registry)).listen(0, '127.0.0.1')
    await once(server, 'listening')
    try {
      const res = await fetch(`http://127.0.0.1:${server.address().port}/metrics`, {
        headers: { accept: 'application/openmetrics-text; version=1.0.0' },
      })
      assert.equal(res.headers.get('content-type'), OPENMETRICS_CONTENT_TYPE)
      assert.match(await res.text(), /^smoke_total 1$/m)
    } finally {
      server.close()
    }
  }

  const { createHealthMonitor } = await load('@noa/health')
  const monitor = createHealthMonitor({
    services: [{ name: 'api', check: { type: 'tcp', host: '127.0.0.1', port: 9 } }],
  })
  const changes = []
  const off = monitor.on('change', (change) => changes.push(change))
  assert.equal(typeof off, 'function', 'HealthMonitor.on returns its unsubscribe')
  off()
  await monitor.stop()

  // The schemas of each package's ./config subpath validate configuration as the agent does.
  const { parseServiceChecks } = await load('@noa/health/config')
  const [service] = parseServiceChecks([{ name: 'api', check: { type: 'http', url: 'http://127.0.0.1:9/' } }])
  assert.equal(service.interval, 30_000)
  const { alertRuleSchema, channelOptionsSchema } = await load('@noa/alerts/config')
  assert.equal(
    alertRuleSchema.parse({ name: 'cpu', condition: 'cpu_usage > 0.9', severity: 'critical' }).for,
    0,
  )
  assert.equal(channelOptionsSchema.safeParse({ type: 'pigeon' }).success, false)

  // An alert engine with a test double of ./testing as its channel.
  const { createAlertEngine } = await load('@noa/alerts')
  const { createRecordingChannel } = await load('@noa/alerts/testing')
  const { createMemoryStore: memoryForAlerts } = await load('@noa/store')
  const alertStore = memoryForAlerts()
  const engine = createAlertEngine({
    rules: [{ name: 'cpu', condition: 'cpu_usage > 0.9', severity: 'critical' }],
    channels: { ops: { channel: createRecordingChannel() } },
    outbox: alertStore.outbox,
  })
  await engine.stop()
  await alertStore.close()

  const { createMemoryStore, isStoreError, StoreError } = await load('@noa/store')
  const memory = createMemoryStore()
  await memory.samples.append([{ name: 'up', labels: {}, value: 1, at: Date.now() }])
  assert.equal((await memory.samples.recent(1))[0]?.value, 1)
  await memory.close()

  // An error thrown inside @noa/store/sqlite is a StoreError for @noa/store's guard and class.
  const { createSqliteStore } = await load('@noa/store/sqlite')
  const dir = mkdtempSync(join(tmpdir(), 'noa-pack-smoke-'))
  try {
    const sqlite = await createSqliteStore({ path: join(dir, 'noa.db') })
    await sqlite.samples.append([{ name: 'up', labels: {}, value: 1, at: Date.now() }])
    await sqlite.close()
    const error = await sqlite.samples.recent(1).then(
      () => assert.fail('a closed store answered'),
      (e) => e,
    )
    assert.ok(isStoreError(error), `not a StoreError: ${error}`)
    assert.ok(error instanceof StoreError)
    return error
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
