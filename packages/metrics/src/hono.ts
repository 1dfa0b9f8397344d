/**
 * @module @noa/metrics/hono
 * The Hono request middleware, kept out of the main entry so that `@noa/metrics` never loads hono.
 */

export type { HonoMetricsOptions } from './middleware/hono.ts'
export { honoMetrics } from './middleware/hono.ts'
