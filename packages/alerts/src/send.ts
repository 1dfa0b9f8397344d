import type { Clock } from '@noa/core'
import { errorMessage, timeoutSignal } from '@noa/core'
import type { Channel, Notification, SendResult } from './channel.ts'
import { redact } from './channel.ts'

/** What {@link sendOnce} needs besides the channel and the notification. */
export interface SendOnceOptions {
  idempotencyKey: string
  /** Outer time limit of the send, whatever the channel's own. */
  timeoutMs: number
  clock: Clock
  /** Aborts the send (the worker stopping). */
  signal?: AbortSignal
}

/**
 * Sends one notification on one channel, once: bounded by `timeoutMs`, never throwing (a
 * channel that throws is a retryable failure), with the channel's secrets scrubbed from
 * the error. The delivery worker and the engine's direct sends both go through it.
 */
export async function sendOnce(
  channel: Channel,
  notification: Notification,
  options: SendOnceOptions,
): Promise<SendResult> {
  const t = timeoutSignal(options.timeoutMs, { parent: options.signal, clock: options.clock, what: 'send' })
  try {
    const result = await channel.send(notification, {
      signal: t.signal,
      idempotencyKey: options.idempotencyKey,
    })
    return result.ok ? result : { ...result, error: redact(result.error, channel.secrets) }
  } catch (error) {
    return { ok: false, retryable: true, error: redact(errorMessage(error), channel.secrets) }
  } finally {
    t.dispose()
  }
}
