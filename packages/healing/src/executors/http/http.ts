import { z } from 'zod'
import type { Capability, Executor } from '../../executor.ts'
import { httpRequest } from '../../http-request.ts'

/** One admin endpoint call. */
export const httpCallSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }),
  /** @default 'POST' */
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
  /** Request headers; credentials (`authorization`, `x-api-key`...) belong in the environment. */
  headers: z.record(z.string(), z.string()).optional(),
  body: z.string().optional(),
  /** @default 10000 */
  timeoutMs: z.number().int().positive().default(10_000),
  /**
   * `never`: a 3xx answer is a failure naming where it points. `same-origin`: redirects within
   * the URL's origin are followed (up to `maxRedirects`); one to another origin still fails,
   * so headers and the body never leave the origin. @default 'never'
   */
  followRedirects: z.enum(['never', 'same-origin']).default('never'),
  /** @default 3 */
  maxRedirects: z.number().int().min(0).max(10).default(3),
})

/** Options of the http executor: one admin endpoint per action. */
export const httpExecutorSchema = z.strictObject({
  type: z.literal('http'),
  start: httpCallSchema.optional(),
  stop: httpCallSchema.optional(),
  restart: httpCallSchema.optional(),
  status: httpCallSchema.optional(),
})

/** Options of the http executor. */
export type HttpExecutorOptions = z.input<typeof httpExecutorSchema>

/**
 * An executor that calls a service's admin endpoints (2xx = done).
 *
 * @example
 * ```ts
 * createHttpExecutor(httpExecutorSchema.parse({ type: 'http', restart: { url: 'http://127.0.0.1:8001/admin/restart' } }))
 * ```
 */
export function createHttpExecutor(options: z.output<typeof httpExecutorSchema>): Executor {
  const capabilities = (['start', 'stop', 'restart', 'status'] as const).filter(
    (c) => options[c] !== undefined,
  ) as Capability[]
  const executor: Executor = { type: 'http', capabilities }
  for (const action of ['start', 'stop', 'restart'] as const) {
    const call = options[action]
    if (call) executor[action] = (o) => httpRequest(call, o?.signal)
  }
  const status = options.status
  if (status)
    executor.status = async (o) => {
      const r = await httpRequest(status, o?.signal)
      return { ...r, ok: true, running: r.ok }
    }
  return executor
}
