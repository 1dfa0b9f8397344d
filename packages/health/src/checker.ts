import type { Clock, HealthState } from '@noa/core'

/** The state a checker can decide: never `unknown`. */
export type OutcomeState = Exclude<HealthState, 'unknown'>

/**
 * What one attempt of a check found. `healthy` is the expected answer, `unhealthy` an
 * unexpected answer, `error` no answer at all (refused, reset, timed out).
 */
export interface CheckOutcome {
  state: OutcomeState
  /** Why the state is what it is, e.g. `expected status 200-399, got 503`. Never holds a secret. */
  message?: string
  /** Checker-specific facts, JSON-serialisable, e.g. `{ statusCode: 503 }`. */
  details?: Record<string, unknown>
  /** Whether another attempt may give another answer. Ignored for `healthy`. */
  retryable?: boolean
  /**
   * The answer's body as text, for a service condition on `[BODY]`: set by the http checker when
   * the check's `readBody` asks for it, read by the conditions, never kept in the result.
   */
  body?: string
}

/** What every attempt gets: the signal that aborts it (timeout or shutdown) and the clock. */
export interface CheckContext {
  /** Aborts on timeout or shutdown; the checker must stop its work (close the socket, kill the child). */
  signal: AbortSignal
  /** Clock for measuring durations. */
  clock: Clock
}

/**
 * One kind of health check. A checker is built once per monitor and may keep shared
 * resources (the HTTP keep-alive agent); `run` is called with each service's validated
 * options as its target and never mutates them.
 *
 * @example
 * ```ts
 * const checker: Checker<{ ok: boolean }> = {
 *   async run(target) { return target.ok ? { state: 'healthy' } : { state: 'unhealthy', message: 'not ok' } },
 * }
 * ```
 */
export interface Checker<Target> {
  run(target: Target, context: CheckContext): Promise<CheckOutcome>
  /** Releases shared resources (idle sockets). */
  close?(): void
}

/** Turns anything a checker threw or aborted with into an `error` outcome. */
export function errorOutcome(error: unknown, signal?: AbortSignal): CheckOutcome {
  const reason = signal?.aborted ? signal.reason : error
  const message = reason instanceof Error ? reason.message : String(reason)
  const code = (reason as { code?: unknown } | null)?.code
  return {
    state: 'error',
    message,
    retryable: true,
    ...(typeof code === 'string' ? { details: { code } } : {}),
  }
}

/**
 * A promise that rejects with the signal's reason when it aborts, for racing clients that
 * do not take a signal themselves. It never rejects unhandled.
 */
export function abortPromise(signal: AbortSignal): Promise<never> {
  const promise = new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason)
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true })
  })
  promise.catch(() => {})
  return promise
}

/**
 * The one way an attempt on a connection ends: the first outcome wins, the connection is
 * destroyed, the abort listener removed, and an abort ends it with the signal's reason.
 * Returns the `finish` its events call.
 *
 * @example
 * ```ts
 * const finish = settleOnce(socket, signal, resolve)
 * socket.on('error', (error) => finish(errorOutcome(error)))
 * ```
 */
export function settleOnce(
  connection: { destroy(): void },
  signal: AbortSignal,
  resolve: (outcome: CheckOutcome) => void,
): (outcome: CheckOutcome) => void {
  let done = false
  const finish = (outcome: CheckOutcome) => {
    if (done) return
    done = true
    signal.removeEventListener('abort', onAbort)
    connection.destroy()
    resolve(outcome)
  }
  const onAbort = () => finish(errorOutcome(signal.reason, signal))
  signal.addEventListener('abort', onAbort, { once: true })
  return finish
}

/** Something to tell when a signal aborts. */
export interface AbortListener {
  onAbort(): void
}

const abortHubs = new WeakMap<AbortSignal, Set<AbortListener>>()

/**
 * Calls `listener.onAbort()` when `signal` aborts, until the listener is deleted from the
 * returned set. Every listener on one signal shares a single real listener: many attempts share
 * one deadline signal, and adding and removing an EventTarget listener per attempt cost more
 * than the rest of a check. The signal must not be aborted yet.
 */
export function onAbort(signal: AbortSignal, listener: AbortListener): Set<AbortListener> {
  let hub = abortHubs.get(signal)
  if (hub === undefined) {
    const listeners = new Set<AbortListener>()
    abortHubs.set(signal, listeners)
    signal.addEventListener(
      'abort',
      () => {
        for (const l of listeners) l.onAbort()
        listeners.clear()
      },
      { once: true },
    )
    hub = listeners
  }
  hub.add(listener)
  return hub
}

/** Stops an attempt started through {@link CallbackChecker.start}. */
export interface Cancellable {
  /** Stops the work (closes the socket); the attempt's `done` is then called at most with an outcome the caller ignores. */
  cancel(): void
}

/**
 * A checker that can also report through a callback: the monitor's fast path, which saves a
 * promise and its continuations per attempt. `prepare` works out once what every attempt of a
 * target needs (the parsed URL, the request options), and the caller keeps it with the
 * service. `done` is called exactly once, with the `token` and `attempt` given, so that the
 * caller needs no closure per attempt either. There is no signal: the caller ends the attempt
 * through the handle returned (its deadline passed or it stopped), so that the attempts of a
 * deadline slot need no AbortSignal.
 */
export interface CallbackChecker<Target, Prepared = unknown> extends Checker<Target> {
  prepare(target: Target): Prepared
  start<T>(
    prepared: Prepared,
    context: { readonly clock: Clock },
    done: (outcome: CheckOutcome, token: T, attempt: number) => void,
    token: T,
    attempt: number,
  ): Cancellable
}
