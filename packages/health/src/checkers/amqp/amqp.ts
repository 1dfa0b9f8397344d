import { randomBytes } from 'node:crypto'
import type { AbortListener, Checker, CheckOutcome } from '../../checker.ts'
import { abortPromise, errorOutcome, onAbort } from '../../checker.ts'
import { redactSecrets } from '../../redact.ts'
import type { AmqpCheckOptions } from './schema.ts'

const round = (ms: number) => Math.round(ms * 100) / 100

/** Every message the check publishes has a message id starting so; the rest of it is the attempt's. */
const MESSAGE_PREFIX = 'noa-health-'

/** The broker answered, but not as the check needs: unhealthy. */
class BrokerAnswer extends Error {}

/** How long to wait between two basic.get that found nothing: the message is usually there at once. */
const POLL_MS = [0, 1, 2, 5, 10, 20, 50]

/**
 * The `amqp` checker (RabbitMQ, AMQP 0-9-1): connects and authenticates, declares a queue (a
 * server-named exclusive one per attempt by default), publishes a small unique message to it
 * through the default exchange, polls basic.get until that message comes back and acks it,
 * then closes. `amqplib` is loaded only when such a check runs. A broker that refuses (access
 * refused, no such vhost, a queue declared otherwise) is `unhealthy` with its reply; no
 * answer is an `error`. The socket gets an abort signal of the attempt's own, so an abort
 * destroys it even mid-handshake, before amqplib hands out a connection.
 *
 * @example
 * ```ts
 * await createAmqpChecker().run({ type: 'amqp', url: 'amqp://guest:guest@127.0.0.1:5672' }, { signal, clock: systemClock })
 * ```
 */
export function createAmqpChecker(): Checker<AmqpCheckOptions> {
  return {
    async run(target, { signal, clock }): Promise<CheckOutcome> {
      if (signal.aborted) return errorOutcome(signal.reason, signal)
      const amqp = await import('amqplib')
      if (signal.aborted) return errorOutcome(signal.reason, signal)
      // One EventTarget listener per attempt on a deadline signal many attempts share would
      // pile up; the shared hub tells this attempt's own controller instead.
      const own = new AbortController()
      const listener: AbortListener = { onAbort: () => own.abort(signal.reason) }
      const hub = onAbort(signal, listener)
      const aborted = abortPromise(signal)
      const id = randomBytes(8).toString('hex')
      const started = clock.monotonic()
      let connection: Awaited<ReturnType<typeof amqp.connect>> | undefined
      try {
        const connecting = amqp.connect(target.url, {
          // net.Socket destroys itself when this aborts; amqplib passes the options through.
          signal: own.signal,
          clientProperties: { connection_name: `noa health ${id}` },
        } as Parameters<typeof amqp.connect>[1])
        connecting.catch(() => {})
        connection = await Promise.race([connecting, aborted])
        connection.on('error', () => {})
        const connected = clock.monotonic()
        const opened = connection
        const openChannel = async () => {
          const opening = await Promise.race([opened.createChannel(), aborted])
          opening.on('error', () => {})
          return opening
        }
        let channel = await openChannel()
        let declared: { queue: string }
        if (target.queue === undefined)
          declared = await Promise.race([
            channel.assertQueue('', { exclusive: true, autoDelete: true, durable: false }),
            aborted,
          ])
        else {
          // A queue the operator made (durable, with arguments) is taken as it is; only a
          // missing one is declared, non-durable. A failed passive declare closes the channel.
          try {
            declared = await Promise.race([channel.checkQueue(target.queue), aborted])
          } catch (error) {
            if ((error as { code?: unknown }).code !== 404) throw error
            channel = await openChannel()
            declared = await Promise.race([channel.assertQueue(target.queue, { durable: false }), aborted])
          }
        }
        const messageId = `${MESSAGE_PREFIX}${id}`
        channel.sendToQueue(declared.queue, Buffer.from('noa health'), { messageId, expiration: '60000' })
        let polls = 0
        let dropped = 0
        for (;;) {
          const message = await Promise.race([channel.get(declared.queue, { noAck: false }), aborted])
          polls++
          if (message !== false && message.properties.messageId === messageId) {
            channel.ack(message)
            break
          }
          if (message !== false) {
            const from = String(message.properties.messageId ?? '')
            if (!from.startsWith(MESSAGE_PREFIX)) {
              channel.nack(message, false, true)
              throw new BrokerAnswer(
                `queue ${declared.queue} holds messages not from noa: give the check a queue of its own`,
              )
            }
            // The leftover of an earlier attempt that ended before it got its message back.
            dropped++
            channel.ack(message)
            continue
          }
          await Promise.race([sleep(POLL_MS[Math.min(polls - 1, POLL_MS.length - 1)]!), aborted])
        }
        // Closing the channel waits for the broker's close-ok, so the ack has landed.
        await Promise.race([channel.close(), aborted])
        const done = clock.monotonic()
        return {
          state: 'healthy',
          message: 'message received',
          details: {
            responseTimeMs: round(done - started),
            connectMs: round(connected - started),
            roundTripMs: round(done - connected),
            polls,
            ...(dropped > 0 ? { leftoversDropped: dropped } : {}),
          },
        }
      } catch (error) {
        const outcome = errorOutcome(error, signal)
        const message = redactSecrets(outcome.message ?? '')
        if (!signal.aborted && brokerRefused(error)) return { ...outcome, state: 'unhealthy', message }
        return { ...outcome, message }
      } finally {
        hub.delete(listener)
        if (connection !== undefined && !signal.aborted) {
          // Close politely (the exclusive queue goes with it); a broker that does not answer the
          // close within 2 s gets its socket destroyed.
          const timer = setTimeout(() => own.abort(new Error('close timed out')), 2_000)
          timer.unref()
          connection.close().then(
            () => clearTimeout(timer),
            () => clearTimeout(timer),
          )
        } else own.abort(new Error('attempt over'))
      }
    },
  }
}

/** Whether amqplib's error is the broker's reply: a refused handshake or a channel/connection close with a code. */
function brokerRefused(error: unknown): boolean {
  if (error instanceof BrokerAnswer) return true
  const e = error as { code?: unknown; message?: unknown } | null
  if (typeof e?.code === 'number' && e.code >= 300) return true
  // A vhost that does not exist, or that the user may not open, ends in a connection.close at open.
  return (
    typeof e?.message === 'string' && /Handshake terminated by server|got <ConnectionClose/.test(e.message)
  )
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
