import type { ChildProcess } from 'node:child_process'
import type { Clock } from '@noa/core'
import { watchExit } from './exit-watch.ts'

/** How a supervised process ended; both are null for an adopted process, whose status only its parent learns. */
export interface ExitStatus {
  code: number | null
  signal: NodeJS.Signals | null
}

/**
 * A process under the local supervisor: one it spawned, or one an earlier agent spawned
 * and this one adopted. Both end the same way, through `exited`, so a crash of either goes
 * through the same exit and restart path.
 */
export interface SupervisedProcess {
  readonly pid: number
  readonly adopted: boolean
  /** Resolves once, when the process has exited (never after {@link release}). */
  readonly exited: Promise<ExitStatus>
  /** Stops watching the process and lets the agent exit without it; the process keeps running. */
  release(): void
}

/** Wraps a child this agent spawned: its exit is seen at once through the 'exit' event. */
export function spawnedProcess(child: ChildProcess, pid: number): SupervisedProcess {
  let onExit: ((code: number | null, signal: NodeJS.Signals | null) => void) | undefined
  const exited = new Promise<ExitStatus>((resolve) => {
    onExit = (code, signal) => resolve({ code, signal })
    child.once('exit', onExit)
  })
  return {
    pid,
    adopted: false,
    exited,
    release() {
      if (onExit) child.off('exit', onExit)
      // the agent may exit while its detached child runs on
      child.unref()
    },
  }
}

/** Watches a process spawned by an earlier agent; its exit is seen by polling /proc every `intervalMs`. */
export function adoptedProcess(
  pid: number,
  startTime: number,
  options: { clock: Clock; intervalMs: number },
): SupervisedProcess {
  let cancel = () => {}
  const exited = new Promise<ExitStatus>((resolve) => {
    const timer = watchExit(pid, startTime, () => resolve({ code: null, signal: null }), options)
    cancel = () => timer.cancel()
  })
  return { pid, adopted: true, exited, release: () => cancel() }
}
