import { type ApplicationSection, type Clock, systemClock } from '@noa/core'
import type { Counter } from '../counter.ts'
import { DEFAULT_BUCKETS, type Histogram } from '../histogram.ts'
import { Registry } from '../registry.ts'
import type { Summary } from '../summary.ts'

/** Labels of the request metrics: method, route template (never the raw URL) and status class. */
export type HttpLabel = 'method' | 'route' | 'status_class'

/** Options of {@link HttpMetrics}. */
export interface HttpMetricsOptions {
  /** Where the request metrics are registered. @default a new Registry */
  registry?: Registry
  /** Prefix of the metric names. @default 'http_' */
  prefix?: string
  /** Latency histogram buckets, in seconds. @default DEFAULT_BUCKETS */
  buckets?: readonly number[]
  /** Requests and bytes per second are averaged over this window. @default 60 */
  throughputWindowSeconds?: number
  /** p50/p95/p99/max cover this window (a windowed summary). @default 600 */
  latencyWindowSeconds?: number
  /** Most label sets (method × route × status class) per metric. @default 2000 */
  maxSeries?: number
  clock?: Clock
}

/** One finished request, as the middleware reports it. */
export interface RequestRecord {
  method: string
  /** Route template such as `/users/:id`, or the unmatched label. */
  route: string
  status: number
  durationMs: number
  /** Response body bytes, when known when the request is recorded. @default 0 */
  bytes?: number
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'])

/**
 * `GET`…`PATCH` upper-cased; anything else is `OTHER` (a method is client input and must not grow series).
 *
 * @example
 * ```ts
 * normalizeMethod('propfind') // 'OTHER'
 * ```
 */
export function normalizeMethod(method: string | undefined): string {
  const upper = (method ?? '').toUpperCase()
  return METHODS.has(upper) ? upper : 'OTHER'
}

/**
 * `1xx`…`5xx`, or `unknown` for a status outside 100..599.
 *
 * @example
 * ```ts
 * statusClass(503) // '5xx'
 * ```
 */
export function statusClass(status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'unknown'
}

/**
 * The request statistics both middlewares feed: Prometheus metrics labelled by method, route
 * template and status class, and the figures of the snapshot's application section.
 *
 * A request is `failed` when its status is 5xx (a server error); a 4xx is the client's error and
 * counts as successful, so that a burst of 404s from a scanner cannot trigger a restart.
 *
 * Metrics (prefix `http_`): `requests_total` (counter), `request_duration_seconds` (histogram),
 * `request_latency_seconds` (windowed summary: p50, p95, p99, max), `response_size_bytes_total`
 * (counter), `requests_per_second`, `response_bytes_per_second` and `error_ratio` (gauges).
 *
 * @example
 * ```ts
 * const http = new HttpMetrics({ registry })
 * const server = createServer(instrumentNodeListener(handler, { metrics: http, routes: ['/users/:id'] }))
 * http.section() // { requests: { total, successful, failed, errors, errorRate }, latency: {...}, throughput: {...} }
 * ```
 */
export class HttpMetrics {
  readonly registry: Registry
  readonly requests: Counter<HttpLabel>
  readonly duration: Histogram<HttpLabel>
  readonly latency: Summary
  readonly bytes: Counter<HttpLabel>
  /** The time source of durations and windows. */
  readonly clock: Clock
  readonly #window: number
  readonly #slotSecond: number[]
  readonly #slotRequests: number[]
  readonly #slotBytes: number[]
  readonly #startedAt: number
  #total = 0
  #failed = 0
  #latencySumMs = 0

