import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { systemClock } from '@noa/core'
import { describe, expect, it } from 'vitest'
import { childHandle, createProcessChecker, pidAlive } from './process.ts'
import { processCheckSchema } from './schema.ts'

const checker = createProcessChecker()
const ctx = { signal: new AbortController().signal, clock: systemClock }
const run = (input: Record<string, unknown>) =>
  checker.run(processCheckSchema.parse({ type: 'process', ...input }), ctx)

describe('createProcessChecker', () => {
  it('should follow a real child by pid and by handle', async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)'], { stdio: 'ignore' })
    try {
      await once(child, 'spawn')
      const pid = child.pid!
      const handle = childHandle(child)
      expect(await run({ pid })).toEqual({
        state: 'healthy',
        message: `process ${pid} is running`,
        details: { pid },
      })
      expect(await run({ handle })).toEqual({
        state: 'healthy',
        message: `process ${pid} is running`,
        details: { pid },
      })
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      await exited
      expect(await run({ pid })).toEqual({
        state: 'error',
        message: `process ${pid} is not running`,
        details: { pid },
        retryable: false,
      })
      expect((await run({ handle })).state).toBe('error')
      expect(pidAlive(pid)).toBe(false)
    } finally {
      child.kill('SIGKILL')
    }
  })

  it('should take any handle with isAlive()', async () => {
    expect(await run({ handle: { isAlive: () => false } })).toMatchObject({
      state: 'error',
      message: 'not running',
    })
    expect(await run({ handle: { isAlive: () => true } })).toMatchObject({
      state: 'healthy',
      message: 'running',
    })
  })

  it('should see pid 1 (init, maybe owned by another user) as alive', () => {
    expect(pidAlive(1)).toBe(true)
  })

  it('should need exactly one of pid or handle', () => {
    const messages = (v: unknown) => processCheckSchema.safeParse(v).error?.issues.map((i) => i.message)
    expect(messages({ type: 'process' })).toEqual(['expected exactly one of pid or handle'])
    expect(messages({ type: 'process', handle: {} })).toEqual(['expected a process handle with isAlive()'])
  })
})
