import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs'

/**
 * What Linux says about a process in /proc. A pid alone names nothing once its process
 * is gone (the kernel hands it out again), so the supervisor identifies a process by its
 * pid and its start time together.
 */
export interface ProcStat {
  /** Field 3: R, S, D, Z (zombie), X (dead), … */
  state: string
  /** Field 5: the process group. */
  pgrp: number
  /** Field 22: start time in clock ticks after boot; differs for a pid handed out again. */
  startTime: number
}

/** Parses the text of /proc/<pid>/stat; undefined when it is not one. */
export function parseStat(text: string): ProcStat | undefined {
  // field 2 is the command name in parentheses and may itself hold spaces and ')':
  // the fixed fields start after the last ')'
  const close = text.lastIndexOf(')')
  if (close < 0) return undefined
  const fields = text.slice(close + 2).split(' ')
  const state = fields[0]
  const pgrp = Number(fields[2])
  const startTime = Number(fields[19])
  if (!state || !Number.isInteger(pgrp) || !Number.isInteger(startTime)) return undefined
  return { state, pgrp, startTime }
}

// a stat line is a few hundred bytes; one buffer serves every read
const statBuffer = Buffer.allocUnsafe(4096)

/** /proc/<pid>/stat, or undefined when there is no such process (or no /proc). */
export function readStat(pid: number): ProcStat | undefined {
  const fd = openStat(pid)
  if (fd === undefined) return undefined
  try {
    return readStatFd(fd)
  } finally {
    closeSync(fd)
  }
}

/**
 * Opens /proc/<pid>/stat to read it again and again with {@link readStatFd}: a watch that
 * keeps it open saves the path lookup of every look. The descriptor stays bound to that
 * process: once it has exited and been reaped, reads fail even if its pid is handed out again.
 */
export function openStat(pid: number): number | undefined {
  try {
    return openSync(`/proc/${pid}/stat`, 'r')
  } catch {
    return undefined
  }
}

/** Reads a descriptor from {@link openStat}; undefined once its process is gone. */
export function readStatFd(fd: number): ProcStat | undefined {
  try {
    const n = readSync(fd, statBuffer, 0, statBuffer.length, 0)
    return parseStat(statBuffer.toString('latin1', 0, n))
  } catch {
    return undefined
  }
}

/** The argv a process runs, from /proc/<pid>/cmdline; undefined when it is gone. */
export function readCmdline(pid: number): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    const argv = raw.split('\0')
    if (argv.at(-1) === '') argv.pop()
    return argv
  } catch {
    return undefined
  }
}

/**
 * A zombie has exited and only waits to be reaped: when its parent died, PID 1 reaps it,
 * and some container inits never do. Either way it no longer runs.
 */
export function isRunning(stat: ProcStat | undefined): stat is ProcStat {
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X'
}

/** True while `pid` is still the process that started at `startTime` and has not exited. */
export function isSameProcess(pid: number, startTime: number): boolean {
  const stat = readStat(pid)
  return isRunning(stat) && stat.startTime === startTime
}

/** Sends `signal` to the process group led by `pid` (0 only asks whether it exists); false when the group is gone. */
export function signalGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  if (!Number.isInteger(pid) || pid <= 1) return false // -1 and -0 would signal far more than a group
  try {
    process.kill(-pid, signal)
    return true
  } catch {
    return false
  }
}

/** Whether any member of the process group `pgid` still runs (zombies excluded). */
export function groupRunning(pgid: number): boolean {
  // cheap answer first: no member at all, not even a zombie
  if (!signalGroup(pgid, 0)) return false
  let entries: string[]
  try {
    entries = readdirSync('/proc')
  } catch {
    return false
  }
  for (const entry of entries) {
    const c = entry.charCodeAt(0)
    if (c < 48 || c > 57) continue
    const stat = readStat(Number(entry))
    if (isRunning(stat) && stat.pgrp === pgid) return true
  }
  return false
}
