import { z } from 'zod'
import { httpUrl, pushHeaders } from './push-target.ts'

/** Headers remote write sets itself (Prometheus refuses them in its `headers` too). */
const RESERVED_HEADERS = new Set([
  'content-encoding',
  'content-type',
  'content-length',
  'user-agent',
  'x-prometheus-remote-write-version',
])

/**
 * `integrations.prometheus.remoteWrite`: every metrics round's samples (the agent's own metrics,
 * the derived series, the services' scraped metrics) pushed with the Prometheus remote-write
 * protocol 1.0 to Prometheus, Thanos, Mimir, VictoriaMetrics... Its url, header values and
 * password are kept out of logs and error messages; credentials must come from `${ENV}`.
 */
export const remoteWriteSchema = z
  .strictObject({
    /** Set false to keep the section but send nothing. @default true */
    enabled: z.boolean().default(true),
    /** The receiver, e.g. http://127.0.0.1:9090/api/v1/write (Prometheus with --web.enable-remote-write-receiver). */
    url: httpUrl(
      'expected an http:// or https:// URL of a remote-write receiver, such as http://127.0.0.1:9090/api/v1/write',
    ),
    /** Time between sends of what is queued, ms. @default 5000 */
    intervalMs: z.number().int().min(100).default(5_000),
    /** Samples in one request at most. @default 2000 */
    maxSamplesPerSend: z.number().int().min(1).max(100_000).default(2_000),
    /** Samples waiting at most; past it the oldest are dropped and counted. @default 100000 */
    maxQueuedSamples: z.number().int().min(1).max(10_000_000).default(100_000),
    /** Time limit of one request, ms: a hung receiver's request is aborted and retried. @default 10000 */
    timeout: z.number().int().min(100).max(300_000).default(10_000),
    /** Extra request headers, e.g. `{ "authorization": "Bearer ${MIMIR_TOKEN}" }`, `X-Scope-OrgID`. @default {} */
    headers: pushHeaders(RESERVED_HEADERS, 'remote write'),
    /**
     * Labels added to every series that lacks them, as Prometheus' `external_labels`: tell the
     * agents writing to one receiver apart, e.g. `{ "agent": "eu-1" }`. @default {}
     */
    externalLabels: z
      .record(z.string(), z.string().min(1))
      .superRefine((labels, ctx) => {
        for (const name of Object.keys(labels)) {
          const message = !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name)
            ? 'expected a label name ([a-zA-Z_][a-zA-Z0-9_]*)'
            : name.startsWith('__')
              ? 'names starting with __ are reserved'
              : undefined
          if (message) ctx.addIssue({ code: 'custom', path: [name], message, input: name })
        }
      })
      .default({}),
    /** HTTP basic auth; the password from `${ENV}`. */
    basicAuth: z.strictObject({ username: z.string().min(1), password: z.string() }).optional(),
  })
  .superRefine((rw, ctx) => {
    if (rw.maxQueuedSamples < rw.maxSamplesPerSend)
      ctx.addIssue({
        code: 'custom',
        path: ['maxQueuedSamples'],
        message: `must be at least maxSamplesPerSend (${rw.maxSamplesPerSend}): a full batch must fit in the queue`,
        input: rw.maxQueuedSamples,
      })
  })

export type RemoteWriteConfig = z.output<typeof remoteWriteSchema>
