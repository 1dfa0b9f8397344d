import type { IncomingMessage, ServerResponse } from 'node:http'
import { errorMessage, type Logger, noopLogger } from '@noa/core'
import { negotiate } from '../exposition/negotiate.ts'
import type { Registry } from '../registry.ts'

/** Options of {@link metricsHandler}. */
export interface MetricsHandlerOptions {
  /** Where a failed render is reported (the scraper gets a 500). @default noopLogger */
  logger?: Logger
}

/** A node:http request listener (what `createServer` takes). */
export type MetricsRequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>

/**
 * A node:http handler that answers the registry's exposition: OpenMetrics when the `Accept`
 * header asks for it (as Prometheus does), else the Prometheus text format, with the matching
 * content type. GET and HEAD only (405 otherwise). The text is rendered in slices
 * (`registry.metricsBytes`), so a large registry does not stall the service while it is scraped.
 *
 * @example
 * ```ts
 * createServer(metricsHandler(registry)).listen(9464)
 * ```
 */
export function metricsHandler(
  registry: Registry,
  options: MetricsHandlerOptions = {},
): MetricsRequestHandler {
  const logger = options.logger ?? noopLogger
  return async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' })
      res.end('method not allowed\n')
      return
    }
    const { format, contentType } = negotiate(req.headers.accept)
    let body: Buffer
    try {
      body = await registry.metricsBytes(format)
    } catch (error) {
      logger.error('metrics exposition failed', { error: errorMessage(error) })
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
      res.end('metrics exposition failed\n')
      return
    }
    res.writeHead(200, { 'content-type': contentType, 'content-length': body.byteLength })
    res.end(req.method === 'HEAD' ? undefined : body)
  }
}
