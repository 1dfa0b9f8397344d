/**
 * @module @noa/metrics/opentelemetry
 * A MeterProvider of the OpenTelemetry API backed by a noa Registry.
 */
export {}
