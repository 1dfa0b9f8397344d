import type { ChildProcess } from 'node:child_process'
import type { Checker, CheckOutcome } from '../../checker.ts'
import type { ProcessCheckOptions, ProcessHandle } from './schema.ts'

/** True when a process with this pid exists (EPERM means it exists but belongs to someone else). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Wraps a Node child process as a {@link ProcessHandle}, so it can be checked and its exit
 * seen at once.
 *
 * @example
 * ```ts
 * const child = spawn('node', ['server.js'])
 * monitor = createHealthMonitor({ services: [{ name: 'api', check: { type: 'process', handle: childHandle(child) } }] })
 * ```
 */
export function childHandle(child: ChildProcess): ProcessHandle {
  return {
    get pid() {
      return child.pid
    },
    isAlive: () => child.pid !== undefined && child.exitCode === null && child.signalCode === null,
    on: (event, listener) => child.on(event, listener),
    off: (event, listener) => child.off(event, listener),
  }
}

/**
 * The `process` checker: healthy while the pid or handle is alive, `error` once it is gone.
 *
 * @example
 * ```ts
 * await createProcessChecker().run({ type: 'process', pid: 1234 }, { signal, clock: systemClock })
 * ```
 */
export function createProcessChecker(): Checker<ProcessCheckOptions> {
  return {
    async run(target): Promise<CheckOutcome> {
      const pid = target.handle ? target.handle.pid : target.pid
      const alive = target.handle ? target.handle.isAlive() : pidAlive(target.pid!)
      const details = pid === undefined ? {} : { pid }
      return alive
        ? { state: 'healthy', message: pid === undefined ? 'running' : `process ${pid} is running`, details }
        : {
            state: 'error',
            message: pid === undefined ? 'not running' : `process ${pid} is not running`,
            details,
            retryable: false,
          }
    },
  }
}
