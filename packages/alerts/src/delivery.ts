import type { BackoffOptions, Clock, Delivery, Logger, Outbox } from '@noa/core'
import { createBackoff, errorMessage, noopLogger, systemClock } from '@noa/core'
import type { Channel, Notification, SendResult } from './channel.ts'
import { sendOnce } from './send.ts'

/** Options of {@link createDeliveryWorker}. */
export interface DeliveryWorkerOptions {
  outbox: Outbox
  /** Channels by the name deliveries carry. */
  channels: Readonly<Record<string, Channel>>
  /** @default systemClock */
  clock?: Clock
  /** @default noopLogger */
  logger?: Logger
  /**
   * Delay between attempts of one delivery, and between rounds while the outbox itself fails.
   * @default { initialMs: 1000, maxMs: 60000, factor: 2, jitter: 0.2 }
   */
  backoff?: BackoffOptions
  /** Attempts before a delivery is given up (`failed`). @default 30 */
  maxAttempts?: number
  /** Age (from enqueue) after which a delivery is given up. @default 3600000 (1 h) */
  maxAgeMs?: number
  /** Outer time limit of one send, whatever the channel's own. @default 30000 */
  sendTimeoutMs?: number
  /** Deliveries read per round. @default 100 */
  batchSize?: number
  /** A round also runs this often, to pick up deliveries another process wrote. @default 10000 */
  pollIntervalMs?: number
  /** Called after each attempt (for logs and tests); its errors are ignored. */
  onAttempt?: (delivery: Delivery, result: SendResult) => void
}

/** Counts of one round. */
export interface RoundResult {
  sent: number
  retrying: number
  failed: number
}

/** Sends what the outbox holds, per channel in order, with retries. */
export interface DeliveryWorker {
  /** Starts sending: resumes pending deliveries left by an earlier process at once. */
  start(): void
  /** Stops after the attempts in flight; pending deliveries stay in the outbox. */
  stop(): Promise<void>
  /** Asks for a round now (new deliveries were written). */
  kick(): void
  /** Runs one round and returns what it did (for tests and tools; needs no `start`); rejects when the outbox fails. */
  runOnce(): Promise<RoundResult>
  /** Resolves when no round is running. */
  idle(): Promise<void>
}

/**
 * Delivers notifications from the outbox: each channel's deliveries strictly in the order
 * they were written (a failing head blocks the ones behind it, so a receiver that was down
 * gets everything in order), retried with exponential backoff on retryable failures, given
 * up after `maxAttempts` or `maxAgeMs`, marked sent on success. The idempotency key stored
 * with a delivery is sent on every attempt. Errors recorded never contain channel secrets.
 *
 * @example
 * ```ts
 * const worker = createDeliveryWorker({ outbox: store.outbox, channels: { ops: webhook } })
 * worker.start()
 * ```
 */
