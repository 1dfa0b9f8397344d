import {
  type BackoffOptions,
  type Clock,
  ConfigError,
  createBackoff,
  isTimeoutError,
  type Logger,
  noopLogger,
  retryAfterMs,
  systemClock,
  timeoutSignal,
} from '@noa/core'
import { encodeOtlpJson } from './encode-json.ts'
import { encodeOtlpProtobuf } from './encode-protobuf.ts'
import {
  OTLP_CONTENT_TYPES,
  type OtlpAttributes,
  type OtlpEncoding,
  type OtlpExportRequest,
  type OtlpMetric,
  pointsOf,
} from './model.ts'
import { MAX_RESPONSE_BYTES, partialSuccessOf } from './response.ts'
import type { OtlpExportMetrics } from './self-metrics.ts'

/** Options of {@link createOtlpExporter}. */
export interface OtlpExporterOptions {
  /** The collector's metrics endpoint, e.g. `http://127.0.0.1:4318/v1/metrics`. Never logged. */
  url: string
  /** @default 'protobuf' */
  encoding?: OtlpEncoding
  /** Extra request headers (`authorization`, `x-scope-orgid`...). Never logged. */
  headers?: Readonly<Record<string, string>>
  /** Time limit of one request, ms: a hung collector's request is aborted and retried. @default 10000 */
  timeoutMs?: number
  /** Resource attributes of every export, e.g. `{ 'service.name': 'checkout' }`. @default {} */
  resource?: OtlpAttributes
  /** The instrumentation scope. @default { name: '@noa/metrics' } */
  scope?: { name: string; version?: string }
  /** Data points in one request at most; a larger export is split. @default 10000 */
  maxPointsPerRequest?: number
  /** Retry delays on 429, 502, 503, 504, timeouts and network errors. @default 500 ms doubling to 30 s, 20 % jitter */
  backoff?: BackoffOptions
  /** Where sent, failed and dropped points and requests are counted. */
  metrics?: OtlpExportMetrics
  /** @default systemClock */
  clock?: Clock
  /** @default noopLogger */
  logger?: Logger
  /** @default 'noa-metrics' */
  userAgent?: string
}

/** Data points of one export by what became of them. */
export interface OtlpExportResult {
  sent: number
  failed: number
  dropped: number
}

/** Sends OTLP/HTTP metrics exports to a collector. */
export interface OtlpExporter {
  /**
   * Sends `metrics`, split into requests of at most `maxPointsPerRequest` points, one at a time.
   * Failures that may pass (429, 502-504, timeouts, no answer) are retried with backoff, the
   * collector's Retry-After honoured, until `signal` aborts: what is left then is dropped.
   * Never throws.
   */
  export(metrics: readonly OtlpMetric[], signal?: AbortSignal): Promise<OtlpExportResult>
}

type Answer =
  | { outcome: 'sent'; code: string; rejected: number; message: string }
  | { outcome: 'failed'; code: string }
  | { outcome: 'retry'; code: string; retryAfterMs?: number }

/** Status codes OTLP/HTTP says to retry. */
const RETRYABLE = new Set([429, 502, 503, 504])

/**
 * Builds an OTLP/HTTP metrics exporter (protobuf or JSON). It holds no queue: OTLP sums and
 * histograms are cumulative, so the next export carries everything a lost one did; a caller
 * that exports on an interval aborts a request still retrying when the next one is due.
 *
 * @example
 * ```ts
 * const exporter = createOtlpExporter({ url: 'http://127.0.0.1:4318/v1/metrics', resource: { 'service.name': 'api' } })
 * await exporter.export(otlpMetricsOf(families, { timeMs: Date.now(), startMs }))
 * ```
 */
