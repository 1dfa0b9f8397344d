import { z } from 'zod'

/** Options of the `amqp` checker (RabbitMQ): connect, declare a queue, publish a message and get it back. */
export const amqpCheckSchema = z.strictObject({
  type: z.literal('amqp'),
  /** Broker URL with the vhost, e.g. `amqp://noa:${AMQP_PASSWORD}@mq:5672/%2F`. Its password never appears in results. */
  url: z.string().regex(/^amqps?:\/\//, 'expected an amqp:// or amqps:// URL'),
  /**
   * A queue kept for the check, one service's own: taken as it is when it exists, declared
   * (non-durable) when missing; the check takes its messages, so never a queue real consumers read. Leftovers of an earlier
   * attempt are dropped; a message not from noa makes the check unhealthy (put back, untouched).
   * @default a server-named exclusive queue, new per attempt, gone with its connection
   */
  queue: z.string().min(1).max(255).optional(),
})

export type AmqpCheckOptions = z.output<typeof amqpCheckSchema>
