import type { Clock, Timer } from '@noa/core'

interface Ticker {
  callbacks: Set<() => void>
  timer: Timer | undefined
}

const tickers = new WeakMap<Clock, Map<number, Ticker>>()

/**
 * Calls `callback` about every `intervalMs` until cancelled, on one timer shared by every
 * callback of the same clock and interval. Each timer that fires wakes the agent's event
 * loop, and a wake-up costs far more than the work done here (a stat, a read of /proc):
 * with 50 services, one timer each measured about 1.4 % of a core for the log size checks
 * alone. A callback that joins a running ticker is first called within `intervalMs`.
 */
export function onTick(clock: Clock, intervalMs: number, callback: () => void): Timer {
  let byInterval = tickers.get(clock)
  if (!byInterval) {
    byInterval = new Map()
    tickers.set(clock, byInterval)
  }
  let ticker = byInterval.get(intervalMs)
  if (!ticker) {
    ticker = { callbacks: new Set(), timer: undefined }
    byInterval.set(intervalMs, ticker)
  }
  ticker.callbacks.add(callback)
  if (!ticker.timer) schedule(clock, intervalMs, ticker)
  const own = ticker
  const map = byInterval
  return {
    cancel() {
      own.callbacks.delete(callback)
      if (own.callbacks.size > 0) return
      own.timer?.cancel()
      own.timer = undefined
      if (map.get(intervalMs) === own) map.delete(intervalMs)
    },
  }
}

function schedule(clock: Clock, intervalMs: number, ticker: Ticker): void {
  ticker.timer = clock.setTimeout(() => {
    ticker.timer = undefined
    for (const callback of [...ticker.callbacks]) {
      // one that an earlier callback cancelled in this round is not called
      if (!ticker.callbacks.has(callback)) continue
      try {
        callback()
      } catch {
        // one failing callback must not stop the others
      }
    }
    if (ticker.callbacks.size > 0 && !ticker.timer) schedule(clock, intervalMs, ticker)
  }, intervalMs)
}