export function createOtlpExporter(options: OtlpExporterOptions): OtlpExporter {
  const url = checkedUrl(options.url)
  const encoding = options.encoding ?? 'protobuf'
  const clock = options.clock ?? systemClock
  const logger = options.logger ?? noopLogger
  const timeoutMs = options.timeoutMs ?? 10_000
  const maxPoints = options.maxPointsPerRequest ?? 10_000
  const backoff = createBackoff({ initialMs: 500, maxMs: 30_000, ...options.backoff })
  const headers = {
    'content-type': OTLP_CONTENT_TYPES[encoding],
    'user-agent': options.userAgent ?? 'noa-metrics',
    ...options.headers,
  }
  const base = { resource: options.resource ?? {}, scope: options.scope ?? { name: '@noa/metrics' } }
  const metrics = options.metrics
  // Warn once per kind of failure in a row, not once per retry of a collector that is down.
  let lastProblem: string | undefined

  const count = (result: keyof OtlpExportResult, n: number) => {
    if (n > 0) metrics?.points.inc({ result }, n)
  }

  const post = async (body: Uint8Array | string, signal: AbortSignal | undefined): Promise<Answer> => {
    const t = timeoutSignal(timeoutMs, { parent: signal, clock, what: 'OTLP export request' })
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers,
        body,
        redirect: 'manual',
        signal: t.signal,
      })
      const code = String(response.status)
      if (response.status >= 200 && response.status < 300) {
        const partial = partialSuccessOf(await readBounded(response), encoding)
        return {
          outcome: 'sent',
          code,
          rejected: partial?.rejectedDataPoints ?? 0,
          message: partial?.errorMessage ?? '',
        }
      }
      // An error answer's body is not read: it could echo what was sent.
      await response.body?.cancel().catch(() => undefined)
      if (!RETRYABLE.has(response.status)) return { outcome: 'failed', code }
      const wait = retryAfterMs(response.headers.get('retry-after'), clock.now())
      return wait === undefined ? { outcome: 'retry', code } : { outcome: 'retry', code, retryAfterMs: wait }
    } catch (error) {
      const reason = t.signal.aborted ? t.signal.reason : error
      return { outcome: 'retry', code: isTimeoutError(reason) ? 'timeout' : 'error' }
    } finally {
      t.dispose()
    }
  }

  /** Sends one request until it is taken or refused; false when `signal` abandoned it. */
  const send = async (
    request: OtlpExportRequest,
    signal: AbortSignal | undefined,
    result: OtlpExportResult,
  ) => {
    const points = pointsOf(request.metrics)
    const body = encoding === 'json' ? encodeOtlpJson(request) : encodeOtlpProtobuf(request)
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) return false
      const answer = await post(body, signal)
      metrics?.requests.inc({ code: answer.code })
      if (answer.outcome === 'sent') {
        const rejected = Math.min(points, Math.max(0, answer.rejected))
        result.sent += points - rejected
        result.failed += rejected
        if (lastProblem !== undefined) logger.info('OTLP export delivers again')
        lastProblem = undefined
        if (rejected > 0 || answer.message)
          logger.warn('OTLP collector rejected data points', {
            rejected,
            message: answer.message.slice(0, 200),
          })
        return true
      }
      if (answer.outcome === 'failed') {
        // A 4xx other than 429 (or a redirect, not followed) says the request itself is wrong.
        result.failed += points
        logger.warn('OTLP collector refused the export', { status: answer.code, points })
        return true
      }
      if (signal?.aborted) return false
      const problem =
        answer.code === 'timeout'
          ? `no answer within ${timeoutMs} ms`
          : answer.code === 'error'
            ? 'unreachable'
            : `answered ${answer.code}`
      if (problem !== lastProblem) logger.warn('OTLP collector failing, retrying with backoff', { problem })
      lastProblem = problem
      try {
        await clock.sleep(Math.max(backoff.delay(attempt), answer.retryAfterMs ?? 0), signal)
      } catch {
        return false
      }
    }
  }

  return {
    async export(all, signal) {
      const result: OtlpExportResult = { sent: 0, failed: 0, dropped: 0 }
      const batches = [...batchesOf(all, maxPoints)]
      for (let i = 0; i < batches.length; i++) {
        const request = { ...base, metrics: batches[i]! }
        if (!(await send(request, signal, result))) {
          for (const left of batches.slice(i)) result.dropped += pointsOf(left)
          break
        }
      }
      count('sent', result.sent)
      count('failed', result.failed)
      count('dropped', result.dropped)
      return result
    },
  }
}

/** The metrics in groups of at most `max` points, a metric with more points split across groups. */
export function* batchesOf(metrics: readonly OtlpMetric[], max: number): Generator<OtlpMetric[]> {
  let batch: OtlpMetric[] = []
  let room = max
  for (const m of metrics) {
    const points: readonly unknown[] = m.data.points
    for (let from = 0; from < points.length; ) {
      const part = points.slice(from, from + room)
      batch.push({ ...m, data: { ...m.data, points: part } as OtlpMetric['data'] })
      from += part.length
      room -= part.length
      if (room === 0) {
        yield batch
        batch = []
        room = max
      }
    }
  }
  if (batch.length > 0) yield batch
}

/** The body of a success answer, at most MAX_RESPONSE_BYTES of it. */
async function readBounded(response: Response): Promise<Uint8Array> {
  if (!response.body) return new Uint8Array()
  const chunks: Uint8Array[] = []
  let size = 0
  const reader = response.body.getReader()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      chunks.push(value)
      size += value.length
      if (size > MAX_RESPONSE_BYTES) return new Uint8Array()
    }
  } finally {
    await reader.cancel().catch(() => undefined)
  }
  return Buffer.concat(chunks)
}

function checkedUrl(text: string): string {
  let u: URL | undefined
  try {
    u = new URL(text)
  } catch {}
  const problem = !u
    ? 'is not a URL'
    : u.protocol !== 'http:' && u.protocol !== 'https:'
      ? 'must be an http:// or https:// URL'
      : u.username || u.password
        ? 'must not hold credentials: send them in headers (authorization)'
        : undefined
  // The URL itself is not echoed: it may hold a token in its path.
  if (problem) throw new ConfigError([{ path: 'url', message: `the OTLP endpoint ${problem}` }])
  return text
}
