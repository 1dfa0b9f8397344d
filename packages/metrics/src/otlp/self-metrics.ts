import { Counter } from '../counter.ts'
import type { Registry } from '../registry.ts'

/** The counters a user reads to see OTLP export work (`noa_otlp_*` on /metrics). */
export interface OtlpExportMetrics {
  /**
   * Data points by result: `sent`, `failed` (refused by the collector: a 4xx, or rejected in a
   * partial success), `dropped` (never delivered: a newer export replaced it, or the exporter stopped).
   */
  points: Counter<'result'>
  /** Requests by HTTP status code, `timeout` or `error` (no answer). */
  requests: Counter<'code'>
}

/** Registers the exporter's counters in `registry`, or finds them there (two exporters share them). */
export function otlpExportMetrics(registry: Registry): OtlpExportMetrics {
  const counter = <L extends string>(name: string, help: string, label: L): Counter<L> =>
    (registry.get(name) as Counter<L> | undefined) ??
    registry.register(new Counter<L>({ name, help, labelNames: [label], maxSeries: 50 }))
  return {
    points: counter('noa_otlp_points_total', 'OTLP data points by result (sent, failed, dropped)', 'result'),
    requests: counter(
      'noa_otlp_requests_total',
      'OTLP export requests by HTTP status code, timeout or error',
      'code',
    ),
  }
}