export function createDeliveryWorker(options: DeliveryWorkerOptions): DeliveryWorker {
  const clock = options.clock ?? systemClock
  const logger = options.logger ?? noopLogger
  const backoff = createBackoff({
    initialMs: 1000,
    maxMs: 60_000,
    factor: 2,
    jitter: 0.2,
    ...options.backoff,
  })
  const maxAttempts = options.maxAttempts ?? 30
  const maxAgeMs = options.maxAgeMs ?? 3_600_000
  const sendTimeoutMs = options.sendTimeoutMs ?? 30_000
  const batchSize = options.batchSize ?? 100
  const pollIntervalMs = options.pollIntervalMs ?? 10_000
  const { outbox, channels } = options

  let started = false
  let running: Promise<void> | undefined
  let again = false
  let timer: { cancel(): void } | undefined
  let stopping = new AbortController()

  // Deliveries that were sent but could not be marked sent (the outbox failed right after):
  // the next rounds mark them without sending them again, so a broken outbox does not make
  // a receiver get the same notification every round. Bounded: the oldest are forgotten.
  const unmarked = new Map<string, number>()
  const MAX_UNMARKED = 10_000
  let outboxFailures = 0

  const attempt = (channel: Channel, d: Delivery): Promise<SendResult> =>
    sendOnce(channel, d.payload as Notification, {
      idempotencyKey: d.idempotencyKey,
      timeoutMs: sendTimeoutMs,
      clock,
      signal: stopping.signal,
    })

  const markSent = async (id: string, at: number) => {
    unmarked.delete(id)
    unmarked.set(id, at)
    if (unmarked.size > MAX_UNMARKED) unmarked.delete(unmarked.keys().next().value as string)
    await outbox.markSent(id, at)
    unmarked.delete(id)
  }

  const runChannel = async (
    name: string,
    list: Delivery[],
    stats: RoundResult,
  ): Promise<number | undefined> => {
    const channel = Object.hasOwn(channels, name) ? channels[name] : undefined
    for (const d of list) {
      const sentAt = unmarked.get(d.id)
      if (sentAt !== undefined) {
        await markSent(d.id, sentAt)
        stats.sent++
        continue
      }
      const now = clock.now()
      if (d.nextAttemptAt > now) return d.nextAttemptAt
      if (!channel) {
        await outbox.markFailed(d.id, { error: `unknown channel "${name}"`, at: now })
        stats.failed++
        continue
      }
      if (now - d.createdAt > maxAgeMs) {
        await outbox.markFailed(d.id, { error: `given up: older than ${maxAgeMs} ms`, at: now })
        stats.failed++
        continue
      }
      const result = await attempt(channel, d)
      try {
        options.onAttempt?.(d, result)
      } catch {}
      const at = clock.now()
      if (result.ok) {
        await markSent(d.id, at)
        stats.sent++
        continue
      }
      const retryAt = at + backoff.delay(d.attempts)
      if (result.retryable && d.attempts + 1 < maxAttempts && retryAt - d.createdAt <= maxAgeMs) {
        await outbox.markFailed(d.id, { error: result.error, at, retryAt })
        stats.retrying++
        logger.warn('alert delivery failed, will retry', {
          channel: name,
          attempt: d.attempts + 1,
          error: result.error,
        })
        return retryAt
      }
      await outbox.markFailed(d.id, { error: result.error, at })
      stats.failed++
      logger.error('alert delivery given up', {
        channel: name,
        attempts: d.attempts + 1,
        error: result.error,
      })
    }
    return undefined
  }

  const round = async (): Promise<
    RoundResult & { nextAt?: number; full: boolean; outboxError?: unknown }
  > => {
    const stats: RoundResult = { sent: 0, retrying: 0, failed: 0 }
    // Every pending delivery, due or not: a channel's oldest one must go first.
    const pending = await outbox.due(Number.MAX_SAFE_INTEGER, batchSize)
    const byChannel = new Map<string, Delivery[]>()
    for (const d of pending) {
      const list = byChannel.get(d.channel)
      if (list) list.push(d)
      else byChannel.set(d.channel, [d])
    }
    let outboxError: unknown
    const waits = await Promise.all(
      [...byChannel].map(([name, list]) =>
        runChannel(name, list, stats).catch((error: unknown) => {
          outboxError ??= error
          return undefined
        }),
      ),
    )
    const next = waits.filter((w): w is number => w !== undefined)
    return {
      ...stats,
      full: pending.length >= batchSize && stats.sent + stats.failed > 0,
      ...(next.length > 0 ? { nextAt: Math.min(...next) } : {}),
      ...(outboxError !== undefined ? { outboxError } : {}),
    }
  }

  const loop = async () => {
    let nextAt: number | undefined
    do {
      again = false
      let r: Awaited<ReturnType<typeof round>>
      try {
        r = await round()
      } catch (error) {
        r = { sent: 0, retrying: 0, failed: 0, full: false, outboxError: error }
      }
      if (r.outboxError !== undefined) {
        // Back off while the outbox fails (a full disk, a corrupted file, a database away),
        // rather than reading it again at once; the deliveries wait in it.
        const wait = backoff.delay(outboxFailures++)
        logger.error('alert outbox unavailable', { error: errorMessage(r.outboxError), retryInMs: wait })
        nextAt = Math.min(r.nextAt ?? Number.POSITIVE_INFINITY, clock.now() + wait)
        break
      }
      outboxFailures = 0
      nextAt = r.nextAt
      if (r.full) again = true
    } while (again && started)
    if (!started) return
    const now = clock.now()
    const at = Math.min(nextAt ?? Number.POSITIVE_INFINITY, now + pollIntervalMs)
    timer = clock.setTimeout(() => kick(), Math.max(0, at - now))
  }

  function kick() {
    if (!started) return
    if (running) {
      again = true
      return
    }
    timer?.cancel()
    timer = undefined
    running = loop().finally(() => {
      running = undefined
    })
  }

  return {
    start() {
      if (started) return
      started = true
      stopping = new AbortController()
      kick()
    },
    async stop() {
      started = false
      timer?.cancel()
      timer = undefined
      stopping.abort(new Error('delivery worker stopped'))
      await running
    },
    kick,
    async runOnce() {
      const { sent, retrying, failed, outboxError } = await round()
      if (outboxError !== undefined) throw outboxError
      return { sent, retrying, failed }
    },
    async idle() {
      while (running) await running
    },
  }
}
