import { errorMessage, systemClock, type Timer } from '@noa/core'
import type { Registry } from '../registry.ts'
import { createOtlpExporter, type OtlpExporterOptions, type OtlpExportResult } from './exporter.ts'
import type { OtlpMetric } from './model.ts'
import { registryOtlpMetrics } from './registry-metrics.ts'
import { otlpExportMetrics } from './self-metrics.ts'

/** Options of {@link startOtlpExport}. */
export interface OtlpExportOptions extends Omit<OtlpExporterOptions, 'metrics'> {
  /** The registry exported, and where the `noa_otlp_*` counters are registered. */
  registry: Registry
  /** Time between exports, ms. @default 10000 */
  intervalMs?: number
  /**
   * What each export sends instead of the registry's metrics (the noa agent adds the services'
   * metrics). @default the registry's metrics
   */
  collect?: () => Promise<readonly OtlpMetric[]> | readonly OtlpMetric[]
  /** How long `stop()` tries its last export, ms. @default 5000 */
  stopDeadlineMs?: number
}

/** A running periodic export. */
export interface OtlpExport {
  /** Exports now (what an interval would), replacing an export still retrying. */
  exportNow(): Promise<OtlpExportResult>
  /** Stops the interval and makes one last export, given at most `stopDeadlineMs`. */
  stop(): Promise<void>
}

/** Start of the cumulative counts that have no `_created`: the process's start. */
const PROCESS_START_MS = Math.round(performance.timeOrigin)

/**
 * Exports a registry to an OpenTelemetry collector (or any OTLP/HTTP receiver: Grafana
 * Alloy, Mimir, Datadog, Honeycomb...) every `intervalMs`, as the OpenTelemetry SDK's periodic
 * reader does: each export carries the current cumulative values, so an export still
 * retrying when the next is due is aborted and its points counted as dropped.
 *
 * @example
 * ```ts
 * const otlp = startOtlpExport({ registry, url: 'http://127.0.0.1:4318/v1/metrics', resource: { 'service.name': 'api' } })
 * process.on('SIGTERM', () => void otlp.stop())
 * ```
 */
export function startOtlpExport(options: OtlpExportOptions): OtlpExport {
  const { registry } = options
  const exporter = createOtlpExporter({ ...options, metrics: otlpExportMetrics(registry) })
  const clock = options.clock ?? systemClock
  const intervalMs = options.intervalMs ?? 10_000
  const collect = options.collect ?? (() => registryOtlpMetrics(registry, clock.now(), PROCESS_START_MS))
  let current: AbortController | undefined
  let timer: Timer | undefined
  let stopped = false

  const exportNow = async (signal?: AbortSignal): Promise<OtlpExportResult> => {
    current?.abort()
    const abort = new AbortController()
    current = abort
    signal?.addEventListener('abort', () => abort.abort(), { once: true })
    try {
      return await exporter.export(await collect(), abort.signal)
    } catch (error) {
      options.logger?.error('OTLP export failed', { error: errorMessage(error) })
      return { sent: 0, failed: 0, dropped: 0 }
    } finally {
      if (current === abort) current = undefined
    }
  }

  const schedule = () => {
    if (stopped) return
    const tick = () => {
      void exportNow()
      schedule()
    }
    timer = clock.setTimeout(tick, intervalMs)
  }
  schedule()

  return {
    exportNow: () => exportNow(),
    async stop() {
      stopped = true
      timer?.cancel()
      const deadline = new AbortController()
      const limit = clock.setTimeout(() => deadline.abort(), options.stopDeadlineMs ?? 5_000)
      try {
        await exportNow(deadline.signal)
      } finally {
        limit.cancel()
      }
    },
  }
}
