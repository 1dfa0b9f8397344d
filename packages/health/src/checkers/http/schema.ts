import { z } from 'zod'

const STATUS_PATTERN = /^(?:[1-5]xx|\d{3}(?:-\d{3})?)$/

/** One accepted status: a code (`204`), a class (`2xx`) or an inclusive range (`200-399`). */
export const statusSpecSchema = z.union([
  z.number().int().min(100).max(599),
  z
    .string()
    .regex(STATUS_PATTERN, 'expected a status code, a class like "2xx" or a range like "200-399"')
    .refine((s) => {
      const [lo, hi] = s.split('-').map(Number)
      return hi === undefined || (lo! >= 100 && hi <= 599 && lo! <= hi)
    }, 'expected a range low-high between 100 and 599 with low <= high'),
])

/** A condition on a JSON answer: the value at `path` equals `equals` or its text matches `matches`. */
export const jsonConditionSchema = z
  .strictObject({
    /** JSONPath, e.g. `$.status` or `$.checks.db.status`. */
    path: z.string().min(1),
    equals: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
    /** A regular expression the value (as text) must match. */
    matches: z
      .string()
      .refine((s) => {
        try {
          new RegExp(s)
          return true
        } catch {
          return false
        }
      }, 'expected a valid regular expression')
      .optional(),
  })
  .refine((c) => c.equals !== undefined || c.matches !== undefined, 'expected `equals` or `matches`')

const httpFields = {
  /** The URL to check, http: or https:. */
  url: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }),
  /** @default 'GET' */
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']).default('GET'),
  /** Request headers. */
  headers: z.record(z.string(), z.string()).default({}),
  /** Request body (sent as is). */
  body: z.string().optional(),
  /** Accepted status codes. @default ['200-399'] (as Kubernetes httpGet probes) */
  expectedStatus: z.array(statusSpecSchema).min(1).default(['200-399']),
  /** The body must contain this text. */
  bodyContains: z.string().min(1).optional(),
  /** The body must not contain this text. */
  bodyNotContains: z.string().min(1).optional(),
  /** Conditions on the JSON body; every one must hold. */
  json: z.array(jsonConditionSchema).default([]),
  /** The whole answer must arrive within this many ms, else `unhealthy`. */
  maxResponseTimeMs: z.number().positive().optional(),
  /**
   * https only: the server certificate must stay valid for at least this many days. With it, a
   * certificate refused at the handshake (expired, untrusted, for another name) is `unhealthy`
   * with the reason rather than an `error`.
   */
  minCertDays: z.number().nonnegative().optional(),
  /** Body bytes read at most; a longer body is `unhealthy` and its socket is closed. @default 1048576 */
  maxBodyBytes: z
    .number()
    .int()
    .positive()
    .default(1024 * 1024),
  /** TLS settings for https. */
  tls: z
    .strictObject({
      /** @default true */
      rejectUnauthorized: z.boolean().default(true),
      /** Extra trusted CA certificates, PEM. */
      ca: z.string().optional(),
    })
    .default({ rejectUnauthorized: true }),
}

const httpsOnly = (c: { url: string; minCertDays?: number | undefined }) =>
  c.minCertDays === undefined || c.url.startsWith('https:')

/** Options of the `http` checker. A check needs only `url`. */
export const httpCheckSchema = z
  .strictObject({ type: z.literal('http'), ...httpFields })
  .refine(httpsOnly, { message: 'minCertDays needs an https:// URL', path: ['minCertDays'] })

/** Options of the `https` checker: the `http` checker on an https:// URL. */
export const httpsCheckSchema = z
  .strictObject({
    type: z.literal('https'),
    ...httpFields,
    url: z.url({ protocol: /^https$/, error: 'expected an https:// URL' }),
  })
  .refine(httpsOnly, { message: 'minCertDays needs an https:// URL', path: ['minCertDays'] })

export type HttpCheckOptions = (z.output<typeof httpCheckSchema> | z.output<typeof httpsCheckSchema>) & {
  /**
   * Hand the body (up to `maxBodyBytes`) to the service's conditions: set when one of them
   * reads `[BODY]`, not written in a configuration.
   */
  readBody?: boolean
}
export type HttpCheckInput = z.input<typeof httpCheckSchema>
