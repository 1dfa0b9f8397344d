import {
  type ApplicationSection,
  type Clock,
  type Logger,
  type MetricSnapshot,
  noopLogger,
  type SystemSection,
  systemClock,
} from '@noa/core'
import type { ProcessCollector } from '../collectors/process/process.ts'
import type { SystemCollector } from '../collectors/system/system.ts'
import type { Counter } from '../counter.ts'
import type { Gauge } from '../gauge.ts'
import type { HttpMetrics } from '../middleware/http-metrics.ts'
import { isValidMetricName } from '../names.ts'
import { Registry } from '../registry.ts'
import type { Summary } from '../summary.ts'

/** Options of {@link MetricsCollector}. */
export interface MetricsCollectorOptions {
  /** Where the custom and business metrics are registered. @default a new Registry */
  registry?: Registry
  /** Source of the `system` section. @default none (the section is `{}`) */
  system?: SystemCollector
  /** Source of `application.process`. @default none */
  process?: ProcessCollector
  /** Source of `application.requests`, `latency` and `throughput`. @default none */
  http?: HttpMetrics
  /** Quantiles of `recordHistogram` cover this window. @default 600 */
  histogramWindowSeconds?: number
  clock?: Clock
  /** Warned once per name when a convenience call is refused. @default the registry's logger */
  logger?: Logger
}

interface Kinds {
  gauge: Gauge
  counter: Counter
  histogram: Summary
}

type Custom =
  | { kind: 'gauge'; metric: Gauge }
  | { kind: 'counter'; metric: Counter }
  | { kind: 'histogram'; metric: Summary }

/**
 * Builds the seed's JSON snapshot `{ timestamp, system, application, business, custom }` and
 * offers the seed's convenience API. Custom metrics are also registered as Prometheus metrics
 * under their own name: `setGauge` a gauge, `incrementCounter` a counter (`<name>_total`),
 * `recordHistogram` a summary (p50, p95, p99, max over a window — their unit is unknown, so no
 * fixed buckets). Business metrics go to one gauge `business_metric{name}`.
 *
 * Like every recording path, these calls never throw: an invalid name, a name already used by
 * another kind, or a bad value is ignored and warned once.
 *
 * @example
 * ```ts
 * const collector = new MetricsCollector({ registry, system: createSystemCollector(), process: createProcessCollector() })
 * collector.setGauge('custom_active_connections', 42)
 * collector.incrementCounter('custom_api_calls', 1)
 * collector.recordHistogram('custom_response_time', 150)
 * collector.setBusiness('activeUsers', 42)
 * const snapshot = await collector.snapshot()
 * ```
 */
export class MetricsCollector {
  readonly registry: Registry
  readonly #options: MetricsCollectorOptions
  readonly #clock: Clock
  readonly #logger: Logger
  readonly #custom = new Map<string, Custom>()
  readonly #businessValues = new Map<string, number>()
  readonly #businessGauge: Gauge<'name'>
  readonly #warned = new Set<string>()

