/**
 * @module @noa/metrics
 * The metrics SDK of noa: Registry, Counter, Gauge, Histogram and Summary with bounded
 * cardinality; Prometheus 0.0.4 and OpenMetrics 1.0 exposition and parsing; system and process
 * collectors; the JSON snapshot; a /metrics handler and request middleware for node:http
 * (Hono: '@noa/metrics/hono').
 *
 * The entry holds factories, the metric classes, option and record types; formatters, name
 * checks and other helpers stay private.
 */

export type { Collector } from './collector.ts'
export type {
  ProcessCollector,
  ProcessCollectorOptions,
  ProcessMetricNaming,
  ProcessSection,
} from './collectors/process/process.ts'
export { createProcessCollector } from './collectors/process/process.ts'
export type { SystemCollector, SystemCollectorOptions } from './collectors/system/system.ts'
export { createSystemCollector } from './collectors/system/system.ts'
export type { BoundCounter, CounterOptions } from './counter.ts'
export { Counter } from './counter.ts'
export type { DefaultMetrics, DefaultMetricsOptions } from './defaults.ts'
export { collectDefaultMetrics } from './defaults.ts'
export type { ParseDropped, ParseDropReason, ParseLimits } from './exposition/limits.ts'
export type { Negotiated } from './exposition/negotiate.ts'
export { negotiate, OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE } from './exposition/negotiate.ts'
export type {
  ExpositionParseError,
  ExpositionParser,
  MetricFamily,
  ParsedExemplar,
  ParsedMetricType,
  ParsedSample,
  ParseOptions,
  ParseResult,
} from './exposition/parse.ts'
export { createExpositionParser, formatOfContentType, parseExposition } from './exposition/parse.ts'
export type { ExpositionFormat } from './exposition/text.ts'
export type { BoundGauge, GaugeOptions } from './gauge.ts'
export { Gauge } from './gauge.ts'
export type { BoundHistogram, HistogramOptions } from './histogram.ts'
export { Histogram } from './histogram.ts'
export type { DropReason, Labels, LabelValue, MetricOptions } from './metric.ts'
export type { MetricsHandlerOptions, MetricsRequestHandler } from './middleware/handler.ts'
export { metricsHandler } from './middleware/handler.ts'
export type { HttpLabel, HttpMetricsOptions, RequestRecord } from './middleware/http-metrics.ts'
export { HttpMetrics } from './middleware/http-metrics.ts'
export type { NodeHttpMetricsOptions } from './middleware/node-http.ts'
export { instrumentNodeListener } from './middleware/node-http.ts'
export type { MetricType } from './names.ts'
export type { AnyMetric, DroppedSamples, RegistryOptions, RenderOptions } from './registry.ts'
export { Registry } from './registry.ts'
export type { QuantileSketchOptions } from './sketch.ts'
export type { MetricsCollectorOptions } from './snapshot/collector.ts'
export { MetricsCollector } from './snapshot/collector.ts'
export type { BoundSummary, SummaryOptions } from './summary.ts'
export { Summary } from './summary.ts'
