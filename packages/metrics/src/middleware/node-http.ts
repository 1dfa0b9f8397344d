import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import type { HttpMetrics } from './http-metrics.ts'

/** Options of {@link instrumentNodeListener}. */
export interface NodeHttpMetricsOptions {
  metrics: HttpMetrics
  /**
   * Route templates such as `/users/:id` or `/static/*`, matched segment by segment against the
   * path (`:name` matches one segment, a trailing `*` the rest); the first match wins.
   * @default []
   */
  routes?: readonly string[]
  /** Picks the route template of a request; takes precedence over `routes`. Return undefined when unmatched. */
  route?: (req: IncomingMessage) => string | undefined
  /** Route label of a request that matches no template (never the raw URL). @default '(unmatched)' */
  unmatchedRoute?: string
}

/**
 * Compiles route templates into a matcher from a request path to its template.
 *
 * @example
 * ```ts
 * routeMatcher(['/users/:id', '/static/*'])('/users/7') // '/users/:id'
 * ```
 */
export function routeMatcher(templates: readonly string[]): (path: string) => string | undefined {
  const compiled = templates.map((template) => ({
    template,
    parts: template.split('/').filter((p) => p !== ''),
  }))
  return (path) => {
    const parts = path.split('/').filter((p) => p !== '')
    for (const { template, parts: pattern } of compiled) {
      if (matches(pattern, parts)) return template
    }
    return undefined
  }
}

function matches(pattern: readonly string[], parts: readonly string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!
    if (p === '*' && i === pattern.length - 1) return true
    const part = parts[i]
    if (part === undefined) return false
    if (p.startsWith(':')) continue
    if (p !== part) return false
  }
  return pattern.length === parts.length
}

/**
 * Wraps a node:http request listener so every request is recorded in `metrics`: method, route
 * template, status class, duration (until the response is finished) and the body bytes written.
 * A request the client aborts before the answer is complete is not recorded.
 *
 * @example
 * ```ts
 * const http = new HttpMetrics({ registry })
 * const server = createServer(
 *   instrumentNodeListener((req, res) => res.end('ok'), { metrics: http, routes: ['/users/:id', '/health'] }),
 * )
 * ```
 */
export function instrumentNodeListener(
  listener: RequestListener,
  options: NodeHttpMetricsOptions,
): RequestListener {
  const { metrics } = options
  const match = routeMatcher(options.routes ?? [])
  const unmatched = options.unmatchedRoute ?? '(unmatched)'
  const { clock } = metrics
  const routeOf = (req: IncomingMessage): string => {
    try {
      if (options.route !== undefined) return options.route(req) ?? unmatched
      const url = req.url ?? '/'
      const q = url.indexOf('?')
      return match(q < 0 ? url : url.slice(0, q)) ?? unmatched
    } catch {
      return unmatched
    }
  }
  return (req: IncomingMessage, res: ServerResponse) => {
    const start = clock.monotonic()
    let bytes = 0
    const write = res.write
    const end = res.end
    const count = (chunk: unknown, encoding: unknown) => {
      if (typeof chunk === 'string')
        bytes += Buffer.byteLength(
          chunk,
          typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8',
        )
      else if (chunk instanceof Uint8Array) bytes += chunk.byteLength
    }
    res.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
      count(chunk, rest[0])
      return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest)
    } as typeof res.write
    res.end = function (this: ServerResponse, chunk?: unknown, ...rest: unknown[]) {
      if (typeof chunk !== 'function') count(chunk, rest[0])
      return (end as (...args: unknown[]) => ServerResponse).call(this, chunk, ...rest)
    } as typeof res.end
    res.once('finish', () => {
      metrics.record({
        method: req.method ?? '',
        route: routeOf(req),
        status: res.statusCode,
        durationMs: clock.monotonic() - start,
        bytes,
      })
    })
    listener(req, res)
  }
}
