/**
 * @module @noa/metrics/otlp
 * OTLP/HTTP metrics export (protobuf and JSON encodings).
 */
export {}
