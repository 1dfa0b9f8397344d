import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { errorMessage } from '@noa/core'
import { z } from 'zod'
import { isRunning, readCmdline, readStat } from './proc.ts'

const runRecordSchema = z.object({
  service: z.string(),
  pid: z.number().int().positive(),
  startTime: z.number().int().nonnegative(),
  argv: z.array(z.string()),
  cwd: z.string(),
  startedAt: z.number(),
})

/**
 * What the local supervisor writes under its run directory for each process it starts,
 * so that a later agent (after a crash or a `kill -9`) or `noa stop` can find the process
 * again, and never mistake another process that got the same pid for it.
 */
export type RunRecord = z.infer<typeof runRecordSchema>

const SUFFIX = '.json'

/** The record file of a service: its name, encoded so any service name is one safe file name. */
export function recordPath(runDir: string, service: string): string {
  return join(runDir, `${encodeURIComponent(service)}${SUFFIX}`)
}

/** Writes the record through a temporary file and a rename, so a reader never sees half of it. */
export function writeRecord(runDir: string, record: RunRecord): void {
  mkdirSync(runDir, { recursive: true })
  const path = recordPath(runDir, record.service)
  // the dot keeps a leftover temporary file out of listRecords
  const temp = join(runDir, `.${encodeURIComponent(record.service)}.${process.pid}.tmp`)
  writeFileSync(temp, `${JSON.stringify(record)}\n`)
  renameSync(temp, path)
}

/** The record of a service: undefined when there is none, an Error when it cannot be read. */
export function readRecord(runDir: string, service: string): RunRecord | Error | undefined {
  return readRecordFile(recordPath(runDir, service))
}

function readRecordFile(path: string): RunRecord | Error | undefined {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    return e as Error
  }
  try {
    return runRecordSchema.parse(JSON.parse(text))
  } catch (e) {
    return new Error(`unreadable run record ${path}`, { cause: e })
  }
}

export function removeRecord(runDir: string, service: string): void {
  rmSync(recordPath(runDir, service), { force: true })
}

/** Every record file under `runDir` with what it holds (an Error when unreadable). */
export function listRecords(runDir: string): Array<{ path: string; record: RunRecord | Error }> {
  let names: string[]
  try {
    names = readdirSync(runDir)
  } catch {
    return []
  }
  const out: Array<{ path: string; record: RunRecord | Error }> = []
  for (const name of names) {
    if (name.startsWith('.') || !name.endsWith(SUFFIX)) continue
    const path = join(runDir, name)
    const record = readRecordFile(path)
    if (record) out.push({ path, record })
  }
  return out
}

/** What a record's process is now. */
export type RecordState =
  /** Still the recorded process, running the wanted argv in the wanted folder. */
  | { kind: 'same' }
  /** Still the recorded process (start time checked), but not what is wanted now. */
  | { kind: 'changed'; why: string }
  /** Not running any more, or its pid now belongs to another process: never signal it. */
  | { kind: 'gone'; why: string }

/**
 * Compares a record with what /proc says. `want` is the argv and folder configured now;
 * without it only the identity (pid and start time) is checked.
 */
export function inspectRecord(
  record: RunRecord,
  want?: { argv: readonly string[]; cwd: string },
): RecordState {
  const stat = readStat(record.pid)
  if (!isRunning(stat)) return { kind: 'gone', why: `pid ${record.pid} is not running` }
  if (stat.startTime !== record.startTime)
    return { kind: 'gone', why: `pid ${record.pid} now belongs to another process` }
  if (!want) return { kind: 'same' }
  const cmdline = readCmdline(record.pid)
  if (!cmdline) return { kind: 'gone', why: `pid ${record.pid} is not running` }
  if (!sameArgv(cmdline, want.argv))
    return { kind: 'changed', why: 'its command differs from the configured one' }
  if (record.cwd !== want.cwd)
    return { kind: 'changed', why: 'its working folder differs from the configured one' }
  return { kind: 'same' }
}

function sameArgv(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i])
}

/**
 * The run record of one supervised service, as its supervisor keeps it. Every method does
 * nothing without a run directory, and none throws: a record that cannot be written costs
 * the adoption after an agent restart, never the service.
 */
export interface ServiceRecord {
  readonly runDir: string | undefined
  /** The readable record, if any. */
  read(): RunRecord | undefined
  /** Records a process just spawned; returns why it could not (for the start result), or ''. */
  write(pid: number, argv: readonly string[], cwd: string, startedAt: number): string
  /** Whether the record names `pid`. */
  holds(pid: number): boolean
  /** Removes the record if it names `pid`, never one that a newer start wrote meanwhile. */
  removeIf(pid: number): void
  remove(): void
}

export function createServiceRecord(runDir: string | undefined, service: string): ServiceRecord {
  const record: ServiceRecord = {
    runDir,
    read() {
      if (!runDir) return undefined
      const found = readRecord(runDir, service)
      return found instanceof Error ? undefined : found
    },
    write(pid, argv, cwd, startedAt) {
      if (!runDir) return ''
      const stat = readStat(pid)
      if (!stat) return 'no run record: /proc is not readable, a later agent will not find this process'
      try {
        writeRecord(runDir, { service, pid, startTime: stat.startTime, argv: [...argv], cwd, startedAt })
        return ''
      } catch (e) {
        return `no run record: ${errorMessage(e)}`
      }
    },
    holds: (pid) => record.read()?.pid === pid,
    removeIf(pid) {
      if (record.holds(pid)) record.remove()
    },
    remove() {
      try {
        if (runDir) removeRecord(runDir, service)
      } catch {
        // a record left behind is checked (pid and start time) before anyone acts on it
      }
    },
  }
  return record
}
