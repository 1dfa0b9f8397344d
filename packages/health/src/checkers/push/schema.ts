import { z } from 'zod'

/**
 * Options of the `push` checker (a heartbeat): the job calls noa instead of noa calling it.
 * Healthy while a beat came within `period` + `grace`; a beat that says `down` makes it
 * unhealthy at once.
 */
export const pushCheckSchema = z.strictObject({
  type: z.literal('push'),
  /**
   * The secret in the job's URL (`POST /api/push/<token>`), from the environment, e.g.
   * `${NOA_PUSH_TOKEN_BACKUP}`: at least 16 characters of `[A-Za-z0-9._~-]`, one per check.
   */
  token: z.string().regex(/^[A-Za-z0-9._~-]{16,256}$/, 'expected 16-256 characters of A-Z a-z 0-9 . _ ~ -'),
  /** How often the job beats, ms (e.g. 3600000 for an hourly cron job). */
  period: z.number().int().positive(),
  /** How late a beat may be before the check fails, ms. @default 60000 */
  grace: z.number().int().min(0).default(60_000),
})

export type PushCheckOptions = z.output<typeof pushCheckSchema>
