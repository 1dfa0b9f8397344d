/**
 * One service of noa's demo fleet: a small real HTTP server with `/metrics` (Prometheus
 * text from @noa/metrics, its process's memory and CPU under prom-client's names), a health
 * endpoint (from @noa/health) at a path of its choice, some simulated traffic, when asked a
 * failure after a random 30-90 s, and drill knobs (`GET /drill` lists them):
 * `POST /drill/memory?rate=<bytes/s>&cap=<bytes>` grows its memory, `DELETE /drill/memory`
 * stops and frees it; `POST /drill/deploy` runs a bad version (every request fails, its health
 * still passes), `DELETE /drill/deploy` rolls it back (what `rollback.ts` asks for).
 *
 * ```sh
 * node apps/demo/dist/service.js --name neural-processing --port 8080 --health /v1/health --fail 503
 * ```
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { parseArgs } from 'node:util'
import { createHealthEndpoint } from '@noa/health/endpoint'
import {
  createProcessCollector,
  HttpMetrics,
  instrumentNodeListener,
  MetricsCollector,
  negotiate,
  Registry,
} from '@noa/metrics'
import { BadDeploy } from './bad-deploy.ts'
import { MemoryGrowth, parseMemoryGrowth } from './memory-growth.ts'

/** How the service fails: answer 503, stop answering, exit, or never fail. */
export type FailMode = '503' | 'hang' | 'exit' | 'random' | 'none'

export interface DemoOptions {
  name: string
  port: number
  host: string
  healthPath: string
  fail: FailMode
  failAfterMinMs: number
  failAfterMaxMs: number
  /** Requests per second the service makes to itself, so its metrics move. */
  trafficRps: number
  dependsOn: string[]
}

export function parseDemoArgs(argv: string[], env: Record<string, string | undefined>): DemoOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      name: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      health: { type: 'string' },
      fail: { type: 'string' },
      'fail-after-min': { type: 'string' },
      'fail-after-max': { type: 'string' },
      traffic: { type: 'string' },
      'depends-on': { type: 'string', multiple: true },
    },
    strict: true,
  })
  const fail = (values.fail ?? env.DEMO_FAIL ?? 'none') as FailMode
  if (!['503', 'hang', 'exit', 'random', 'none'].includes(fail))
    throw new Error(`--fail must be one of 503, hang, exit, random, none; found ${JSON.stringify(fail)}`)
  const port = Number(values.port ?? env.PORT ?? 8001)
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new Error(`--port must be a port number; found ${JSON.stringify(values.port ?? env.PORT)}`)
  return {
    name: values.name ?? env.SERVICE_NAME ?? 'demo',
    port,
    host: values.host ?? env.HOST ?? '127.0.0.1',
    healthPath: values.health ?? '/health',
    fail,
    failAfterMinMs: Number(values['fail-after-min'] ?? env.DEMO_FAIL_AFTER_MIN ?? 30_000),
    failAfterMaxMs: Number(values['fail-after-max'] ?? env.DEMO_FAIL_AFTER_MAX ?? 90_000),
    trafficRps: Number(values.traffic ?? env.DEMO_TRAFFIC_RPS ?? 5),
    dependsOn: values['depends-on'] ?? [],
  }
}

