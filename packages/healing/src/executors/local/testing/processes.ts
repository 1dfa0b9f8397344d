// Helpers for the local supervisor's tests with real processes.

import { readdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { isRunning, isSameProcess, readCmdline, readStat, signalGroup } from '../proc.ts'

/** A free TCP port on 127.0.0.1, for a service that must listen on a fixed one. */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Polls `probe` until it returns a value other than undefined or false; throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** Pids of the running processes (zombies excluded) whose argv is exactly `argv`. */
export function runningCopies(argv: readonly string[]): number[] {
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry)
    if (!Number.isInteger(pid) || !isRunning(readStat(pid))) continue
    const cmdline = readCmdline(pid)
    if (cmdline && cmdline.length === argv.length && cmdline.every((a, i) => a === argv[i])) pids.push(pid)
  }
  return pids
}

/** True while `pid` runs (not a zombie). */
export function alive(pid: number): boolean {
  return isRunning(readStat(pid))
}

/**
 * Remembers every process a test starts, to kill it (and its group) when the test ends,
 * passed or failed. The start time is kept so that a pid handed out again is never hit.
 */
export class Reaper {
  #procs: Array<{ pid: number; startTime: number }> = []

  /** Remembers `pid`; returns it. */
  track(pid: number | undefined): number {
    if (pid === undefined) throw new Error('no pid to track')
    const stat = readStat(pid)
    if (stat) this.#procs.push({ pid, startTime: stat.startTime })
    return pid
  }

  killAll(): void {
    for (const { pid, startTime } of this.#procs.splice(0)) {
      if (!isSameProcess(pid, startTime)) continue
      signalGroup(pid, 'SIGKILL')
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // gone meanwhile
      }
    }
  }
}

/** The pid logging-service.mjs logged for its grandchild, once it has. */
export function grandchildOf(log: string): number | undefined {
  const match = log.match(/grandchild pid=(\d+)/)
  return match ? Number(match[1]) : undefined
}
