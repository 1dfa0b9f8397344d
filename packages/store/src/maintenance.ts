import type { Clock, Logger } from '@noa/core'
import { errorMessage, noopLogger, systemClock } from '@noa/core'
import { RETENTION_KINDS, type ResolvedCommon } from './options.ts'
import { HOUR, MINUTE, mergeRollups, type RollupRow, rollupRaw } from './samples.ts'
import type { MaintenanceReport, RetentionKind, Store } from './store.ts'

/** What a backend provides so rollups and retention work the same everywhere. */
export interface MaintenanceDriver {
  watermark(resolution: '1m' | '1h'): Promise<number | undefined>
  earliestRaw(): Promise<number | undefined>
  /** Raw points with `from <= t < to` per series, oldest first, with the value just before `from`. */
  rawWindow(
    from: number,
    to: number,
  ): Promise<Array<{ seriesId: number; prev?: number; points: Array<[number, number]> }>>
  /** 1-minute rollup rows with `from <= bucket < to` per series, oldest first. */
  minuteWindow(from: number, to: number): Promise<Array<{ seriesId: number; rows: RollupRow[] }>>
  /** Upserts rows and moves the watermark, atomically. */
  writeRollups(
    resolution: '1m' | '1h',
    rows: Array<{ seriesId: number; row: RollupRow }>,
    watermark: number,
  ): Promise<void>
  /** Deletes at most `limit` rows of `kind` older than `cutoff`; returns how many. */
  deleteExpired(kind: RetentionKind, cutoff: number, limit: number): Promise<number>
}

/** Rollup windows are at most this long, so one step of the job stays small. */
const WINDOW_MS = 6 * HOUR

/**
 * One bounded maintenance run: rolls raw samples into 1-minute buckets and those into
 * 1-hour buckets up to `now - rollupDelayMs`, then deletes expired rows kind by kind in
 * chunks of `chunkSize`, at most `maxChunks` chunks each.
 */
export async function runMaintenance(
  driver: MaintenanceDriver,
  options: ResolvedCommon,
  now: number,
): Promise<MaintenanceReport> {
  const report: MaintenanceReport = {
    rolledUp: { '1m': 0, '1h': 0 },
    deleted: Object.fromEntries(RETENTION_KINDS.map((k) => [k, 0])) as Record<RetentionKind, number>,
    complete: true,
  }
  const target1m = Math.floor((now - options.rollupDelayMs) / MINUTE) * MINUTE
  const stored1m = await driver.watermark('1m')
  let wm1m = stored1m
  let firstMinute: number | undefined
  if (wm1m === undefined) {
    const first = await driver.earliestRaw()
    wm1m = first === undefined ? target1m : Math.floor(first / MINUTE) * MINUTE
    if (first !== undefined) firstMinute = wm1m
  }
  // Raw that retention is about to delete need not be rolled up window by window from its start.
  wm1m = Math.max(wm1m, Math.floor((now - options.retentionMs.samples) / MINUTE) * MINUTE)
  for (let i = 0; wm1m < target1m; i++) {
    if (i >= options.maxChunks) {
      report.complete = false
      break
    }
    const to = Math.min(target1m, wm1m + WINDOW_MS)
    const rows: Array<{ seriesId: number; row: RollupRow }> = []
    for (const w of await driver.rawWindow(wm1m, to))
      for (const row of rollupRaw(w.points, w.prev, MINUTE)) rows.push({ seriesId: w.seriesId, row })
    await driver.writeRollups('1m', rows, to)
    report.rolledUp['1m'] += rows.length
    wm1m = to
  }
  const target1h = Math.floor(wm1m / HOUR) * HOUR
  const stored1h = await driver.watermark('1h')
  // 1-hour rollups start where the data starts; for a store rolled up before 1-hour rollups
  // were pinned, at the edge of the 1-minute retention; with no data, there is nothing to do.
  let wm1h =
    stored1h ??
    (firstMinute !== undefined
      ? Math.floor(firstMinute / HOUR) * HOUR
      : stored1m !== undefined
        ? Math.floor((now - options.retentionMs.rollups1m) / HOUR) * HOUR
        : target1h)
  // Pin where 1-hour rollups start, so later runs do not walk empty windows from the retention edge.
  if (stored1h === undefined && firstMinute !== undefined && wm1h >= target1h)
    await driver.writeRollups('1h', [], wm1h)
  for (let i = 0; wm1h < target1h; i++) {
    if (i >= options.maxChunks) {
      report.complete = false
      break
    }
    const to = Math.min(target1h, wm1h + 24 * HOUR)
    const rows: Array<{ seriesId: number; row: RollupRow }> = []
    for (const w of await driver.minuteWindow(wm1h, to))
      for (const row of mergeRollups(w.rows, HOUR)) rows.push({ seriesId: w.seriesId, row })
    await driver.writeRollups('1h', rows, to)
    report.rolledUp['1h'] += rows.length
    wm1h = to
  }
  for (const kind of RETENTION_KINDS) {
    const cutoff = now - options.retentionMs[kind]
    for (let i = 0; ; i++) {
      if (i >= options.maxChunks) {
        report.complete = false
        break
      }
      const n = await driver.deleteExpired(kind, cutoff, options.chunkSize)
      report.deleted[kind] += n
      if (n < options.chunkSize) break
    }
  }
  return report
}

/** Options of {@link startMaintenance}. */
export interface MaintenanceSchedule {
  /** Time between runs, in ms. @default 60000 */
  intervalMs?: number
  /** @default systemClock */
  clock?: Clock
  /** @default noopLogger */
  logger?: Logger
}

/**
 * Runs `store.maintain()` periodically until the returned function is called. A failed
 * run is logged and the schedule goes on; runs never overlap.
 *
 * @example
 * ```ts
 * const stop = startMaintenance(store, { intervalMs: 60_000 })
 * // ... on shutdown
 * stop()
 * ```
 */
export function startMaintenance(
  store: Pick<Store, 'maintain'>,
  schedule: MaintenanceSchedule = {},
): () => void {
  const clock = schedule.clock ?? systemClock
  const logger = schedule.logger ?? noopLogger
  const intervalMs = schedule.intervalMs ?? 60_000
  let stopped = false
  let timer = clock.setTimeout(tick, intervalMs)
  function tick() {
    store
      .maintain(clock.now())
      .then((report) => {
        if (!report.complete) logger.info('store maintenance stopped at its chunk limit; it goes on next run')
      })
      .catch((error: unknown) => logger.warn('store maintenance failed', { error: errorMessage(error) }))
      .finally(() => {
        if (!stopped) timer = clock.setTimeout(tick, intervalMs)
      })
  }
  return () => {
    stopped = true
    timer.cancel()
  }
}
