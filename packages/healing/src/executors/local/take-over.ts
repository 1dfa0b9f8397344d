import type { Clock } from '@noa/core'
import { waitExit } from './exit-watch.ts'
import { inspectRecord, type RunRecord, readRecord, removeRecord } from './run-record.ts'
import { terminateGroup } from './terminate.ts'

/** How often a stop looks whether a process left by an earlier agent has exited. */
const STALE_POLL_MS = 50

/** What {@link takeOver} found: a process to adopt, or what it did before a fresh start. */
export type TakeOver = { adopt: RunRecord } | { adopt?: undefined; notes: string[] }

/**
 * Decides, before a start, what to do with the process an earlier agent recorded for
 * `service`: adopt it when it is still the recorded process (pid and start time) running
 * the wanted argv in the wanted folder; stop it (its group, SIGKILL after `timeoutMs`) when
 * it is the recorded process but runs something else now; drop the record without
 * signalling anything when the process is gone or its pid names another process now.
 * Every record but an adopted one is removed.
 */
export async function takeOver(
  runDir: string,
  service: string,
  want: { argv: readonly string[]; cwd: string },
  options: { clock: Clock; timeoutMs: number },
): Promise<TakeOver> {
  const record = readRecord(runDir, service)
  if (record === undefined) return { notes: [] }
  if (record instanceof Error) {
    removeRecord(runDir, service)
    return { notes: [`ignored ${record.message}`] }
  }
  const state = inspectRecord(record, want)
  if (state.kind === 'same') return { adopt: record }
  const notes: string[] = []
  if (state.kind === 'changed') {
    // the start time matched: it is the recorded process, safe to signal
    const exited = waitExit(record.pid, record.startTime, { clock: options.clock, intervalMs: STALE_POLL_MS })
    const { killed } = await terminateGroup(record.pid, exited, options)
    notes.push(
      `stopped pid ${record.pid} left by an earlier agent: ${state.why}${killed ? ' (SIGKILL)' : ''}`,
    )
  } else notes.push(`dropped the run record of pid ${record.pid}: ${state.why}`)
  removeRecord(runDir, service)
  return { notes }
}
