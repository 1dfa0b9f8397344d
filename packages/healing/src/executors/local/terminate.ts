import type { Clock } from '@noa/core'
import { groupRunning, readStat, signalGroup } from './proc.ts'

/** How often a stop looks whether the rest of a process group has exited. */
const GROUP_POLL_MS = 50
/** How long a stop waits for a group it killed with SIGKILL before giving up on it. */
const KILL_GRACE_MS = 1_000

/** Options of {@link terminateGroup}. */
export interface TerminateOptions {
  clock: Clock
  /** Time between SIGTERM and SIGKILL. */
  timeoutMs: number
}

/**
 * Stops the process `pid` and its process group: SIGTERM to the group, SIGKILL to the
 * group after `timeoutMs`. Resolves once `leaderExited` has resolved and no other member
 * of the group still runs, since a grandchild (`npm start` -> node) that outlives its
 * parent would still hold the service's port when the next copy starts.
 */
export async function terminateGroup(
  pid: number,
  leaderExited: Promise<unknown>,
  options: TerminateOptions,
): Promise<{ killed: boolean }> {
  const { clock, timeoutMs } = options
  // a process that left the group it was started in is signalled alone: its group is not ours
  const stat = readStat(pid)
  const group = stat === undefined || stat.pgrp === pid
  const signal = (s: NodeJS.Signals) => {
    if (group && signalGroup(pid, s)) return
    try {
      process.kill(pid, s)
    } catch {
      // already gone
    }
  }
  let killedAt: number | undefined
  const timer = clock.setTimeout(() => {
    killedAt = clock.monotonic()
    signal('SIGKILL')
  }, timeoutMs)
  signal('SIGTERM')
  try {
    await leaderExited
    while (group && groupRunning(pid)) {
      if (killedAt !== undefined && clock.monotonic() - killedAt > KILL_GRACE_MS) break
      await clock.sleep(GROUP_POLL_MS)
    }
  } finally {
    timer.cancel()
  }
  return { killed: killedAt !== undefined }
}
