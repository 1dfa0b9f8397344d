import {
  closeSync,
  copyFileSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
  writeSync,
} from 'node:fs'
import { dirname } from 'node:path'
import type { Clock, Timer } from '@noa/core'
import { onTick } from './shared-ticker.ts'

/**
 * A log file that a supervised process writes itself, rotated by size with
 * copy-then-truncate: `x.log` is copied to `x.log.1` (older generations shift to `.2`,
 * …, the oldest beyond `maxFiles` is removed), then truncated in place.
 *
 * The process gets the file as its stdout or stderr, opened in append mode, instead of a
 * pipe to the agent: it keeps logging to the same file when the agent dies or restarts
 * (a pipe would break and fail its next write with EPIPE), and after a truncation its
 * next write lands at the new end of the file instead of leaving a hole of zeros.
 */
export interface RotatingFile {
  readonly path: string
  /** Opens the file in append mode for a child's stdio; the caller closes its descriptor once the child has it. */
  openForChild(): number
  /** Rotates when the file has reached `maxBytes`; returns whether it did. Never throws. */
  rotateIfFull(): boolean
}

export function createRotatingFile(path: string, maxBytes: number, maxFiles: number): RotatingFile {
  function rotate(): void {
    const first = `${path}.1`
    rmSync(`${path}.${maxFiles}`, { force: true })
    for (let i = maxFiles - 1; i >= 1; i--) {
      try {
        renameSync(`${path}.${i}`, `${path}.${i + 1}`)
      } catch {
        // that generation does not exist yet
      }
    }
    copyFileSync(path, first)
    // the process keeps writing during the copy: move what came meanwhile too, so that only
    // a write landing between this read and the truncation can be lost
    catchUp(path, first)
    truncateSync(path, 0)
  }
  return {
    path,
    openForChild() {
      mkdirSync(dirname(path), { recursive: true })
      return openSync(path, 'a')
    },
    rotateIfFull() {
      try {
        if (statSync(path).size < maxBytes) return false
        rotate()
        return true
      } catch {
        // no file yet, a full disk or a removed folder must not take the supervisor down
        return false
      }
    },
  }
}

function catchUp(from: string, to: string): void {
  const copied = statSync(to).size
  const src = openSync(from, 'r')
  const dst = openSync(to, 'a')
  try {
    const buf = Buffer.allocUnsafe(64 * 1024)
    for (let pos = copied; ; ) {
      const n = readSync(src, buf, 0, buf.length, pos)
      if (n <= 0) break
      writeSync(dst, buf, 0, n)
      pos += n
    }
  } finally {
    closeSync(src)
    closeSync(dst)
  }
}

/** The two log files of a service and the timer that checks their size while its process runs. */
export interface ServiceLogs {
  readonly out: RotatingFile
  readonly err: RotatingFile
  rotateIfFull(): void
  /** Checks the sizes every `checkIntervalMs` until {@link ServiceLogs.unwatch}; the process writes between checks. */
  watch(): void
  unwatch(): void
}

export function createServiceLogs(
  base: string,
  options: { maxBytes: number; maxFiles: number; checkIntervalMs: number },
  clock: Clock,
): ServiceLogs {
  const out = createRotatingFile(`${base}.out.log`, options.maxBytes, options.maxFiles)
  const err = createRotatingFile(`${base}.err.log`, options.maxBytes, options.maxFiles)
  let timer: Timer | undefined
  const logs: ServiceLogs = {
    out,
    err,
    rotateIfFull() {
      out.rotateIfFull()
      err.rotateIfFull()
    },
    watch() {
      logs.unwatch()
      timer = onTick(clock, options.checkIntervalMs, logs.rotateIfFull)
    },
    unwatch() {
      timer?.cancel()
      timer = undefined
    },
  }
  return logs
}
