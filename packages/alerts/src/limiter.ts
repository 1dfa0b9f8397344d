/** Runs async tasks with at most `concurrency` at a time and at most `maxWaiting` queued. */
export interface Limiter {
  /** Runs the task when a slot frees up; undefined (task not run) when the queue is full. */
  run<T>(task: () => Promise<T>): Promise<T> | undefined
}

/**
 * A small concurrency limit, so a burst of direct sends cannot open hundreds of sockets at
 * once or queue without end.
 *
 * @example
 * ```ts
 * const limit = createLimiter(4, 1000)
 * limit.run(() => channel.send(n, ctx)) ?? dropped()
 * ```
 */
export function createLimiter(concurrency: number, maxWaiting: number): Limiter {
  let running = 0
  const waiting: Array<() => void> = []
  const next = () => {
    running--
    waiting.shift()?.()
  }
  return {
    run<T>(task: () => Promise<T>) {
      if (running >= concurrency && waiting.length >= maxWaiting) return undefined
      return new Promise<T>((resolve, reject) => {
        const start = () => {
          running++
          task().then(resolve, reject).finally(next)
        }
        if (running < concurrency) start()
        else waiting.push(start)
      })
    },
  }
}
