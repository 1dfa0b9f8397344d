import { z } from 'zod'

/** Options of the JSONL archive (validated by {@link createJsonlArchive}). */
export const jsonlArchiveOptionsSchema = z.strictObject({
  /** Directory of the daily files, e.g. `data/metrics`; created when missing. */
  dir: z.string().min(1),
  /** Days of files kept, by the file's UTC day. @default 30 */
  retentionDays: z.number().int().min(1).max(36_500).optional(),
  /** Gzip each closed day (`metrics-YYYY-MM-DD.jsonl.gz`) at maintenance. @default false */
  gzip: z.boolean().optional(),
})
