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
export class RotatingFile {
  readonly path: string
  readonly #maxBytes: number
  readonly #maxFiles: number

  constructor(path: string, maxBytes: number, maxFiles: number) {
    this.path = path
    this.#maxBytes = maxBytes
    this.#maxFiles = maxFiles
  }

  /** Opens the file in append mode for a child's stdio; the caller closes its descriptor once the child has it. */
  openForChild(): number {
    mkdirSync(dirname(this.path), { recursive: true })
    return openSync(this.path, 'a')
  }

  /** Rotates when the file has reached `maxBytes`; returns whether it did. Never throws. */
  rotateIfFull(): boolean {
    try {
      if (statSync(this.path).size < this.#maxBytes) return false
      this.#rotate()
      return true
    } catch {
      // no file yet, a full disk or a removed folder must not take the supervisor down
      return false
    }
  }

  #rotate(): void {
    const first = `${this.path}.1`
    rmSync(`${this.path}.${this.#maxFiles}`, { force: true })
    for (let i = this.#maxFiles - 1; i >= 1; i--) {
      try {
        renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`)
      } catch {
        // that generation does not exist yet
      }
    }
    copyFileSync(this.path, first)
    // the process keeps writing during the copy: move what came meanwhile too, so that only
    // a write landing between this read and the truncation can be lost
    catchUp(this.path, first)
    truncateSync(this.path, 0)
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
export class ServiceLogs {
  readonly out: RotatingFile
  readonly err: RotatingFile
  readonly #clock: Clock
  readonly #checkIntervalMs: number
  #timer: Timer | undefined

  constructor(
    base: string,
    options: { maxBytes: number; maxFiles: number; checkIntervalMs: number },
    clock: Clock,
  ) {
    this.out = new RotatingFile(`${base}.out.log`, options.maxBytes, options.maxFiles)
    this.err = new RotatingFile(`${base}.err.log`, options.maxBytes, options.maxFiles)
    this.#clock = clock
    this.#checkIntervalMs = options.checkIntervalMs
  }

  rotateIfFull(): void {
    this.out.rotateIfFull()
    this.err.rotateIfFull()
  }

  /** Checks the sizes every `checkIntervalMs` until {@link unwatch}; the process writes between checks. */
  watch(): void {
    this.unwatch()
    this.#timer = onTick(this.#clock, this.#checkIntervalMs, () => this.rotateIfFull())
  }

  unwatch(): void {
    this.#timer?.cancel()
    this.#timer = undefined
  }
}