  constructor(options: MetricsCollectorOptions = {}) {
    this.#options = options
    this.registry = options.registry ?? new Registry()
    this.#clock = options.clock ?? systemClock
    this.#logger = options.logger ?? this.registry.logger ?? noopLogger
    this.#businessGauge = this.registry.gauge({
      name: 'business_metric',
      help: 'Business metrics set through MetricsCollector.setBusiness, by name.',
      labelNames: ['name'],
    })
  }

  /** Sets a custom gauge. */
  setGauge(name: string, value: number): void {
    this.#customMetric(name, 'gauge')?.set(value)
  }

  /** Adds `by` (default 1, must be >= 0) to a custom counter. */
  incrementCounter(name: string, by = 1): void {
    this.#customMetric(name, 'counter')?.inc(by)
  }

  /** Records one value of a custom distribution (count, average, p50, p95, p99 and max in the snapshot). */
  recordHistogram(name: string, value: number): void {
    this.#customMetric(name, 'histogram')?.observe(value)
  }

  /** Sets a business metric (any name: it is a label value). */
  setBusiness(name: string, value: number): void {
    if (typeof value !== 'number' || Number.isNaN(value)) {
      this.#refuse(name, 'value must be a number')
      return
    }
    this.#businessValues.set(name, value)
    this.#businessGauge.set({ name }, value)
  }

  /** Adds `by` (default 1) to a business metric. */
  incrementBusiness(name: string, by = 1): void {
    if (typeof by !== 'number' || !Number.isFinite(by)) {
      this.#refuse(name, 'increment must be a finite number')
      return
    }
    this.setBusiness(name, (this.#businessValues.get(name) ?? 0) + by)
  }

  /** One snapshot in the seed's shape. Never rejects: a source that fails leaves its part out. */
  async snapshot(): Promise<MetricSnapshot> {
    const timestamp = new Date(this.#clock.now()).toISOString()
    const [system, proc] = await Promise.all([
      this.#options.system?.collect().catch(() => ({}) as SystemSection) ??
        Promise.resolve({} as SystemSection),
      this.#options.process?.collect().catch(() => undefined) ?? Promise.resolve(undefined),
    ])
    const application: ApplicationSection = {}
    if (proc !== undefined) application.process = proc
    if (this.#options.http !== undefined) Object.assign(application, this.#options.http.section())
    return {
      timestamp,
      system,
      application,
      business: Object.fromEntries(this.#businessValues),
      custom: this.#customSection(),
    }
  }

  #customSection(): Record<string, number> {
    const out: Record<string, number> = {}
    for (const [name, entry] of this.#custom) {
      if (entry.kind === 'histogram') {
        const stats = entry.metric.get()
        if (stats === undefined) continue
        const q = stats.quantiles
        out[`${name}_count`] = stats.count
        out[`${name}_avg`] = stats.count === 0 ? 0 : stats.sum / stats.count
        if (stats.count > 0) {
          out[`${name}_p50`] = q[0.5]!
          out[`${name}_p95`] = q[0.95]!
          out[`${name}_p99`] = q[0.99]!
          out[`${name}_max`] = q[1]!
        }
      } else {
        out[name] = entry.metric.get() ?? 0
      }
    }
    return out
  }

  #customMetric<K extends keyof Kinds>(name: string, kind: K): Kinds[K] | undefined {
    const existing = this.#custom.get(name)
    if (existing !== undefined) {
      if (existing.kind === kind) return existing.metric as Kinds[K]
      this.#refuse(name, `already a ${existing.kind}, not a ${kind}`)
      return undefined
    }
    if (typeof name !== 'string' || !isValidMetricName(name)) {
      this.#refuse(String(name), 'metric names must match [a-zA-Z_:][a-zA-Z0-9_:]*')
      return undefined
    }
    const help = `Custom ${kind} set through MetricsCollector.`
    try {
      const entry: Custom =
        kind === 'gauge'
          ? { kind: 'gauge', metric: this.registry.gauge({ name, help }) }
          : kind === 'counter'
            ? { kind: 'counter', metric: this.registry.counter({ name, help }) }
            : {
                kind: 'histogram',
                metric: this.registry.summary({
                  name,
                  help,
                  maxAgeSeconds: this.#options.histogramWindowSeconds ?? 600,
                  clock: this.#clock,
                }),
              }
      this.#custom.set(name, entry)
      return entry.metric as Kinds[K]
    } catch (error) {
      this.#refuse(name, error instanceof Error ? error.message : String(error))
      return undefined
    }
  }

  #refuse(name: string, why: string): void {
    const key = `${name}\u0000${why}`
    if (this.#warned.has(key)) return
    this.#warned.add(key)
    try {
      this.#logger.warn(`metrics: ignored a custom metric call for "${name}": ${why}`, { metric: name })
    } catch {
      // never into the host service
    }
  }
}
