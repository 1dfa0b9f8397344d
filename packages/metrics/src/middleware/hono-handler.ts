import { errorMessage, type Logger, noopLogger } from '@noa/core'
import type { Handler } from 'hono'
import { negotiate } from '../exposition/negotiate.ts'
import type { Registry } from '../registry.ts'

/** Options of {@link honoMetricsHandler}. */
export interface HonoMetricsHandlerOptions {
  /** Where a failed render is reported (the scraper gets a 500). @default noopLogger */
  logger?: Logger
}

/**
 * The Hono twin of `metricsHandler`: answers the registry's exposition, OpenMetrics when the
 * `Accept` header asks for it, else the Prometheus text format, with the matching content type.
 *
 * @example
 * ```ts
 * app.get('/metrics', honoMetricsHandler(registry))
 * ```
 */
export function honoMetricsHandler(registry: Registry, options: HonoMetricsHandlerOptions = {}): Handler {
  const logger = options.logger ?? noopLogger
  return async (c) => {
    const { format, contentType } = negotiate(c.req.header('accept'))
    try {
      return c.body(await registry.metrics(format), 200, { 'content-type': contentType })
    } catch (error) {
      logger.error('metrics exposition failed', { error: errorMessage(error) })
      return c.text('metrics exposition failed\n', 500)
    }
  }
}
