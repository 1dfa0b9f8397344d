import { rmSync } from 'node:fs'
import { basename } from 'node:path'
import { type Clock, systemClock } from '@noa/core'
import { waitExit } from './exit-watch.ts'
import { inspectRecord, listRecords, type RunRecord } from './run-record.ts'
import { terminateGroup } from './terminate.ts'

/** Options of {@link stopRecorded}. */
export interface StopRecordedOptions {
  /** Time between SIGTERM and SIGKILL. @default 30000 */
  timeoutMs?: number
  clock?: Clock
}

/** What {@link stopRecorded} did about one run record. */
export interface RecordedStop {
  service: string
  pid?: number
  /**
   * `stopped`: exited after SIGTERM; `killed`: needed SIGKILL after `timeoutMs`;
   * `not-running`: had exited already, or its pid now belongs to another process (left alone);
   * `unreadable`: the record could not be read, nothing was signalled.
   */
  outcome: 'stopped' | 'killed' | 'not-running' | 'unreadable'
  detail: string
}

/** How often a stop looks whether a process it did not spawn has exited. */
const STOP_POLL_MS = 50

/**
 * Stops every process recorded under `runDir` by local supervisors, for `noa stop`, which
 * runs in another process than the agent: each one that is still the recorded process
 * (pid and start time, so a pid handed out again is never signalled) gets SIGTERM on its
 * process group, SIGKILL after `timeoutMs`; all are stopped at once and waited for, and
 * every record is removed. Stop the agent first: a running agent would restart them.
 *
 * @example
 * ```ts
 * for (const s of await stopRecorded(join(baseDir, 'run', 'services'), { timeoutMs: 10_000 }))
 *   console.log(`${s.service}: ${s.outcome} (${s.detail})`)
 * ```
 */
export async function stopRecorded(
  runDir: string,
  options: StopRecordedOptions = {},
): Promise<RecordedStop[]> {
  // The Clock's timers are unref'd (they never keep an agent alive); `noa stop` has nothing
  // else to wait on, so this keeps its process alive until every service has stopped.
  const keepAlive = setInterval(() => {}, 60_000)
  return Promise.all(
    listRecords(runDir).map(async ({ path, record }): Promise<RecordedStop> => {
      try {
        if (record instanceof Error)
          return {
            service: decodeURIComponent(basename(path, '.json')),
            outcome: 'unreadable',
            detail: record.message,
          }
        return await stopRecord(record, options)
      } finally {
        rmSync(path, { force: true })
      }
    }),
  ).finally(() => clearInterval(keepAlive))
}

/** Stops the process of one record if it is still that process; leaves the record file alone. */
export async function stopRecord(
  record: RunRecord,
  options: StopRecordedOptions = {},
): Promise<RecordedStop> {
  const { clock = systemClock, timeoutMs = 30_000 } = options
  const base = { service: record.service, pid: record.pid }
  const state = inspectRecord(record)
  if (state.kind === 'gone') return { ...base, outcome: 'not-running', detail: state.why }
  const exited = waitExit(record.pid, record.startTime, { clock, intervalMs: STOP_POLL_MS })
  const { killed } = await terminateGroup(record.pid, exited, { clock, timeoutMs })
  return killed
    ? {
        ...base,
        outcome: 'killed',
        detail: `did not stop within ${timeoutMs} ms of SIGTERM; killed with SIGKILL`,
      }
    : { ...base, outcome: 'stopped', detail: 'stopped after SIGTERM' }
}
