import { createReadStream, createWriteStream } from 'node:fs'
import { appendFile, mkdir, readdir, rename, rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { pipeline } from 'node:stream/promises'
import { createGunzip, createGzip } from 'node:zlib'
import type { MetricSnapshot } from '@noa/core'
import { errorMessage, noopLogger, systemClock } from '@noa/core'
import type { z } from 'zod'
import { StoreError } from '../errors.ts'
import { parseStoreOptions, type StoreRuntime } from '../options.ts'
import { snapshotTime } from '../records.ts'
import { jsonlArchiveOptionsSchema } from './options.ts'

/** Options of {@link createJsonlArchive}. */
export type JsonlArchiveOptions = z.input<typeof jsonlArchiveOptionsSchema> & StoreRuntime

/** What one archive maintenance run did, by file name. */
export interface ArchiveReport {
  compressed: string[]
  deleted: string[]
}

/** The seed's daily metrics files: one snapshot per line, one file per UTC day. */
export interface JsonlArchive {
  /** The directory of the files, absolute. */
  readonly dir: string
  /** Appends one line to the file of the snapshot's UTC day. Appends are written in call order. */
  append(snapshot: MetricSnapshot): Promise<void>
  /** Days with a file (`YYYY-MM-DD`), oldest first. */
  days(): Promise<string[]>
  /** Snapshots of one UTC day, in file order, from `.jsonl` or `.jsonl.gz`; a torn last line is skipped. */
  read(day: string): Promise<MetricSnapshot[]>
  /** Gzips closed days (when enabled) and deletes files older than the retention. */
  maintain(now?: number): Promise<ArchiveReport>
}

const FILE = /^metrics-(\d{4}-\d{2}-\d{2})\.jsonl(\.gz)?$/
const DAY_MS = 86_400_000

/** `metrics-YYYY-MM-DD.jsonl` for a UTC day. */
export function archiveFileName(day: string): string {
  return `metrics-${day}.jsonl`
}

/** The UTC day (`YYYY-MM-DD`) of an epoch ms time. */
export function utcDay(at: number): string {
  return new Date(at).toISOString().slice(0, 10)
}

/**
 * The seed's JSONL archive: `<dir>/metrics-YYYY-MM-DD.jsonl`, one MetricSnapshot per
 * line, readable with `jq '.'`; closed days optionally gzipped, files older than the
 * retention deleted by {@link JsonlArchive.maintain}.
 *
 * @example
 * ```ts
 * import { createJsonlArchive } from '@noa/store'
 * const archive = createJsonlArchive({ dir: 'data/metrics', gzip: true })
 * await archive.append(snapshot) // data/metrics/metrics-2025-10-22.jsonl
 * await archive.maintain()
 * ```
 */
export function createJsonlArchive(options: JsonlArchiveOptions): JsonlArchive {
  const { clock = systemClock, logger = noopLogger, ...rest } = options ?? ({} as JsonlArchiveOptions)
  const parsed = parseStoreOptions(jsonlArchiveOptionsSchema, rest, 'archive')
  const dir = resolve(parsed.dir)
  const retentionDays = parsed.retentionDays ?? 30
  let queue: Promise<unknown> = Promise.resolve()
  let dirReady: Promise<unknown> | undefined
  const fail = (what: string, path: string, error: unknown) =>
    new StoreError(`${what} failed for the metrics archive at ${path}: ${errorMessage(error)}`, {
      code: 'ERR_STORE_PATH',
      path,
      cause: error,
      retryable: true,
    })

  async function files(): Promise<Array<{ name: string; day: string; gz: boolean }>> {
    let names: string[]
    try {
      names = await readdir(dir)
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT') return []
      throw fail('listing', dir, error)
    }
    return names
      .map((name) => ({ name, m: FILE.exec(name) }))
      .filter((f) => f.m)
      .map((f) => ({ name: f.name, day: f.m?.[1] as string, gz: f.m?.[2] !== undefined }))
      .sort((a, b) => a.name.localeCompare(b.name))
  }

  return {
    dir,
    async append(snapshot) {
      const at = snapshotTime(snapshot?.timestamp)
      const path = join(dir, archiveFileName(utcDay(at)))
      const line = `${JSON.stringify(snapshot)}\n`
      const write = queue.then(async () => {
        dirReady ??= mkdir(dir, { recursive: true }).catch((error: unknown) => {
          dirReady = undefined
          throw error
        })
        try {
          await dirReady
          await appendFile(path, line)
        } catch (error) {
          throw fail('appending', path, error)
        }
      })
      queue = write.catch(() => {})
      return write
    },
    async days() {
      return [...new Set((await files()).map((f) => f.day))]
    },
    async read(day) {
      const plain = join(dir, archiveFileName(day))
      const found = (await files()).find((f) => f.day === day)
      if (!found) return []
      const path = found.gz ? `${plain}.gz` : plain
      const out: MetricSnapshot[] = []
      let bad = 0
      try {
        const source = createReadStream(path)
        const lines = createInterface({
          input: found.gz ? source.pipe(createGunzip()) : source,
          crlfDelay: Number.POSITIVE_INFINITY,
        })
        for await (const line of lines) {
          if (line.trim() === '') continue
          try {
            out.push(JSON.parse(line) as MetricSnapshot)
          } catch {
            bad++
          }
        }
      } catch (error) {
        throw fail('reading', path, error)
      }
      if (bad > 0) logger.warn('metrics archive: skipped unreadable lines', { path, lines: bad })
      return out
    },
    async maintain(now = clock.now()) {
      const report: ArchiveReport = { compressed: [], deleted: [] }
      await queue
      const today = utcDay(now)
      const oldest = utcDay(now - retentionDays * DAY_MS)
      for (const f of await files()) {
        const path = join(dir, f.name)
        try {
          if (f.day < oldest) {
            await rm(path, { force: true })
            report.deleted.push(f.name)
          } else if (parsed.gzip && !f.gz && f.day < today) {
            // Write beside, then rename: a crash leaves either the plain file or the whole .gz.
            const tmp = `${path}.gz.tmp`
            await pipeline(createReadStream(path), createGzip(), createWriteStream(tmp))
            await rename(tmp, `${path}.gz`)
            await rm(path)
            report.compressed.push(f.name)
          }
        } catch (error) {
          throw fail('maintenance', path, error)
        }
      }
      return report
    },
  }
}
