/**
 * @module @noa/metrics/hono
 * The Hono request middleware and /metrics handler, kept out of the main entry so that
 * `@noa/metrics` never loads hono.
 */

export type { HonoMetricsOptions } from './middleware/hono.ts'
export { honoMetrics } from './middleware/hono.ts'
export type { HonoMetricsHandlerOptions } from './middleware/hono-handler.ts'
export { honoMetricsHandler } from './middleware/hono-handler.ts'
