import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Clock, OverallStatus } from '@noa/core'
import { ConfigError, systemClock, timeoutSignal } from '@noa/core'
import type { CheckOutcome } from './checker.ts'
import { errorOutcome } from './checker.ts'
import { overallStatus } from './overall.ts'

/** What a component check gives: true/undefined (fine), false, or a full outcome. */
// biome-ignore lint/suspicious/noConfusingVoidType: lets `async () => { await pool.query('SELECT 1') }` be a check
export type ComponentResult = boolean | undefined | void | CheckOutcome

/** One component a service depends on (its database, its cache), checked on each /health request. */
export interface ComponentCheck {
  name: string
  /** A critical component down makes the service `unhealthy` (503); another one `degraded` (200). @default true */
  critical?: boolean
  /** Resolves true/undefined or a healthy outcome when fine; false, a failed outcome or a throw when not. */
  check(context: { signal: AbortSignal }): Promise<ComponentResult> | ComponentResult
}

/** Options of {@link createHealthEndpoint}. */
export interface HealthEndpointOptions {
  /** Shown as `service` in the body. */
  service?: string
  /** Component checks run by /health and /readyz. @default [] */
  components?: readonly ComponentCheck[]
  /** Time limit of each component check, ms. @default 2000 */
  timeoutMs?: number
  /** @default systemClock */
  clock?: Clock
}

/** The state of one component in a health report. */
export interface ComponentReport {
  status: 'healthy' | 'unhealthy' | 'error'
  critical: boolean
  durationMs: number
  message?: string
}

/** The JSON body of /health and /readyz. The `http` checker's default (status 200-399) reads it as is. */
export interface HealthReport {
  status: OverallStatus
  /** False once shutdown began, or when a critical component is down. */
  ready: boolean
  timestamp: string
  service?: string
  checks: Record<string, ComponentReport>
}

/** An answer: status code and JSON body. */
export interface HealthAnswer {
  statusCode: 200 | 503
  body: HealthReport | { status: 'healthy' | 'unhealthy'; timestamp: string; service?: string }
}

/** The probe paths served. */
export type ProbeKind = 'health' | 'livez' | 'readyz'

/** Something with Hono's `get(path, handler)`; a Hono app fits. */
export interface RouteTarget {
  get(path: string, handler: () => Promise<Response>): unknown
}

/** A service's health endpoint: answers for Hono, plain node:http or anything that takes a Response. */
export interface HealthEndpoint {
  /** Runs the component checks and builds the answer of a probe. */
  answer(kind: ProbeKind): Promise<HealthAnswer>
  /** The answer as a web Response (Hono handlers, fetch servers). */
  respond(kind: ProbeKind): Promise<Response>
  /** Adds GET /health, /livez and /readyz to a Hono app (or anything with `get`), under `prefix`. */
  mount(app: RouteTarget, prefix?: string): void
  /** A node:http handler: answers the three paths and passes anything else to `next` (404 without it). */
  nodeHandler(req: IncomingMessage, res: ServerResponse, next?: () => void): void
  /** Flips readiness to 503 (shutdown began); liveness stays 200. */
  drain(): void
  /**
   * Graceful shutdown: flips readiness to 503 first, waits `drainMs` so load balancers and
   * probes notice, then calls `close` (stop the server, end pools).
   */
  shutdown(close: () => unknown, options?: { drainMs?: number }): Promise<void>
  /** True until {@link HealthEndpoint.drain}. */
  readonly ready: boolean
}

const PATHS: Record<string, ProbeKind> = { '/health': 'health', '/livez': 'livez', '/readyz': 'readyz' }

async function runComponent(
  component: ComponentCheck,
  timeoutMs: number,
  clock: Clock,
): Promise<ComponentReport> {
  const critical = component.critical ?? true
  const timeout = timeoutSignal(timeoutMs, { clock, what: `component ${component.name}` })
  const started = clock.monotonic()
  let outcome: CheckOutcome
  try {
    const value = await Promise.race([
      Promise.resolve(component.check({ signal: timeout.signal })),
      new Promise<never>((_, reject) =>
        timeout.signal.addEventListener('abort', () => reject(timeout.signal.reason), { once: true }),
      ),
    ])
    outcome =
      value === undefined || value === true
        ? { state: 'healthy' }
        : value === false
          ? { state: 'unhealthy', message: 'check failed' }
          : value
  } catch (error) {
    outcome = errorOutcome(error, timeout.signal)
  } finally {
    timeout.dispose()
  }
  return {
    status: outcome.state,
    critical,
    durationMs: Math.round((clock.monotonic() - started) * 100) / 100,
    ...(outcome.message === undefined ? {} : { message: outcome.message }),
  }
}

