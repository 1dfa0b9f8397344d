import { describe, expect, it } from 'vitest'
import { createLimiter } from './limiter.ts'

describe('createLimiter', () => {
  it('should run at most `concurrency` tasks at once, queue `maxWaiting`, and refuse beyond', async () => {
    const limit = createLimiter(2, 1)
    const started: number[] = []
    const finish: Array<() => void> = []
    const task = (n: number) => () =>
      new Promise<number>((resolve) => {
        started.push(n)
        finish.push(() => resolve(n))
      })
    const runs = [limit.run(task(1)), limit.run(task(2)), limit.run(task(3))]
    expect(limit.run(task(4))).toBeUndefined()
    expect(started).toEqual([1, 2])
    finish.shift()?.()
    await runs[0]
    await new Promise((resolve) => setImmediate(resolve))
    expect(started).toEqual([1, 2, 3])
    for (const f of finish.splice(0)) f()
    expect(await Promise.all(runs)).toEqual([1, 2, 3])
  })

  it('should free the slot of a task that fails', async () => {
    const limit = createLimiter(1, 1)
    const failing = limit.run(() => Promise.reject(new Error('boom')))
    const next = limit.run(async () => 'next')
    await expect(failing).rejects.toThrow('boom')
    expect(await next).toBe('next')
  })
})
