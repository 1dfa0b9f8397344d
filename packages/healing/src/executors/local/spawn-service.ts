import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync } from 'node:fs'
import { errorMessage } from '@noa/core'
import type { ActionResult } from '../../executor.ts'
import type { ServiceLogs } from './rotating-file.ts'

/** What {@link spawnService} needs to start a service. */
export interface SpawnRequest {
  argv: readonly string[]
  cwd: string
  env: NodeJS.ProcessEnv
  logs: ServiceLogs
}

/** A started process; its pid is known. */
export type Spawned = { ok: true; child: ChildProcess; pid: number }
/** A start that failed: a command not found, a log file that cannot be opened. */
export type SpawnFailed = { ok: false; result: ActionResult }

/**
 * Spawns a service in its own process group with its stdout and stderr bound to its log
 * files. A started process is returned at once, so the caller holds it before anything
 * else can run; only a failure that Node reports later (a command not found) comes as a
 * promise.
 */
export function spawnService(request: SpawnRequest): Spawned | SpawnFailed | Promise<SpawnFailed> {
  const [file, ...args] = request.argv as [string, ...string[]]
  const fds: number[] = []
  try {
    request.logs.rotateIfFull()
    fds.push(request.logs.out.openForChild())
    fds.push(request.logs.err.openForChild())
  } catch (e) {
    for (const fd of fds) closeSync(fd)
    return {
      ok: false,
      result: { ok: false, error: `cannot open a log file: ${errorMessage(e)}`, retryable: true },
    }
  }
  let child: ChildProcess
  try {
    child = spawn(file, args, {
      cwd: request.cwd,
      env: request.env,
      // files, not pipes to the agent: the process keeps logging when the agent dies
      stdio: ['ignore', fds[0], fds[1]],
      // its own process group: a Ctrl-C in the agent's terminal is for the agent to handle,
      // and a stop signals the whole group, grandchildren (npm start -> node) included
      detached: true,
      shell: false,
    })
  } catch (e) {
    return {
      ok: false,
      result: { ok: false, error: `cannot start ${file}: ${errorMessage(e)}`, retryable: false },
    }
  } finally {
    // the child has its own copies of the descriptors
    for (const fd of fds) closeSync(fd)
  }
  const pid = child.pid
  if (pid === undefined)
    return new Promise((resolve) =>
      child.once('error', (error: NodeJS.ErrnoException) => {
        const reason =
          error.code === 'ENOENT' ? `command not found: ${file}` : `cannot start ${file}: ${error.message}`
        resolve({ ok: false, result: { ok: false, error: reason, retryable: false } })
      }),
    )
  child.on('error', () => {}) // once spawned, every failure ends in 'exit'
  return { ok: true, child, pid }
}