  constructor(options: HttpMetricsOptions = {}) {
    const prefix = options.prefix ?? 'http_'
    const maxSeries = options.maxSeries
    const labelNames: HttpLabel[] = ['method', 'route', 'status_class']
    this.clock = options.clock ?? systemClock
    this.registry = options.registry ?? new Registry()
    const common = { labelNames, clock: this.clock, ...(maxSeries === undefined ? {} : { maxSeries }) }
    this.requests = this.registry.counter({
      name: `${prefix}requests_total`,
      help: 'HTTP requests served.',
      ...common,
    })
    this.duration = this.registry.histogram({
      name: `${prefix}request_duration_seconds`,
      help: 'Time to answer HTTP requests.',
      unit: 'seconds',
      buckets: options.buckets ?? DEFAULT_BUCKETS,
      ...common,
    })
    this.latency = this.registry.summary({
      name: `${prefix}request_latency_seconds`,
      help: 'Latency quantiles of all HTTP requests over a sliding window (quantile 1 is the max).',
      unit: 'seconds',
      maxAgeSeconds: options.latencyWindowSeconds ?? 600,
      clock: this.clock,
    })
    this.bytes = this.registry.counter({
      name: `${prefix}response_size_bytes_total`,
      help: 'HTTP response body bytes sent.',
      ...common,
    })
    this.#window = Math.max(1, Math.round(options.throughputWindowSeconds ?? 60))
    this.#slotSecond = new Array<number>(this.#window).fill(-1)
    this.#slotRequests = new Array<number>(this.#window).fill(0)
    this.#slotBytes = new Array<number>(this.#window).fill(0)
    this.#startedAt = this.clock.now()
    this.registry.gauge({
      name: `${prefix}requests_per_second`,
      help: 'HTTP requests per second over the throughput window.',
      collect: (g) => g.set(this.throughput().requestsPerSecond),
    })
    this.registry.gauge({
      name: `${prefix}response_bytes_per_second`,
      help: 'HTTP response bytes per second over the throughput window.',
      collect: (g) => g.set(this.throughput().bytesPerSecond),
    })
    this.registry.gauge({
      name: `${prefix}error_ratio`,
      help: 'Share of HTTP requests answered with a 5xx since start, 0..1.',
      collect: (g) => g.set(this.#total === 0 ? 0 : this.#failed / this.#total),
    })
  }

  /** Records one finished request. Never throws. */
  record(request: RequestRecord): void {
    const labels = {
      method: normalizeMethod(request.method),
      route: request.route,
      status_class: statusClass(request.status),
    }
    const ms = request.durationMs
    this.requests.inc(labels)
    this.duration.observe(labels, ms / 1000)
    this.latency.observe(ms / 1000)
    this.#total++
    if (request.status >= 500 || request.status < 100) this.#failed++
    if (ms >= 0 && Number.isFinite(ms)) this.#latencySumMs += ms
    const slot = this.#slot()
    this.#slotRequests[slot]!++
    if (request.bytes !== undefined && request.bytes > 0) this.#addBytes(labels, request.bytes, slot)
  }

  /** Adds response bytes learnt after the request was recorded (a streamed body). */
  recordBytes(request: Omit<RequestRecord, 'durationMs' | 'bytes'>, bytes: number): void {
    if (!(bytes > 0)) return
    const labels = {
      method: normalizeMethod(request.method),
      route: request.route,
      status_class: statusClass(request.status),
    }
    this.#addBytes(labels, bytes, this.#slot())
  }

  /** Requests and bytes per second over the throughput window (or since start when younger). */
  throughput(): { requestsPerSecond: number; bytesPerSecond: number } {
    const now = this.clock.now()
    const second = Math.floor(now / 1000)
    let requests = 0
    let bytes = 0
    for (let i = 0; i < this.#window; i++) {
      if (this.#slotSecond[i]! > second - this.#window) {
        requests += this.#slotRequests[i]!
        bytes += this.#slotBytes[i]!
      }
    }
    const seconds = Math.min(this.#window, Math.max(1, (now - this.#startedAt) / 1000))
    return { requestsPerSecond: round(requests / seconds), bytesPerSecond: round(bytes / seconds) }
  }

  /** The snapshot's request figures: counts since start, latency in ms over the window, throughput. */
  section(): Pick<ApplicationSection, 'requests' | 'latency' | 'throughput'> {
    const q = this.latency.get()?.quantiles ?? {}
    const ms = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? 0 : round(v * 1000))
    return {
      requests: {
        total: this.#total,
        successful: this.#total - this.#failed,
        failed: this.#failed,
        errors: this.#failed,
        errorRate: this.#total === 0 ? 0 : round(this.#failed / this.#total, 4),
      },
      latency: {
        average: this.#total === 0 ? 0 : round(this.#latencySumMs / this.#total),
        p50: ms(q[0.5]),
        p95: ms(q[0.95]),
        p99: ms(q[0.99]),
        max: ms(q[1]),
      },
      throughput: this.throughput(),
    }
  }

  #addBytes(labels: Record<HttpLabel, string>, bytes: number, slot: number): void {
    this.bytes.inc(labels, bytes)
    this.#slotBytes[slot]! += bytes
  }

  #slot(): number {
    const second = Math.floor(this.clock.now() / 1000)
    const slot = second % this.#window
    if (this.#slotSecond[slot] !== second) {
      this.#slotSecond[slot] = second
      this.#slotRequests[slot] = 0
      this.#slotBytes[slot] = 0
    }
    return slot
  }
}

function round(value: number, digits = 2): number {
  const f = 10 ** digits
  return Math.round(value * f) / f
}
