import { ConfigError, type ConfigIssue, type Logger } from '@noa/core'
import type { Meter, MeterOptions, MeterProvider } from '@opentelemetry/api'
import { DEFAULT_MAX_SERIES } from '../metric.ts'
import type { Registry } from '../registry.ts'
import { Bridge } from './bridge.ts'
import { NoaMeter } from './meter.ts'
import { Observations } from './observations.ts'
import { Refusals } from './refusals.ts'

/** Options of {@link createMeterProvider}. */
export interface MeterProviderOptions {
  /**
   * Add the `otel_scope_name` and `otel_scope_version` labels (the meter's name and version) to
   * every series, as the OpenTelemetry compatibility specification recommends; they keep apart
   * the series two libraries record under one instrument name.
   * @default true
   */
  scopeLabels?: boolean
  /** Most series per metric; further label sets are dropped and counted (`cardinality_limit`). @default 2000 */
  maxSeries?: number
  /** Most label names per metric (scope labels included); a recording bringing more is dropped (`extra_label`). @default 32 */
  maxLabelNames?: number
  /** Most metrics the provider makes; further instruments are refused (no-op, counted). @default 1000 */
  maxInstruments?: number
  /** Most observable callbacks registered at once; further ones are refused (counted). @default 1000 */
  maxCallbacks?: number
  /** How long an exposition waits for an async observable callback, in milliseconds. @default 5000 */
  callbackTimeoutMs?: number
  /** Where refusals are warned (once per reason and instrument). @default the registry's logger */
  logger?: Logger
}

/** Most meters kept for reuse; a meter asked for past it is made anew each time (its instruments still share metrics). */
const MAX_METERS = 1000

const POSITIVE_INTEGERS = ['maxSeries', 'maxLabelNames', 'maxInstruments', 'maxCallbacks'] as const

function check(options: MeterProviderOptions): ConfigIssue[] {
  const issues: ConfigIssue[] = []
  const at = 'opentelemetry'
  if (options.scopeLabels !== undefined && typeof options.scopeLabels !== 'boolean') {
    issues.push({
      path: `${at}.scopeLabels`,
      message: `must be a boolean; found ${typeof options.scopeLabels}`,
    })
  }
  for (const key of POSITIVE_INTEGERS) {
    const value = options[key]
    if (value !== undefined && !(Number.isInteger(value) && value >= 1)) {
      issues.push({ path: `${at}.${key}`, message: `must be an integer >= 1; found ${String(value)}` })
    }
  }
  const timeout = options.callbackTimeoutMs
  if (timeout !== undefined && !(typeof timeout === 'number' && Number.isFinite(timeout) && timeout > 0)) {
    issues.push({
      path: `${at}.callbackTimeoutMs`,
      message: `must be a finite number > 0; found ${String(timeout)}`,
    })
  }
  if (options.logger !== undefined && typeof options.logger?.warn !== 'function') {
    issues.push({ path: `${at}.logger`, message: 'must be a Logger (an object with a warn method)' })
  }
  return issues
}

/**
 * A MeterProvider of the OpenTelemetry metrics API whose instruments are noa metrics of
 * `registry`, exposed with the rest of it in the Prometheus or OpenMetrics format. Names follow
 * the OpenTelemetry "Prometheus and OpenMetrics compatibility" specification
 * (`http.server.request.duration` in `s` -> `http_server_request_duration_seconds`).
 * Instruments never throw: an instrument that cannot be made is a no-op, counted in
 * `noa_opentelemetry_instruments_refused_total{reason}` and warned once. Only types are taken
 * from `@opentelemetry/api`, so any 1.x version works. Throws a ConfigError for invalid options.
 *
 * @example
 * ```ts
 * import { metrics } from '@opentelemetry/api'
 * import { Registry } from '@noa/metrics'
 * import { createMeterProvider } from '@noa/metrics/opentelemetry'
 *
 * const registry = new Registry()
 * metrics.setGlobalMeterProvider(createMeterProvider(registry))
 * const jobs = metrics.getMeter('jobs').createCounter('jobs.done', { unit: '{job}' })
 * jobs.add(1, { queue: 'mail' }) // jobs_done_total{otel_scope_name="jobs",queue="mail"} 1
 * ```
 */
export function createMeterProvider(registry: Registry, options: MeterProviderOptions = {}): MeterProvider {
  const issues = check(options ?? {})
  if (issues.length > 0) throw new ConfigError(issues)
  const refusals = new Refusals(registry, options.logger ?? registry.logger)
  const observations = new Observations(
    refusals,
    options.maxCallbacks ?? 1000,
    options.callbackTimeoutMs ?? 5000,
  )
  const bridge = new Bridge(
    registry,
    {
      scopeLabels: options.scopeLabels ?? true,
      maxSeries: options.maxSeries ?? DEFAULT_MAX_SERIES,
      maxLabelNames: options.maxLabelNames ?? 32,
      maxInstruments: options.maxInstruments ?? 1000,
    },
    refusals,
    observations,
  )
  const meters = new Map<string, Meter>()
  return {
    getMeter(name: string, version?: string, _options?: MeterOptions): Meter {
      const scopeName = typeof name === 'string' ? name : ''
      const scopeVersion = typeof version === 'string' ? version : ''
      const key = `${scopeName}\u0000${scopeVersion}`
      let meter = meters.get(key)
      if (meter === undefined) {
        const scope = new Map(
          bridge.settings.scopeLabels
            ? [
                ['otel_scope_name', scopeName],
                ['otel_scope_version', scopeVersion],
              ]
            : [],
        )
        meter = new NoaMeter(bridge, scope)
        if (meters.size < MAX_METERS) meters.set(key, meter)
      }
      return meter
    },
  }
}
