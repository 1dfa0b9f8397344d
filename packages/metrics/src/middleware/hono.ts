import type { Context, MiddlewareHandler } from 'hono'
import type { HttpMetrics } from './http-metrics.ts'

/** Options of {@link honoMetrics}. */
export interface HonoMetricsOptions {
  /** Route label of a request no route matched (never the raw URL). @default '(unmatched)' */
  unmatchedRoute?: string
}

/**
 * The template of the route that answered, or undefined when none did. After next(), routeIndex
 * points at the last handler that ran: still ours, or a middleware (a `(c, next)` handler, the
 * heuristic of Hono's own route-helper example) answering 404, means no route matched.
 */
function routeOf(c: Context, ownIndex: number, status: number): string | undefined {
  if (c.req.routeIndex === ownIndex) return undefined
  const answered = c.req.matchedRoutes[c.req.routeIndex]
  if (status === 404 && answered !== undefined && answered.handler.length >= 2) return undefined
  return c.req.routePath
}

/**
 * Hono middleware that records every request in `metrics`, labelled by method, the route
 * template that answered (`c.req.routePath`, e.g. `/users/:id`) and status class. Body bytes come
 * from `content-length`, or are counted as a streamed body is read.
 *
 * @example
 * ```ts
 * import { honoMetrics } from '@noa/metrics/hono'
 * const http = new HttpMetrics({ registry })
 * app.use('*', honoMetrics(http))
 * ```
 */
export function honoMetrics(metrics: HttpMetrics, options: HonoMetricsOptions = {}): MiddlewareHandler {
  const unmatched = options.unmatchedRoute ?? '(unmatched)'
  return async (c, next) => {
    const start = metrics.clock.monotonic()
    const ownIndex = c.req.routeIndex
    let thrown = false
    try {
      await next()
    } catch (error) {
      thrown = true
      throw error
    } finally {
      const status = thrown ? 500 : c.res.status
      const route = routeOf(c, ownIndex, status) ?? unmatched
      const request = { method: c.req.method, route, status }
      const length = c.res.headers.get('content-length')
      const known = length === null ? undefined : Number(length)
      metrics.record({ ...request, durationMs: metrics.clock.monotonic() - start, bytes: known ?? 0 })
      const body = thrown ? null : c.res.body
      if (known === undefined && body !== null) {
        let bytes = 0
        const counted = body.pipeThrough(
          new TransformStream<Uint8Array, Uint8Array>({
            transform(chunk, controller) {
              bytes += chunk.byteLength
              controller.enqueue(chunk)
            },
            flush() {
              metrics.recordBytes(request, bytes)
            },
          }),
        )
        c.res = new Response(counted, c.res)
      }
    }
  }
}
