import type { Checker, CheckOutcome } from '../../checker.ts'
import { abortPromise, errorOutcome } from '../../checker.ts'
import { redactSecrets } from '../../redact.ts'
import type { RedisCheckOptions } from './schema.ts'

/**
 * The `redis` checker: connects (no reconnects), sends PING, expects PONG, disconnects.
 * `redis` is loaded only when such a check runs. On abort the client is destroyed.
 *
 * @example
 * ```ts
 * await createRedisChecker().run({ type: 'redis', url: 'redis://127.0.0.1:6379' }, { signal, clock: systemClock })
 * ```
 */
export function createRedisChecker(): Checker<RedisCheckOptions> {
  return {
    async run(target, { signal, clock }): Promise<CheckOutcome> {
      if (signal.aborted) return errorOutcome(signal.reason, signal)
      const { createClient } = await import('redis')
      const started = clock.monotonic()
      // connectTimeout 0: no timer of the client's own (5 s by default, which cut a loaded
      // machine's connect short of the check's timeout); the check's signal bounds the attempt.
      const client = createClient({
        url: target.url,
        socket: { reconnectStrategy: false, connectTimeout: 0 },
      })
      let lastError: unknown
      let socketOpen = false
      let finished = false
      const destroy = () => {
        try {
          client.destroy()
        } catch {
          // already closed
        }
      }
      client.on('error', (error: unknown) => {
        lastError = error
      })
      // destroy() before the socket connects closes nothing (redis 5), so close it once it does.
      client.on('connect', () => {
        socketOpen = true
        if (finished) destroy()
      })
      const aborted = abortPromise(signal)
      try {
        await Promise.race([client.connect(), aborted])
        const answer = await Promise.race([client.ping(), aborted])
        if (answer !== 'PONG')
          return { state: 'unhealthy', message: `expected PONG, got ${String(answer).slice(0, 50)}` }
        return {
          state: 'healthy',
          message: 'PONG',
          details: { responseTimeMs: Math.round((clock.monotonic() - started) * 100) / 100 },
        }
      } catch (error) {
        const outcome = errorOutcome(error ?? lastError, signal)
        return { ...outcome, message: redactSecrets(outcome.message ?? '') }
      } finally {
        finished = true
        if (socketOpen) destroy()
      }
    },
  }
}
