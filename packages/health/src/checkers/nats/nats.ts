import { randomBytes } from 'node:crypto'
import net from 'node:net'
import type { AbortListener, Checker, CheckOutcome } from '../../checker.ts'
import { errorOutcome, onAbort } from '../../checker.ts'
import { redactSecrets } from '../../redact.ts'
import type { NatsCheckOptions } from './schema.ts'
import { createOpReader, type ServerOp } from './wire.ts'

const round = (ms: number) => Math.round(ms * 100) / 100

/** The server answered, but not as the check needs (an -ERR, TLS required): unhealthy. */
class ServerAnswer extends Error {}

/**
 * The `nats` checker: connects and authenticates (user and password, or a token), subscribes
 * to a subject and to an inbox of its own, sends a request on the subject, answers it itself
 * and waits for the reply on the inbox; then closes. It speaks the NATS client protocol (a
 * few text lines) on its own socket instead of loading the `nats` client: that client hands
 * out no connection before its handshake ends, so an abort could not close a socket that a
 * silent server holds. A refusal of the server (`-ERR 'Authorization Violation'`, a
 * permissions violation) is `unhealthy` with its message; no answer is an `error`. TLS and
 * NKey/JWT authentication are not spoken: a server that requires them gives `unhealthy`.
 *
 * @example
 * ```ts
 * await createNatsChecker().run({ type: 'nats', url: 'nats://127.0.0.1:4222' }, { signal, clock: systemClock })
 * ```
 */
export function createNatsChecker(): Checker<NatsCheckOptions> {
  return {
    run(target, { signal, clock }): Promise<CheckOutcome> {
      if (signal.aborted) return Promise.resolve(errorOutcome(signal.reason, signal))
      const url = new URL(target.url)
      const user = target.user ?? (url.username === '' ? undefined : decodeURIComponent(url.username))
      const pass = target.password ?? (url.password === '' ? undefined : decodeURIComponent(url.password))
      const id = randomBytes(8).toString('hex')
      const subject = target.subject ?? `noa.health.${id}`
      const inbox = `_INBOX.noa.${id}`
      const payload = `noa health ${id}`
      const started = clock.monotonic()
      let connected = 0
      let serverVersion: string | undefined
      return new Promise<CheckOutcome>((resolve) => {
        const socket = net.connect({
          host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
          port: Number(url.port || 4222),
        })
        socket.setNoDelay(true)
        const reader = createOpReader()
        let phase: 'info' | 'auth' | 'round trip' | 'done' = 'info'
        let lastError: unknown
        const listener: AbortListener = { onAbort: () => finish(errorOutcome(signal.reason, signal)) }
        const hub = onAbort(signal, listener)
        const finish = (outcome: CheckOutcome) => {
          if (phase === 'done') return
          phase = 'done'
          hub.delete(listener)
          socket.destroy()
          resolve(outcome)
        }
        const fail = (error: unknown) => {
          const outcome = errorOutcome(error)
          const message = redactSecrets(outcome.message ?? '')
          finish(
            error instanceof ServerAnswer
              ? { ...outcome, state: 'unhealthy', message }
              : { ...outcome, message },
          )
        }
        const handle = (op: ServerOp) => {
          switch (op.op) {
            case 'PING':
              socket.write('PONG\r\n')
              return
            case '+OK':
              return
            case '-ERR':
              throw new ServerAnswer(`refused by the server (${phase}): ${op.message}`)
            case 'INFO':
              // Servers send INFO again when the cluster changes; only the first one starts the handshake.
              if (phase !== 'info') return
              serverVersion = typeof op.info.version === 'string' ? op.info.version : undefined
              if (op.info.tls_required === true)
                throw new ServerAnswer('the server requires TLS, which the nats check does not speak')
              phase = 'auth'
              socket.write(
                `CONNECT ${JSON.stringify({
                  verbose: false,
                  pedantic: false,
                  tls_required: false,
                  name: `noa health ${id}`,
                  lang: 'node',
                  version: '1',
                  protocol: 1,
                  echo: true,
                  headers: false,
                  ...(user === undefined ? {} : { user }),
                  ...(pass === undefined ? {} : { pass }),
                  ...(target.token === undefined ? {} : { auth_token: target.token }),
                })}\r\nPING\r\n`,
              )
              return
            case 'PONG':
              if (phase !== 'auth') return
              // PONG after CONNECT: the server took the credentials. SUBs go before the PUB on
              // the same connection, so the server has both when the request arrives.
              phase = 'round trip'
              connected = clock.monotonic()
              socket.write(
                `SUB ${subject} 1\r\nSUB ${inbox} 2\r\nPUB ${subject} ${inbox} ${Buffer.byteLength(payload)}\r\n${payload}\r\n`,
              )
              return
            case 'MSG':
              if (op.sid === '1' && op.replyTo !== undefined && op.payload.toString() === payload)
                socket.write(`PUB ${op.replyTo} ${op.payload.length}\r\n${payload}\r\n`)
              else if (op.sid === '2' && op.payload.toString() === payload) {
                const done = clock.monotonic()
                finish({
                  state: 'healthy',
                  message: 'reply received',
                  details: {
                    responseTimeMs: round(done - started),
                    connectMs: round(connected - started),
                    roundTripMs: round(done - connected),
                    ...(serverVersion === undefined ? {} : { serverVersion }),
                  },
                })
              }
              return
          }
        }
        socket.on('data', (chunk: Buffer) => {
          try {
            for (const op of reader.push(chunk)) {
              handle(op)
              if (phase === 'done') return
            }
          } catch (error) {
            fail(error)
          }
        })
        socket.on('error', (error) => {
          lastError = error
        })
        socket.on('close', () => fail(lastError ?? new Error(`connection closed by the server (${phase})`)))
      })
    },
  }
}
