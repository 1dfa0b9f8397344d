import { systemClock } from '@noa/core'
import { afterAll, describe, expect, it } from 'vitest'
import type { Checker, CheckOutcome } from '../checker.ts'

/** A target that accepts and never answers, and how many of its connections are still open. */
export interface HangingTarget<T> {
  target: T
  /** Connections the server side still holds open. */
  open(): number
}

/** What {@link checkerCases} needs to run the cases every checker must pass. */
export interface CheckerCaseOptions<T> {
  /** The checker type, for the test names. */
  type: string
  checker: () => Checker<T>
  /** A target that answers as expected: healthy. */
  healthy: () => T | Promise<T>
  /** A target that answers, but not as expected: unhealthy, and why. */
  unhealthy?: () => T | Promise<T>
  /** A target nobody answers on (a closed port): an error another attempt may not repeat. */
  unreachable: () => T | Promise<T>
  /** A target that accepts and never answers: an abort must end the attempt and close its connection. */
  hanging?: () => Promise<HangingTarget<T>>
  /** A secret in the targets (a password) that no outcome may show. */
  secret?: string
  /** Skips the cases (the real server is not configured here, e.g. no NOA_TEST_REDIS_URL). */
  skip?: boolean
}

/** Resolves when `condition` holds, polling every 10 ms; fails after `ms`. */
async function eventually(condition: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms
  while (!condition()) {
    if (Date.now() > until) throw new Error(`not within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

const run = <T>(checker: Checker<T>, target: T, signal = new AbortController().signal) =>
  checker.run(target, { signal, clock: systemClock })

/** The latency an outcome reports: a finite number of ms among its details. */
function latencyOf(outcome: CheckOutcome): number | undefined {
  for (const [key, value] of Object.entries(outcome.details ?? {}))
    if (key.endsWith('Ms') && typeof value === 'number' && Number.isFinite(value)) return value
  return undefined
}

/**
 * The cases every checker passes, against the real server its test started: healthy with a
 * latency, unhealthy with a reason, an unreachable target as a retryable error, an abort that
 * ends a hung attempt at once and closes its connection, concurrent attempts that do not mix,
 * and no secret in any outcome. Call it at the top level of the checker's test file.
 */
export function checkerCases<T>(options: CheckerCaseOptions<T>): void {
  describe.skipIf(options.skip === true)(`${options.type} checker: the cases every checker passes`, () => {
    const checker = options.checker()
    const outcomes: CheckOutcome[] = []
    const seen = (outcome: CheckOutcome) => {
      outcomes.push(outcome)
      return outcome
    }
    afterAll(() => checker.close?.())

    it('should be healthy against a target that answers, with the latency in its details', async () => {
      const outcome = seen(await run(checker, await options.healthy()))
      expect(outcome.state, outcome.message).toBe('healthy')
      expect(latencyOf(outcome)).toBeGreaterThanOrEqual(0)
    })

    if (options.unhealthy)
      it('should be unhealthy, and say why, against a target that answers unexpectedly', async () => {
        const outcome = seen(await run(checker, await options.unhealthy!()))
        expect(outcome.state).toBe('unhealthy')
        expect(outcome.message).toBeTruthy()
      })

    it('should give a retryable error, and say why, when nothing answers', async () => {
      const outcome = seen(await run(checker, await options.unreachable()))
      expect(outcome).toMatchObject({ state: 'error', retryable: true })
      expect(outcome.message).toBeTruthy()
    })

    it('should give an error at once for an attempt aborted before it started', async () => {
      const controller = new AbortController()
      controller.abort(new Error('shutting down'))
      const outcome = seen(await run(checker, await options.healthy(), controller.signal))
      expect(outcome).toMatchObject({ state: 'error', message: 'shutting down' })
    })

    if (options.hanging)
      it('should end a hung attempt on abort and close its connection', async () => {
        const hanging = await options.hanging!()
        const controller = new AbortController()
        const pending = run(checker, hanging.target, controller.signal)
        await eventually(() => hanging.open() > 0, 5_000)
        const aborted = Date.now()
        controller.abort(new Error('timed out after 5000 ms'))
        const outcome = seen(await pending)
        expect(Date.now() - aborted).toBeLessThan(1_000)
        expect(outcome).toMatchObject({ state: 'error', message: 'timed out after 5000 ms' })
        await eventually(() => hanging.open() === 0, 5_000)
      })

    it('should keep concurrent attempts apart', async () => {
      const [good, bad] = await Promise.all([options.healthy(), options.unreachable()])
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => run(checker, i % 2 === 0 ? good : bad)),
      )
      const expected = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 'healthy' : 'error'))
      // An attempt in the wrong state says why, so a failure here can be read.
      expect(
        results.map((r, i) => (seen(r).state === expected[i] ? r.state : `${r.state}: ${r.message}`)),
      ).toEqual(expected)
    })

    if (options.secret)
      it('should never show the secret in an outcome', () => {
        expect(outcomes.length).toBeGreaterThan(0)
        for (const outcome of outcomes) expect(JSON.stringify(outcome)).not.toContain(options.secret)
      })
  })
}
