// A small service instrumented with @noa/metrics: `pnpm start` at the root runs it until the agent exists.
// Serves /metrics (Prometheus text or OpenMetrics, by Accept), /api/metrics (the JSON snapshot) and a few
// routes, sends itself some traffic so the numbers move, and prints a summary every 10 s.
import { createServer } from 'node:http'
import {
  createProcessCollector,
  createSystemCollector,
  HttpMetrics,
  instrumentNodeListener,
  MetricsCollector,
  negotiate,
  Registry,
} from '@noa/metrics'

const port = Number(process.env.PORT ?? 9300)
const registry = new Registry()
const http = new HttpMetrics({ registry })
const system = createSystemCollector()
const proc = createProcessCollector()
system.register(registry)
proc.register(registry)
const collector = new MetricsCollector({ registry, system, process: proc, http })
const jobs = registry.counter({
  name: 'demo_jobs_total',
  help: 'Jobs run by the demo.',
  labelNames: ['kind'],
})

async function handle(req, res) {
  const url = new URL(req.url ?? '/', 'http://localhost')
  if (url.pathname === '/metrics') {
    const { format, contentType } = negotiate(req.headers.accept)
    res.setHeader('content-type', contentType)
    res.end(await registry.metrics(format))
  } else if (url.pathname === '/api/metrics') {
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify(await collector.snapshot()))
  } else if (url.pathname === '/api/hello') {
    jobs.inc({ kind: 'hello' })
    collector.incrementCounter('custom_api_calls', 1)
    res.end('hello\n')
  } else if (url.pathname.startsWith('/api/users/')) {
    const ms = 5 + Math.random() * 40
    await new Promise((resolve) => setTimeout(resolve, ms))
    collector.recordHistogram('custom_response_time', ms)
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ id: url.pathname.slice(11) }))
  } else if (url.pathname === '/api/flaky') {
    res.statusCode = Math.random() < 0.3 ? 500 : 200
    res.end(res.statusCode === 200 ? 'ok\n' : 'failed\n')
  } else {
    res.statusCode = 404
    res.end('not found\n')
  }
}

const routes = ['/metrics', '/api/metrics', '/api/hello', '/api/users/:id', '/api/flaky']
const server = createServer(
  instrumentNodeListener(
    (req, res) =>
      handle(req, res).catch(() => {
        res.statusCode = 500
        res.end()
      }),
    { metrics: http, routes },
  ),
)

let traffic
let summary
server.listen(port, '127.0.0.1', () => {
  const { port: bound } = server.address()
  const base = `http://127.0.0.1:${bound}`
  console.log(`listening on ${base}`)
  console.log(
    `  ${base}/metrics      Prometheus text (OpenMetrics with Accept: application/openmetrics-text)`,
  )
  console.log(`  ${base}/api/metrics  JSON snapshot { timestamp, system, application, business, custom }`)
  const paths = ['/api/hello', '/api/users/7', '/api/users/42', '/api/flaky', '/nowhere']
  traffic = setInterval(() => {
    const path = paths[Math.floor(Math.random() * paths.length)]
    fetch(base + path)
      .then((r) => r.arrayBuffer())
      .catch(() => {})
    collector.setGauge('custom_active_connections', server.connections ?? 0)
    collector.setBusiness('activeUsers', 40 + Math.floor(Math.random() * 5))
  }, 200)
  summary = setInterval(async () => {
    const s = await collector.snapshot()
    const r = s.application.requests ?? {}
    const l = s.application.latency ?? {}
    console.log(
      `${s.timestamp} cpu ${s.system.cpu?.usage?.average ?? '?'}% mem ${s.system.memory?.usagePercent ?? '?'}% ` +
        `requests ${r.total} (errors ${r.failed}, rate ${r.errorRate}) latency p50 ${l.p50} ms p99 ${l.p99} ms ` +
        `rps ${s.application.throughput?.requestsPerSecond}`,
    )
  }, 10_000)
})

function stop(signal) {
  clearInterval(traffic)
  clearInterval(summary)
  proc.stop()
  system.stop()
  server.closeAllConnections()
  server.close(() => {
    console.log(`stopped (${signal})`)
    process.exit(0)
  })
}
process.once('SIGINT', () => stop('SIGINT'))
process.once('SIGTERM', () => stop('SIGTERM'))
