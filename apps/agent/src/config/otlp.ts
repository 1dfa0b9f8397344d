import { z } from 'zod'
import { httpUrl, pushHeaders } from './push-target.ts'

/** Headers the OTLP export sets itself. */
const RESERVED_HEADERS = new Set(['content-type', 'content-length', 'content-encoding', 'user-agent'])

/**
 * `integrations.otlp`: the agent's metrics (its own, the derived series, the services' scraped
 * metrics) pushed as OTLP/HTTP to an OpenTelemetry Collector, Grafana Alloy, Mimir, Datadog,
 * Honeycomb... every `intervalMs`. Its url and header values are kept out of logs and error
 * messages; credentials go in `headers`, from `${ENV}`.
 */
export const otlpSchema = z.strictObject({
  /** Set false to keep the section but send nothing. @default true */
  enabled: z.boolean().default(true),
  /** The metrics endpoint, e.g. http://127.0.0.1:4318/v1/metrics (a Collector's OTLP/HTTP receiver). */
  url: httpUrl(
    'expected an http:// or https:// URL of an OTLP/HTTP metrics endpoint, such as http://127.0.0.1:4318/v1/metrics',
  ).refine((text) => {
    const u = URL.parse(text)
    return !u || (!u.username && !u.password)
  }, 'must not hold credentials: put them in headers (authorization), from the environment'),
  /** The OTLP/HTTP encoding, as OTEL_EXPORTER_OTLP_PROTOCOL names it. @default 'http/protobuf' */
  protocol: z.enum(['http/protobuf', 'http/json']).default('http/protobuf'),
  /** Time between exports, ms. @default 10000 */
  intervalMs: z.number().int().min(1_000).max(3_600_000).default(10_000),
  /** Time limit of one request, ms: a hung collector's request is aborted and retried. @default 10000 */
  timeout: z.number().int().min(100).max(300_000).default(10_000),
  /** Data points in one request at most; a larger export is split. @default 10000 */
  maxPointsPerRequest: z.number().int().min(1).max(1_000_000).default(10_000),
  /** Extra request headers, e.g. `{ "authorization": "Bearer ${OTLP_TOKEN}" }`. @default {} */
  headers: pushHeaders(RESERVED_HEADERS, 'the OTLP export'),
  /**
   * Resource attributes added to the agent's (`service.name: noa`, `service.version`,
   * `host.name`), e.g. `{ "deployment.environment": "prod" }`. @default {}
   */
  resource: z.record(z.string().min(1), z.union([z.string(), z.number(), z.boolean()])).default({}),
})

export type OtlpConfig = z.output<typeof otlpSchema>
