import {
  type BackoffOptions,
  type Clock,
  createBackoff,
  errorMessage,
  isTimeoutError,
  type Logger,
  retryAfterMs,
  type Timer,
  timeoutSignal,
} from '@noa/core'
import type { Counter, Gauge } from '@noa/metrics'
import {
  REMOTE_WRITE_HEADERS,
  type RemoteWriteInput,
  remoteWriteBody,
  toTimeSeries,
} from '@noa/metrics/remote-write'

/** The counters a user reads to see remote write work (`noa_remote_write_*` on /metrics). */
export interface RemoteWriteMetrics {
  /** Samples by result: `sent`, `failed` (refused by the receiver with a 4xx), `dropped` (queue overflow, or left at stop). */
  samples: Counter<'result'>
  /** Requests by HTTP status code, `timeout` or `error` (no answer). */
  requests: Counter<'code'>
  queue: Gauge
}

/** Options of {@link createRemoteWriter}. */
export interface RemoteWriterOptions {
  /** The receiver's URL; credentials in it (`https://user:pass@host`) are sent as basic auth. Never logged. */
  url: string
  headers?: Readonly<Record<string, string>>
  /** Labels added to every series that lacks them (Prometheus' `external_labels`). @default {} */
  externalLabels?: Readonly<Record<string, string>>
  basicAuth?: { username: string; password: string }
  /** Time between sends of what is queued, ms. */
  intervalMs: number
  maxSamplesPerSend: number
  maxQueuedSamples: number
  /** Time limit of one request, ms. */
  timeoutMs: number
  /** `noa/<version>`. */
  userAgent: string
  /** Retry delays on 5xx, 429, timeouts and network errors. @default 500 ms doubling to 30 s, 20 % jitter */
  backoff?: BackoffOptions
  metrics: RemoteWriteMetrics
  clock: Clock
  logger: Logger
}

/** A queue of samples and the one sender that drains it to a remote-write receiver. */
export interface RemoteWriter {
  /** Queues samples; past `maxQueuedSamples` the oldest are dropped and counted. Never throws. */
  enqueue(values: readonly RemoteWriteInput[]): void
  /** Sends every `intervalMs` from now on. */
  start(): void
  /** Sends what is queued now, batch after batch (one request in flight), retrying as needed. */
  flush(): Promise<void>
  /**
   * Stops sending on schedule and flushes what is queued for at most `deadlineMs`; then aborts
   * the request in flight and drops (counts) what is left.
   */
  stop(deadlineMs?: number): Promise<void>
  /** Samples waiting. */
  readonly queued: number
}

type Outcome = 'sent' | 'failed' | 'retry'

interface Answer {
  outcome: Outcome
  code: string
  /** What the receiver's Retry-After asked for, ms. */
  retryAfterMs?: number
}

/**
 * Builds the remote-write sender. The queue holds samples, not requests, so a long outage
 * costs at most `maxQueuedSamples` and keeps the newest; a batch being retried keeps its place
 * (receivers refuse samples older than the newest they have for a series).
 *
 * @example
 * ```ts
 * const writer = createRemoteWriter({ url, intervalMs: 5000, maxSamplesPerSend: 2000, ... })
 * writer.start()
 * writer.enqueue([{ name: 'noa_service_up', labels: { service: 'api' }, value: 1, at: Date.now() }])
 * await writer.stop(5000)
 * ```
 */
