import { appendFileSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { createLogger, type Logger, type LogLevel, type LogRecord } from '@noa/core'

/** Options of {@link createLogFiles}. */
export interface LogFilesOptions {
  /** Folder of `<component>.log`. */
  dir: string
  level: LogLevel
  /** Days of rotated files kept. */
  retentionDays: number
  /** Also called with each record (the foreground console). */
  echo?: (record: LogRecord) => void
  now?: () => number
}

/** A logger per component, each writing JSON lines to `<dir>/<component>.log`. */
export interface LogFiles {
  logger(component: string): Logger
  /** Path of a component's current file. */
  path(component: string): string
}

const day = (at: number) => new Date(at).toISOString().slice(0, 10)

/**
 * The seed's component logs (`logs/monitoring/health-check.log`, ...), rotated daily: at
 * the first line of a new UTC day the file is renamed `<component>-YYYY-MM-DD.log` and files
 * older than the retention are deleted. Lines are appended synchronously so nothing is lost
 * when the process is killed; log volume is a few lines per check round.
 */
export function createLogFiles(options: LogFilesOptions): LogFiles {
  const now = options.now ?? Date.now
  mkdirSync(options.dir, { recursive: true })
  const days = new Map<string, string>()
  const path = (component: string) => join(options.dir, `${component}.log`)
  const rotate = (component: string, today: string) => {
    const file = path(component)
    try {
      const written = day(statSync(file).mtimeMs)
      if (written !== today) renameSync(file, join(options.dir, `${component}-${written}.log`))
    } catch {
      // no file yet
    }
    const oldest = day(now() - options.retentionDays * 86_400_000)
    for (const f of readdirSync(options.dir)) {
      const m = /^(.+)-(\d{4}-\d{2}-\d{2})\.log$/.exec(f)
      if (m && m[1] === component && m[2]! < oldest) rmSync(join(options.dir, f), { force: true })
    }
  }
  const write = (component: string) => (record: LogRecord) => {
    const today = record.time ? record.time.slice(0, 10) : day(now())
    if (days.get(component) !== today) {
      rotate(component, today)
      days.set(component, today)
    }
    try {
      appendFileSync(path(component), `${JSON.stringify(record)}\n`)
    } catch {
      // a full disk must not stop the agent; the echo still shows the line
    }
    options.echo?.(record)
  }
  return {
    logger: (component) =>
      createLogger({ level: options.level, base: { component }, write: write(component), now }),
    path,
  }
}
