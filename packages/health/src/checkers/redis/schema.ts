import { z } from 'zod'

/** Options of the `redis` checker: connect and PING. */
export const redisCheckSchema = z.strictObject({
  type: z.literal('redis'),
  /** Connection URL, e.g. `redis://:${REDIS_PASSWORD}@cache:6379/0`. Its password never appears in results. */
  url: z.string().regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL'),
})

export type RedisCheckOptions = z.output<typeof redisCheckSchema>
