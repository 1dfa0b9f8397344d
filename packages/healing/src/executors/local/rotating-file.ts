import { closeSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'

/**
 * An append-only log file that rotates by size: `x.log` becomes `x.log.1`, `x.log.1`
 * becomes `x.log.2`, and the oldest beyond `maxFiles` is removed. Writes are synchronous
 * so a crash right after a line never loses it.
 */
export class RotatingFile {
  readonly #path: string
  readonly #maxBytes: number
  readonly #maxFiles: number
  #fd: number | undefined
  #size = 0

  constructor(path: string, maxBytes: number, maxFiles: number) {
    this.#path = path
    this.#maxBytes = maxBytes
    this.#maxFiles = maxFiles
  }

  write(chunk: Buffer): void {
    try {
      if (this.#fd === undefined) this.#open()
      if (this.#size > 0 && this.#size + chunk.length > this.#maxBytes) this.#rotate()
      this.#size += writeSync(this.#fd as number, chunk)
    } catch {
      // a full disk or a removed directory must not take the supervisor down
    }
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd)
    this.#fd = undefined
  }

  #open(): void {
    mkdirSync(dirname(this.#path), { recursive: true })
    this.#fd = openSync(this.#path, 'a')
    this.#size = fstatSync(this.#fd).size
  }

  #rotate(): void {
    this.close()
    rmSync(`${this.#path}.${this.#maxFiles}`, { force: true })
    for (let i = this.#maxFiles - 1; i >= 1; i--) {
      try {
        renameSync(`${this.#path}.${i}`, `${this.#path}.${i + 1}`)
      } catch {
        // that generation does not exist yet
      }
    }
    renameSync(this.#path, `${this.#path}.1`)
    this.#open()
  }
}
