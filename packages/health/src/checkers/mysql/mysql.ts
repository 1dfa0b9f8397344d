import type { Checker, CheckOutcome } from '../../checker.ts'
import { abortPromise, errorOutcome } from '../../checker.ts'
import { redactSecrets } from '../../redact.ts'
import type { MysqlCheckOptions } from './schema.ts'

/** What the checker uses of a mysql2 connection (callback API: it exists before the handshake ends). */
interface MysqlConnection {
  on(event: 'error', listener: (error: unknown) => void): unknown
  once(event: 'connect', listener: () => void): unknown
  once(event: 'error', listener: (error: unknown) => void): unknown
  query(sql: string, callback: (error: unknown) => void): unknown
  end(callback?: (error?: unknown) => void): unknown
  destroy(): void
}

const round = (ms: number) => Math.round(ms * 100) / 100

/**
 * The `mysql` checker (MySQL and MariaDB): opens a real connection (connect and authenticate),
 * runs `SELECT 1` (or `query`) and closes it. `mysql2` is loaded only when such a check runs.
 * An answer of the server that refuses (access denied, an SQL error) is `unhealthy` with the
 * server's message; no answer is an `error`. On abort the socket is destroyed at once.
 *
 * @example
 * ```ts
 * await createMysqlChecker().run({ type: 'mysql', url: 'mysql://root@127.0.0.1:3306/test', query: 'SELECT 1' },
 *   { signal, clock: systemClock })
 * ```
 */
export function createMysqlChecker(): Checker<MysqlCheckOptions> {
  return {
    async run(target, { signal, clock }): Promise<CheckOutcome> {
      if (signal.aborted) return errorOutcome(signal.reason, signal)
      const { default: mysql } = await import('mysql2')
      if (signal.aborted) return errorOutcome(signal.reason, signal)
      const started = clock.monotonic()
      // mysql2 takes the mysql scheme only; mariadb:// is the same protocol.
      const uri = target.url.replace(/^mariadb:/, 'mysql:')
      const connection = mysql.createConnection({ uri, connectTimeout: 60_000 }) as unknown as MysqlConnection
      connection.on('error', () => {})
      const aborted = abortPromise(signal)
      let phase: 'connect' | 'query' = 'connect'
      try {
        await Promise.race([
          new Promise<void>((resolve, reject) => {
            connection.once('connect', resolve)
            connection.once('error', reject)
          }),
          aborted,
        ])
        const connected = clock.monotonic()
        phase = 'query'
        await Promise.race([
          new Promise<void>((resolve, reject) =>
            connection.query(target.query, (error) => (error ? reject(error) : resolve())),
          ),
          aborted,
        ])
        const done = clock.monotonic()
        return {
          state: 'healthy',
          message: 'query succeeded',
          details: {
            responseTimeMs: round(done - started),
            connectMs: round(connected - started),
            queryMs: round(done - connected),
          },
        }
      } catch (error) {
        const outcome = errorOutcome(error, signal)
        const message = redactSecrets(outcome.message ?? '')
        // A server that answers with an error (access denied, unknown database, an SQL error)
        // is up but unhealthy; no answer at all is an error.
        if (!signal.aborted && serverAnswered(error))
          return {
            ...outcome,
            state: 'unhealthy',
            message: phase === 'connect' ? `connect refused by the server: ${message}` : message,
          }
        return { ...outcome, message }
      } finally {
        // end() waits for the server's goodbye; destroy() closes the socket now, answered or not.
        connection.destroy()
      }
    },
  }
}

/** Whether mysql2's error carries the server's error packet (an errno and an SQL state). */
function serverAnswered(error: unknown): boolean {
  const e = error as { errno?: unknown; sqlState?: unknown } | null
  return typeof e?.errno === 'number' && typeof e.sqlState === 'string' && e.sqlState !== ''
}
