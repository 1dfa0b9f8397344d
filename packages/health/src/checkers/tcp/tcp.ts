import net from 'node:net'
import type { Checker, CheckOutcome } from '../../checker.ts'
import { errorOutcome, settleOnce } from '../../checker.ts'
import type { TcpCheckOptions } from './schema.ts'

/**
 * The `tcp` checker: healthy when a connection opens (and, with `expect`, when the answer
 * contains the expected text). The socket is destroyed on abort and after every check.
 *
 * @example
 * ```ts
 * await createTcpChecker().run(tcpCheckSchema.parse({ type: 'tcp', host: '127.0.0.1', port: 6379,
 *   send: 'PING\r\n', expect: 'PONG' }), { signal, clock: systemClock })
 * ```
 */
export function createTcpChecker(): Checker<TcpCheckOptions> {
  return {
    run(target, { signal, clock }) {
      if (signal.aborted) return Promise.resolve(errorOutcome(signal.reason, signal))
      return new Promise<CheckOutcome>((resolve) => {
        const started = clock.monotonic()
        const socket = net.connect({ host: target.host, port: target.port })
        let received = ''
        const finish = settleOnce(socket, signal, resolve)
        const elapsed = () => Math.round((clock.monotonic() - started) * 100) / 100
        socket.on('error', (error) => finish(errorOutcome(error)))
        socket.on('connect', () => {
          if (target.expect === undefined) {
            finish({ state: 'healthy', message: 'connected', details: { connectMs: elapsed() } })
            return
          }
          if (target.send !== undefined) socket.write(target.send)
        })
        socket.on('data', (chunk: Buffer) => {
          received += chunk.toString('utf8')
          if (target.expect !== undefined && received.includes(target.expect))
            finish({
              state: 'healthy',
              message: `answer contains ${JSON.stringify(target.expect)}`,
              details: { responseTimeMs: elapsed() },
            })
          else if (received.length > target.maxBytes)
            finish({
              state: 'unhealthy',
              message: `no ${JSON.stringify(target.expect)} in the first ${target.maxBytes} bytes`,
              retryable: false,
            })
        })
        socket.on('close', () =>
          finish({
            state: 'unhealthy',
            message: `connection closed without ${JSON.stringify(target.expect)} in the answer`,
            details: { answer: received.slice(0, 200) },
            retryable: true,
          }),
        )
      })
    },
  }
}
