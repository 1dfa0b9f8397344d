import type { Clock, Logger } from '@noa/core'
import { parseOptions } from '@noa/core'
import { z } from 'zod'
import type { RetentionKind } from './store.ts'

const DAY = 86_400_000

/** Every kind with its own retention, in the order maintenance deletes them. */
export const RETENTION_KINDS = [
  'samples',
  'rollups1m',
  'rollups1h',
  'snapshots',
  'checks',
  'alerts',
  'deliveries',
  'healings',
  'approvals',
  'silences',
  'drills',
  'maintenanceWindows',
  'incidents',
] as const satisfies readonly RetentionKind[]

/**
 * Default retention in days per kind: 30, except 1-hour rollups (400) so year-long charts
 * stay possible, and silences (7 days after they end: long enough to see what was silenced
 * last week, short enough that the list the agent loads at start stays small), maintenance
 * windows (90 days after they end: their audit of who worked on what) and incidents (90 days
 * after they resolved: a quarter of history for a status page and a review; open ones are never
 * deleted).
 */
export const DEFAULT_RETENTION_DAYS: Readonly<Record<RetentionKind, number>> = Object.freeze({
  samples: 30,
  rollups1m: 30,
  rollups1h: 400,
  snapshots: 30,
  checks: 30,
  alerts: 30,
  deliveries: 30,
  healings: 30,
  approvals: 30,
  silences: 7,
  drills: 30,
  maintenanceWindows: 90,
  incidents: 90,
})

const days = z.number().positive().max(36_500)

/** Retention in days per kind; any kind left out keeps its default. */
export const retentionSchema = z
  .object(
    Object.fromEntries(RETENTION_KINDS.map((k) => [k, days.optional()])) as Record<
      RetentionKind,
      z.ZodOptional<typeof days>
    >,
  )
  .strict()

/** Options every backend shares. */
export const commonOptionsSchema = z.strictObject({
  /** Days to keep each kind (silences: days after they end). @default 30 for every kind, 400 for 1-hour rollups, 7 for silences, 90 for incidents (after they resolve) */
  retention: retentionSchema.optional(),
  /** Rows deleted per statement by maintenance. @default 5000 */
  chunkSize: z.number().int().min(1).max(1_000_000).optional(),
  /** Chunks per kind and rollup windows per resolution in one maintenance run. @default 20 */
  maxChunks: z.number().int().min(1).max(100_000).optional(),
  /** Samples arriving this late (ms) are still rolled up. @default 60000 */
  rollupDelayMs: z.number().int().min(0).max(DAY).optional(),
})

/** Options of every store that are not data: time and logs. */
export interface StoreRuntime {
  /** @default systemClock */
  clock?: Clock
  /** @default noopLogger */
  logger?: Logger
}

/** Shared options after defaults. */
export interface ResolvedCommon {
  retentionMs: Record<RetentionKind, number>
  chunkSize: number
  maxChunks: number
  rollupDelayMs: number
}

/** Validates `options` (none: `{}`) with `schema` and throws one ConfigError listing every problem. */
export function parseStoreOptions<S extends z.ZodType>(
  schema: S,
  options: unknown,
  prefix: string,
): z.output<S> {
  return parseOptions(schema, options ?? {}, prefix)
}

export function resolveCommon(options: z.output<typeof commonOptionsSchema>): ResolvedCommon {
  const retentionMs = {} as Record<RetentionKind, number>
  for (const kind of RETENTION_KINDS)
    retentionMs[kind] = (options.retention?.[kind] ?? DEFAULT_RETENTION_DAYS[kind]) * DAY
  return {
    retentionMs,
    chunkSize: options.chunkSize ?? 5000,
    maxChunks: options.maxChunks ?? 20,
    rollupDelayMs: options.rollupDelayMs ?? 60_000,
  }
}