/** Starts one demo service; resolves with its port and a close function once it listens. */
export async function startDemoService(
  options: DemoOptions,
): Promise<{ port: number; close(): Promise<void> }> {
  const registry = new Registry()
  const http = new HttpMetrics({ registry, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] })
  const collector = new MetricsCollector({ registry, http })
  const failingGauge = registry.gauge({
    name: 'demo_failing',
    help: '1 once the service has started to fail',
  })
  // process_resident_memory_bytes and the rest of prom-client's process metrics: what a memory
  // rule reads of a service that exposes them
  const processMetrics = createProcessCollector({ naming: 'prom-client' })
  processMetrics.register(registry)
  const growth = new MemoryGrowth((line) => console.log(`[${options.name}] ${line}`))
  registry.gauge({
    name: 'demo_memory_growth_bytes',
    help: 'Memory the memory drill knob holds',
    unit: 'bytes',
    collect: (gauge) => gauge.set(growth.status.heldBytes),
  })

  const deploy = new BadDeploy((line) => console.log(`[${options.name}] ${line}`))
  registry.gauge({
    name: 'demo_version_info',
    help: 'The version the service runs (always 1)',
    labelNames: ['version'],
    collect: (gauge) => {
      gauge.reset()
      gauge.set({ version: deploy.version }, 1)
    },
  })
  registry.gauge({
    name: 'demo_request_error_ratio',
    help: `Share of the service's last ${BadDeploy.WINDOW} requests that failed`,
    collect: (gauge) => gauge.set(deploy.errorRatio),
  })

  let failing: Exclude<FailMode, 'random' | 'none'> | undefined
  const health = createHealthEndpoint({
    service: options.name,
    timeoutMs: 1000,
    components: [
      {
        name: 'self',
        check: () => (failing === '503' ? { state: 'unhealthy', message: 'simulated failure' } : true),
      },
      ...options.dependsOn.map((url, i) => ({
        name: `dependency-${i}`,
        critical: false,
        check: async ({ signal }: { signal: AbortSignal }) => (await fetch(url, { signal })).ok,
      })),
    ],
  })

  const work = (res: ServerResponse) => {
    const ms = 5 + Math.random() * 40
    setTimeout(() => {
      // the bad version fails every request; the good one about 1 in 100
      const error = deploy.bad || Math.random() < 0.01
      deploy.served(error)
      collector.incrementBusiness('tasksCompleted')
      if (options.name === 'neural-processing') collector.incrementBusiness('neuralInferences')
      res.writeHead(error ? 500 : 200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ ok: !error, service: options.name, version: deploy.version }))
    }, ms)
  }

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  }
  /**
   * The drill knobs: `GET /drill` lists them; `/drill/memory` grows (POST), stops (DELETE), tells
   * (GET); `/drill/deploy` runs the bad version (POST), rolls back (DELETE), tells (GET).
   */
  const drill = (req: IncomingMessage, res: ServerResponse, path: string) => {
    req.resume() // a body, if any, is not read: the knobs take their options from the query
    const method = req.method ?? 'GET'
    if (path === '/drill' && method === 'GET')
      return json(res, 200, { service: options.name, knobs: ['memory', 'deploy'] })
    if (path === '/drill/deploy') {
      if (method === 'GET') return json(res, 200, deploy.status)
      if (method === 'POST') return json(res, 200, deploy.deployBad())
      if (method === 'DELETE') return json(res, 200, deploy.rollBack())
      return json(res, 405, { error: 'GET, POST or DELETE' })
    }
    if (path !== '/drill/memory') return json(res, 404, { error: `no drill knob at ${path}` })
    if (method === 'GET') return json(res, 200, growth.status)
    if (method === 'DELETE') return json(res, 200, growth.stop())
    if (method !== 'POST') return json(res, 405, { error: 'GET, POST or DELETE' })
    const asked = parseMemoryGrowth(new URL(req.url ?? '/', 'http://demo').searchParams)
    if (typeof asked === 'string') return json(res, 400, { error: asked })
    return json(res, 200, growth.start(asked))
  }

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!
    if (failing === 'hang') return // accepted, never answered: a hung process
    if (path === '/metrics') {
      collector.setBusiness('activeUsers', 20 + Math.round(Math.random() * 30))
      const { format } = negotiate(req.headers.accept)
      // metrics(), not render(): the process readings are taken at each scrape
      registry.metrics(format).then((text) => {
        res.writeHead(200, { 'content-type': registry.contentType(format) })
        res.end(text)
      })
      return
    }
    if (path === '/drill' || path.startsWith('/drill/')) return drill(req, res, path)
    if (path === options.healthPath || path === '/livez' || path === '/readyz') {
      const kind = path === '/livez' ? 'livez' : path === '/readyz' ? 'readyz' : 'health'
      health.answer(kind).then(({ statusCode, body }) => {
        res.writeHead(statusCode, { 'content-type': 'application/json' })
        res.end(JSON.stringify(body))
      })
      return
    }
    work(res)
  }
  const server = createServer(
    instrumentNodeListener(listener, {
      metrics: http,
      routes: [
        options.healthPath,
        '/metrics',
        '/livez',
        '/readyz',
        '/drill',
        '/drill/memory',
        '/drill/deploy',
      ],
      unmatchedRoute: '/work',
    }),
  )

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => resolve())
  })
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : options.port

  const timers: NodeJS.Timeout[] = []
  if (options.trafficRps > 0) {
    const traffic = setInterval(
      () => {
        fetch(`http://${options.host}:${port}/work`).then(
          (r) => r.arrayBuffer(),
          () => undefined,
        )
      },
      Math.max(10, 1000 / options.trafficRps),
    )
    traffic.unref()
    timers.push(traffic)
  }
  if (options.fail !== 'none') {
    const span = Math.max(0, options.failAfterMaxMs - options.failAfterMinMs)
    const after = options.failAfterMinMs + Math.random() * span
    const timer = setTimeout(() => {
      const mode = options.fail === 'random' ? (Math.random() < 0.5 ? '503' : 'hang') : options.fail
      console.log(`[${options.name}] simulated failure: ${mode}`)
      failingGauge.set(1)
      if (mode === 'exit') process.exit(3)
      failing = mode as typeof failing
    }, after)
    timer.unref()
    timers.push(timer)
  }
  console.log(`[${options.name}] listening on http://${options.host}:${port} (health ${options.healthPath})`)
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t)
        growth.stop()
        deploy.rollBack()
        processMetrics.stop()
        health.drain()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

const isMain =
  process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].split(/[\\/]/).pop()!)
if (isMain) {
  try {
    const options = parseDemoArgs(process.argv.slice(2), process.env)
    const service = await startDemoService(options)
    const shutdown = () => {
      service.close().then(() => process.exit(0))
      setTimeout(() => process.exit(0), 2000).unref()
    }
    process.on('SIGTERM', shutdown)
    process.on('SIGINT', shutdown)
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error))
    process.exit(2)
  }
}
