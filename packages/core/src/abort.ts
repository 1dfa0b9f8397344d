import type { Clock } from './clock.ts'
import { systemClock } from './clock.ts'
import { TimeoutError } from './errors.ts'

/** A signal that aborts on timeout or when its parent aborts, and a way to release its timer. */
export interface TimeoutSignal {
  readonly signal: AbortSignal
  /** Cancels the timer and detaches from the parent; call it when the work is done. */
  dispose(): void
}

/**
 * Creates a signal that aborts with a {@link TimeoutError} after `timeoutMs` of `clock` time,
 * or with the parent's reason when `parent` aborts first. Work that takes the signal must
 * stop what it is doing (close its socket, kill its child), not just stop waiting.
 *
 * @example
 * ```ts
 * const t = timeoutSignal(5_000, { parent: options.signal })
 * try { await fetch(url, { signal: t.signal }) } finally { t.dispose() }
 * ```
 */
export function timeoutSignal(
  timeoutMs: number,
  options: { parent?: AbortSignal; clock?: Clock; what?: string } = {},
): TimeoutSignal {
  const controller = new AbortController()
  const { parent, clock = systemClock, what } = options
  const onParentAbort = () => controller.abort(parent?.reason)
  const timer = clock.setTimeout(() => controller.abort(new TimeoutError(timeoutMs, what)), timeoutMs)
  if (parent?.aborted) controller.abort(parent.reason)
  else parent?.addEventListener('abort', onParentAbort, { once: true })
  return {
    signal: controller.signal,
    dispose() {
      timer.cancel()
      parent?.removeEventListener('abort', onParentAbort)
    },
  }
}
