import type { Checker, CheckOutcome } from '../../checker.ts'
import { abortPromise, errorOutcome } from '../../checker.ts'
import { redactSecrets } from '../../redact.ts'
import type { PostgresCheckOptions } from './schema.ts'

interface PgClientInternals {
  connection?: { stream?: { destroy(): void } }
}

/**
 * The `postgres` checker: opens a real connection, runs `SELECT 1` (or `query`) and closes it.
 * `pg` is loaded only when such a check runs. On abort the socket is destroyed.
 *
 * @example
 * ```ts
 * await createPostgresChecker().run({ type: 'postgres', url: 'postgres://postgres@127.0.0.1/app', query: 'SELECT 1' },
 *   { signal, clock: systemClock })
 * ```
 */
export function createPostgresChecker(): Checker<PostgresCheckOptions> {
  return {
    async run(target, { signal, clock }): Promise<CheckOutcome> {
      if (signal.aborted) return errorOutcome(signal.reason, signal)
      const { default: pg } = await import('pg')
      const started = clock.monotonic()
      const client = new pg.Client({ connectionString: target.url })
      client.on('error', () => {})
      const aborted = abortPromise(signal)
      try {
        const connecting = client.connect()
        connecting.catch(() => {})
        await Promise.race([connecting, aborted])
        const querying = client.query(target.query)
        querying.catch(() => {})
        await Promise.race([querying, aborted])
        return {
          state: 'healthy',
          message: 'query succeeded',
          details: { responseTimeMs: Math.round((clock.monotonic() - started) * 100) / 100 },
        }
      } catch (error) {
        const outcome = errorOutcome(error, signal)
        const code = (error as { code?: unknown }).code
        // A server that answers with an SQL error is up but unhealthy; no answer is an error.
        if (!signal.aborted && typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code))
          return { ...outcome, state: 'unhealthy', message: redactSecrets(outcome.message ?? '') }
        return { ...outcome, message: redactSecrets(outcome.message ?? '') }
      } finally {
        // end() alone waits for a silent server; destroying the socket stops the work now.
        ;(client as unknown as PgClientInternals).connection?.stream?.destroy()
        client.end().catch(() => {})
      }
    },
  }
}
