import type { Channel, Notification, SendContext, SendResult } from '../channel.ts'

/** A channel that records what it is sent, and answers what it is told to. */
export interface RecordingChannel extends Channel {
  readonly sent: Array<{ notification: Notification; idempotencyKey: string }>
  /** The next sends answer these results in order, then success. */
  failNext(...results: SendResult[]): void
}

/**
 * A test double: records every notification and its idempotency key.
 *
 * @example
 * ```ts
 * const ops = createRecordingChannel()
 * const engine = createAlertEngine({ outbox, channels: { ops: { channel: ops } } })
 * ```
 */
export function createRecordingChannel(): RecordingChannel {
  const sent: RecordingChannel['sent'] = []
  const queue: SendResult[] = []
  return {
    type: 'recording',
    sent,
    failNext: (...results) => queue.push(...results),
    async send(notification: Notification, context: SendContext) {
      const next = queue.shift()
      if (next && !next.ok) return next
      sent.push({ notification, idempotencyKey: context.idempotencyKey })
      return { ok: true }
    },
  }
}
