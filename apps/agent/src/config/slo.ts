import { z } from 'zod'

/** Longest SLO window: the 1-hour rollups are kept for months, but a longer window answers nothing a person acts on. */
export const SLO_MAX_WINDOW_DAYS = 90

// An objective of 100 % leaves no error budget (every burn rate would divide by zero) and one
// of 0 % allows everything: both are refused, not read as a typo of something else.
const objective = z
  .number()
  .gt(0, 'expected an objective in percent above 0 and below 100, such as 99.9')
  .lt(
    100,
    'expected an objective in percent above 0 and below 100, such as 99.9 (100 leaves no error budget)',
  )

const windowDays = z
  .number()
  .int()
  .min(1, 'expected a whole number of days from 1')
  .max(SLO_MAX_WINDOW_DAYS, `expected a whole number of days up to ${SLO_MAX_WINDOW_DAYS}`)
  .default(30)

/** A Prometheus metric name; the histogram's base name, without `_bucket`, `_count` or `_sum`. */
const histogramName = z
  .string()
  .regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'expected a Prometheus metric name')
  .refine(
    (name) => !/_(bucket|count|sum)$/.test(name),
    'expected the histogram name without _bucket, _count or _sum, e.g. http_request_duration_seconds',
  )

/** The availability objective of a service, from its health checks (`noa_service_up`). */
export const availabilitySloSchema = z.strictObject({
  /** Percent of the time the service is healthy, above 0 and below 100 (e.g. 99.9). */
  objective,
  /** The window the objective is kept over, days. @default 30 */
  windowDays,
})

/** The latency objective of a service, from a histogram on its scraped /metrics. */
export const latencySloSchema = z.strictObject({
  /** Percent of requests faster than `thresholdMs`, above 0 and below 100 (e.g. 99). */
  objective,
  /**
   * The latency a request must beat, ms. It must be an upper bound (`le`) of one of the
   * histogram's buckets: a fraction of requests under a bound between two buckets is not known.
   * The bound is read in seconds for a metric named `*_seconds` (300 ms is `le="0.3"`), in ms for
   * `*_milliseconds` and `*_ms`.
   */
  thresholdMs: z.number().positive('expected a latency above 0 ms'),
  /** The histogram scraped from the service, e.g. `http_request_duration_seconds`. */
  metric: histogramName,
  /** @default 30 */
  windowDays,
})

/** A service's objectives (`services[].slo`). */
export const serviceSloSchema = z
  .strictObject({
    availability: availabilitySloSchema.optional(),
    latency: latencySloSchema.optional(),
    /**
     * While an error budget of the service is spent, the incident router does not run risky
     * strategies (rollback, scale-up) for it; restarts still run and a person is told.
     * @default the top-level `slo.holdRiskyHealing`
     */
    holdRiskyHealing: z.boolean().optional(),
  })
  .refine((slo) => slo.availability !== undefined || slo.latency !== undefined, {
    message: 'expected an availability or a latency objective (or both)',
  })

/** The top-level `slo` section: defaults for every service's objectives. */
export const sloDefaultsSchema = z
  .strictObject({
    /** Hold risky healing (rollback, scale-up) of a service while its error budget is spent. @default false */
    holdRiskyHealing: z.boolean().default(false),
    /**
     * How often the error budgets and the short burn rates are computed, ms; the longer
     * windows are read less often (a 30-day budget moves slowly). @default 60000
     */
    interval: z.number().int().min(1000).max(3_600_000).default(60_000),
  })
  .prefault({})

export type ServiceSlo = z.output<typeof serviceSloSchema>
export type AvailabilitySlo = z.output<typeof availabilitySloSchema>
export type LatencySlo = z.output<typeof latencySloSchema>
export type SloDefaults = z.output<typeof sloDefaultsSchema>

/**
 * What a service's schema alone cannot see: a latency objective needs the service's /metrics
 * to be scraped (`metrics`), or it would never have data.
 */
export function sloIssues(
  service: { slo?: ServiceSlo | undefined; metrics?: unknown },
  prefix: string,
): Array<{ path: string; message: string }> {
  if (service.slo?.latency && service.metrics === undefined)
    return [
      {
        path: `${prefix}.slo.latency`,
        message: `needs ${prefix}.metrics (the /metrics URL the histogram ${service.slo.latency.metric} is scraped from)`,
      },
    ]
  return []
}