/**
 * Builds the /health, /livez and /readyz endpoints of a service. /livez answers 200 while the
 * process serves; /health and /readyz run the component checks (in parallel, each with a time
 * limit) and answer 200 when every critical one is healthy, else 503. After `drain()` they
 * answer 503 so load balancers stop sending traffic before the server closes.
 *
 * @example
 * ```ts
 * const health = createHealthEndpoint({
 *   service: 'mcp-server',
 *   components: [{ name: 'database', check: async ({ signal }) => { await pool.query('SELECT 1'); } }],
 * })
 * const app = new Hono()
 * health.mount(app)                                  // Hono
 * http.createServer((req, res) => health.nodeHandler(req, res, () => appHandler(req, res))) // node:http
 * process.on('SIGTERM', () => health.shutdown(() => server.close(), { drainMs: 5_000 }))
 * ```
 */
export function createHealthEndpoint(options: HealthEndpointOptions = {}): HealthEndpoint {
  const components = options.components ?? []
  const timeoutMs = options.timeoutMs ?? 2000
  const clock = options.clock ?? systemClock
  const issues = []
  if (!(Number.isInteger(timeoutMs) && timeoutMs > 0))
    issues.push({ path: 'timeoutMs', message: `expected a positive integer; found ${timeoutMs}` })
  const names = new Set<string>()
  components.forEach((c, i) => {
    if (typeof c?.name !== 'string' || c.name === '' || typeof c.check !== 'function')
      issues.push({ path: `components.${i}`, message: 'expected { name: string, check: function }' })
    else if (names.has(c.name))
      issues.push({ path: `components.${i}.name`, message: `duplicate component "${c.name}"` })
    else names.add(c.name)
  })
  if (issues.length > 0) throw new ConfigError(issues)

  let ready = true
  let running: Promise<HealthReport> | undefined
  const service = options.service === undefined ? {} : { service: options.service }

  const report = async (): Promise<HealthReport> => {
    const results = await Promise.all(components.map((c) => runComponent(c, timeoutMs, clock)))
    const checks: Record<string, ComponentReport> = {}
    components.forEach((c, i) => {
      checks[c.name] = results[i]!
    })
    let status = overallStatus(results.map((r) => ({ state: r.status, critical: r.critical })))
    if (components.length === 0) status = 'healthy'
    if (!ready) status = 'unhealthy'
    return {
      status,
      ready: ready && status !== 'unhealthy',
      timestamp: new Date(clock.now()).toISOString(),
      ...service,
      checks,
    }
  }

  const answer = async (kind: ProbeKind): Promise<HealthAnswer> => {
    if (kind === 'livez')
      return {
        statusCode: 200,
        body: { status: 'healthy', timestamp: new Date(clock.now()).toISOString(), ...service },
      }
    // Concurrent probes share one run of the component checks.
    running ??= report().finally(() => {
      running = undefined
    })
    const body = await running
    return { statusCode: body.ready ? 200 : 503, body }
  }

  return {
    answer,
    async respond(kind) {
      const { statusCode, body } = await answer(kind)
      return new Response(JSON.stringify(body), {
        status: statusCode,
        headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
      })
    },
    mount(app, prefix = '') {
      for (const [path, kind] of Object.entries(PATHS)) app.get(`${prefix}${path}`, () => this.respond(kind))
    },
    nodeHandler(req, res, next) {
      const path = (req.url ?? '/').split('?')[0]!
      const kind = PATHS[path]
      if (!kind || (req.method !== 'GET' && req.method !== 'HEAD')) {
        if (next) return next()
        res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' }).end('{"error":"not found"}')
        return
      }
      answer(kind).then(
        ({ statusCode, body }) => {
          const text = JSON.stringify(body)
          res.writeHead(statusCode, {
            'content-type': 'application/json; charset=utf-8',
            'cache-control': 'no-store',
            'content-length': Buffer.byteLength(text),
          })
          res.end(req.method === 'HEAD' ? undefined : text)
        },
        () => {
          if (!res.headersSent) res.writeHead(503).end()
        },
      )
    },
    drain() {
      ready = false
    },
    async shutdown(close, shutdownOptions = {}) {
      ready = false
      await clock.sleep(shutdownOptions.drainMs ?? 5_000)
      await close()
    },
    get ready() {
      return ready
    },
  }
}
