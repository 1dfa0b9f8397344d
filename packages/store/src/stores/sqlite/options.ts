import { z } from 'zod'
import { commonOptionsSchema } from '../../options.ts'

/** Options of the SQLite store (validated by {@link createSqliteStore}). */
export const sqliteOptionsSchema = commonOptionsSchema.extend({
  /** The database file, e.g. `data/noa.db`; its directory is created when missing. `:memory:` for a private in-memory database. */
  path: z.string().min(1),
  /** How long a write waits for another process's lock, in ms. @default 5000 */
  busyTimeoutMs: z.number().int().min(0).max(600_000).optional(),
  /** Largest size the file may grow to, in bytes; writes beyond it fail as a full disk does. @default unlimited */
  maxSizeBytes: z.number().int().min(65_536).optional(),
})