export function createRemoteWriter(options: RemoteWriterOptions): RemoteWriter {
  const { clock, logger, metrics, maxQueuedSamples, maxSamplesPerSend } = options
  const backoff = createBackoff({ initialMs: 500, maxMs: 30_000, ...options.backoff })
  const { url, headers } = requestOf(options)
  // A ring would save little: the head index moves, and the array is compacted when half is spent.
  let queue: RemoteWriteInput[] = []
  let head = 0
  let timer: Timer | undefined
  let stopped = false
  let draining: Promise<void> | undefined
  let abort = new AbortController()
  // Warn once per kind of failure in a row, not once per retry of a receiver that is down.
  let lastProblem: string | undefined

  const size = () => queue.length - head
  const gauge = () => metrics.queue.set(size())
  const drop = (n: number, why: string) => {
    if (n <= 0) return
    metrics.samples.inc({ result: 'dropped' }, n)
    logger.warn('remote write dropped samples', { samples: n, reason: why })
  }

  const take = (): RemoteWriteInput[] => {
    const batch = queue.slice(head, head + maxSamplesPerSend)
    head += batch.length
    if (head >= queue.length) {
      queue = []
      head = 0
    } else if (head > queue.length / 2) {
      queue = queue.slice(head)
      head = 0
    }
    gauge()
    return batch
  }

  const post = async (body: Uint8Array<ArrayBuffer>): Promise<Answer> => {
    const t = timeoutSignal(options.timeoutMs, { parent: abort.signal, clock, what: 'remote write request' })
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers,
        body,
        redirect: 'manual',
        signal: t.signal,
      })
      // The answer's body is not read: an error text could echo what was sent.
      await response.body?.cancel().catch(() => undefined)
      const code = String(response.status)
      if (response.status >= 200 && response.status < 300) return { outcome: 'sent', code }
      const retry = response.status >= 500 || response.status === 429 || response.status === 408
      if (!retry) return { outcome: 'failed', code }
      const wait = retryAfterMs(response.headers.get('retry-after'), clock.now())
      return wait === undefined ? { outcome: 'retry', code } : { outcome: 'retry', code, retryAfterMs: wait }
    } catch (error) {
      const reason = t.signal.aborted ? t.signal.reason : error
      return { outcome: 'retry', code: isTimeoutError(reason) ? 'timeout' : 'error' }
    } finally {
      t.dispose()
    }
  }

  /** Sends one batch until it is taken or refused; false when a stop's deadline abandoned it. */
  const send = async (batch: RemoteWriteInput[]): Promise<boolean> => {
    const body = remoteWriteBody(toTimeSeries(batch, options.externalLabels))
    for (let attempt = 0; ; attempt++) {
      if (abort.signal.aborted) return false
      const { outcome, code, retryAfterMs: asked } = await post(body)
      metrics.requests.inc({ code })
      if (outcome === 'sent') {
        metrics.samples.inc({ result: 'sent' }, batch.length)
        if (lastProblem !== undefined) logger.info('remote write delivers again')
        lastProblem = undefined
        return true
      }
      if (outcome === 'failed') {
        // A 4xx other than 429 says the request itself is wrong: sending it again cannot help.
        metrics.samples.inc({ result: 'failed' }, batch.length)
        logger.warn('remote write receiver refused samples', { status: code, samples: batch.length })
        return true
      }
      if (abort.signal.aborted) return false
      const problem =
        code === 'timeout'
          ? `no answer within ${options.timeoutMs} ms`
          : code === 'error'
            ? 'unreachable'
            : `answered ${code}`
      if (problem !== lastProblem)
        logger.warn('remote write receiver failing, retrying with backoff', { problem })
      lastProblem = problem
      try {
        // A receiver's Retry-After (429, 503) is honoured when longer than the backoff.
        await clock.sleep(Math.max(backoff.delay(attempt), asked ?? 0), abort.signal)
      } catch {
        return false
      }
    }
  }

  const drainOnce = async () => {
    while (size() > 0) {
      const batch = take()
      if (!(await send(batch))) {
        drop(batch.length, 'stopped before the receiver took them')
        return
      }
    }
  }

  const flush = (): Promise<void> => {
    // One request in flight: a flush asked for while one runs waits for it, then sends the rest.
    const next: Promise<void> = (draining ?? Promise.resolve())
      .then(drainOnce)
      .catch((e) => logger.error('remote write failed', { error: errorMessage(e) }))
      .finally(() => {
        if (draining === next) draining = undefined
      })
    draining = next
    return next
  }

  const tick = () => {
    timer = undefined
    void flush().finally(() => {
      if (!stopped) timer = clock.setTimeout(tick, options.intervalMs)
    })
  }

  return {
    get queued() {
      return size()
    },
    enqueue(values) {
      if (stopped || values.length === 0) return
      // Only the newest maxQueuedSamples of a huge round are worth queueing.
      const kept = values.length > maxQueuedSamples ? values.slice(values.length - maxQueuedSamples) : values
      const over = size() + kept.length - maxQueuedSamples
      if (over > 0) {
        head += over
        // Compacted here too: while a receiver is down nothing is taken, and the spent head
        // would keep every dropped sample alive.
        if (head >= queue.length) {
          queue = []
          head = 0
        } else if (head > queue.length / 2) {
          queue = queue.slice(head)
          head = 0
        }
      }
      drop(over + (values.length - kept.length), 'queue full (maxQueuedSamples): the oldest left out')
      for (const v of kept) queue.push(v)
      gauge()
    },
    start() {
      stopped = false
      abort = new AbortController()
      timer ??= clock.setTimeout(tick, options.intervalMs)
    },
    flush,
    async stop(deadlineMs = 5_000) {
      stopped = true
      timer?.cancel()
      timer = undefined
      const deadline = clock.setTimeout(() => abort.abort(), deadlineMs)
      try {
        await flush()
      } finally {
        deadline.cancel()
        abort.abort()
        drop(size(), 'stopped before they were sent')
        queue = []
        head = 0
        gauge()
      }
    },
  }
}

/** The URL without its credentials (fetch refuses them) and the headers of every request. */
function requestOf(options: RemoteWriterOptions): { url: string; headers: Record<string, string> } {
  const u = new URL(options.url)
  const headers: Record<string, string> = {
    ...REMOTE_WRITE_HEADERS,
    'user-agent': options.userAgent,
    ...options.headers,
  }
  const user =
    options.basicAuth ??
    (u.username
      ? { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) }
      : undefined)
  if (user)
    headers.authorization = `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`
  u.username = ''
  u.password = ''
  return { url: u.toString(), headers }
}
