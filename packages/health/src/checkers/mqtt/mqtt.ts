import { randomBytes } from 'node:crypto'
import type { Checker, CheckOutcome } from '../../checker.ts'
import { abortPromise, errorOutcome } from '../../checker.ts'
import { redactSecrets } from '../../redact.ts'
import type { MqttCheckOptions } from './schema.ts'

const round = (ms: number) => Math.round(ms * 100) / 100

/** An error the broker sent (a CONNACK or SUBACK refusal), not a socket's. */
class BrokerRefusal extends Error {}

/**
 * The `mqtt` checker: connects (no reconnects, a clean session), subscribes to a topic of its
 * own, publishes a unique message there at QoS 1 and waits for it to come back, then
 * disconnects. `mqtt` is loaded only when such a check runs. A broker that refuses (bad
 * credentials, a denied subscription) is `unhealthy`; no answer is an `error`. On abort the
 * client is ended at once, its socket destroyed.
 *
 * @example
 * ```ts
 * await createMqttChecker().run({ type: 'mqtt', url: 'mqtt://127.0.0.1:1883' }, { signal, clock: systemClock })
 * ```
 */
export function createMqttChecker(): Checker<MqttCheckOptions> {
  return {
    async run(target, { signal, clock }): Promise<CheckOutcome> {
      if (signal.aborted) return errorOutcome(signal.reason, signal)
      const { connect } = await import('mqtt')
      if (signal.aborted) return errorOutcome(signal.reason, signal)
      const id = randomBytes(8).toString('hex')
      const topic = target.topic ?? `noa/health/${id}`
      const payload = `noa health ${id}`
      const started = clock.monotonic()
      const client = connect(target.url, {
        clientId: `noa-health-${id}`,
        clean: true,
        reconnectPeriod: 0,
        // The attempt's deadline aborts it sooner; this only bounds a check run without one.
        connectTimeout: 60_000,
        ...(target.username === undefined ? {} : { username: target.username }),
        ...(target.password === undefined ? {} : { password: target.password }),
      })
      const aborted = abortPromise(signal)
      let lastError: unknown
      let healthy = false
      client.on('error', (error) => {
        lastError = error
      })
      try {
        await Promise.race([
          new Promise<void>((resolve, reject) => {
            client.once('connect', () => resolve())
            client.once('error', (error) => {
              // A CONNACK refusal carries the broker's reason code (4, 5, 0x86, 0x87...).
              const code = (error as { code?: unknown }).code
              reject(
                typeof code === 'number'
                  ? new BrokerRefusal(`connect refused by the broker: ${error.message}`)
                  : error,
              )
            })
            client.once('close', () => reject(lastError ?? new Error('connection closed before CONNACK')))
          }),
          aborted,
        ])
        const connected = clock.monotonic()
        const received = new Promise<void>((resolve) => {
          client.on('message', (t, message) => {
            if (t === topic && message.toString() === payload) resolve()
          })
        })
        const granted = await Promise.race([client.subscribeAsync(topic, { qos: 1 }), aborted])
        const qos = granted[0]?.qos
        if (qos === undefined || qos > 2)
          throw new BrokerRefusal(`subscription to ${topic} refused by the broker (SUBACK ${String(qos)})`)
        await Promise.race([client.publishAsync(topic, payload, { qos: 1 }), aborted])
        await Promise.race([received, aborted])
        const done = clock.monotonic()
        healthy = true
        return {
          state: 'healthy',
          message: 'message received',
          details: {
            responseTimeMs: round(done - started),
            connectMs: round(connected - started),
            roundTripMs: round(done - connected),
          },
        }
      } catch (error) {
        const outcome = errorOutcome(error, signal)
        const message = redactSecrets(outcome.message ?? '')
        if (!signal.aborted && error instanceof BrokerRefusal)
          return { ...outcome, state: 'unhealthy', message }
        return { ...outcome, message }
      } finally {
        // A healthy attempt says goodbye (DISCONNECT, nothing left in flight); any other ends
        // at once, the socket destroyed, with no handshake to wait for.
        client.end(!healthy)
      }
    },
  }
}
