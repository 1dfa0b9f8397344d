/**
 * @module @noa/metrics/opentelemetry
 * A MeterProvider of the OpenTelemetry metrics API backed by a noa Registry: a service (or an
 * instrumentation library) recording through `@opentelemetry/api` is exposed in the Prometheus
 * and OpenMetrics formats with the registry's other metrics. `@opentelemetry/api` (>=1.3 <2) is
 * an optional peer dependency; this entry takes only its types and loads nothing from it.
 */

export type { MeterProviderOptions } from './opentelemetry/provider.ts'
export { createMeterProvider } from './opentelemetry/provider.ts'
export type { RefusedReason } from './opentelemetry/refusals.ts'
export { REFUSED_METRIC } from './opentelemetry/refusals.ts'
