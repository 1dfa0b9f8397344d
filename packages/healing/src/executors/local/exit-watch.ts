import { closeSync } from 'node:fs'
import type { Clock, Timer } from '@noa/core'
import { isRunning, isSameProcess, openStat, readStatFd } from './proc.ts'
import { onTick } from './shared-ticker.ts'

/**
 * Calls `onExit` once when `pid` is no longer the process that started at `startTime`
 * (gone, a zombie, or its pid handed out again). Node can wait only on the children it
 * spawned itself, so a process adopted from an earlier agent is watched by polling /proc,
 * on one timer for all the processes watched at the same interval, through a descriptor
 * kept open on its stat file.
 */
export function watchExit(
  pid: number,
  startTime: number,
  onExit: () => void,
  options: { clock: Clock; intervalMs: number },
): Timer {
  let fd = openStat(pid)
  const end = () => {
    tick.cancel()
    if (fd !== undefined) closeSync(fd)
    fd = undefined
  }
  const tick = onTick(options.clock, options.intervalMs, () => {
    const stat = fd === undefined ? undefined : readStatFd(fd)
    if (isRunning(stat) && stat.startTime === startTime) return
    end()
    onExit()
  })
  return { cancel: end }
}

/** Resolves when `pid` is no longer the process that started at `startTime` (see {@link watchExit}). */
export function waitExit(
  pid: number,
  startTime: number,
  options: { clock: Clock; intervalMs: number },
): Promise<void> {
  if (!isSameProcess(pid, startTime)) return Promise.resolve()
  return new Promise((resolve) => watchExit(pid, startTime, resolve, options))
}
