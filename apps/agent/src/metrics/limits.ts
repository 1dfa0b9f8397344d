import type { Logger } from '@noa/core'
import type { AgentConfig, AgentService, ScrapeLimits } from '../config/schema.ts'
import type { OwnMetrics } from '../own-metrics.ts'
import type { ScrapeDropped, ScrapeDropReason } from './scrape.ts'

/** Where and within what one service is scraped. */
export interface ScrapeTarget {
  url: string
  timeoutMs: number
  limits: ScrapeLimits
}

/** A service's scrape: its URL, its timeout and its limits, each its own over `metrics`' defaults. */
export function scrapeTargetOf(
  service: AgentService,
  metrics: AgentConfig['metrics'],
): ScrapeTarget | undefined {
  const entry = service.metrics
  if (entry === undefined) return undefined
  if (typeof entry === 'string')
    return { url: entry, timeoutMs: metrics.scrapeTimeout, limits: metrics.scrapeLimits }
  const own = Object.fromEntries(Object.entries(entry.limits ?? {}).filter(([, v]) => v !== undefined))
  return {
    url: entry.url,
    timeoutMs: entry.timeout ?? metrics.scrapeTimeout,
    limits: { ...metrics.scrapeLimits, ...own },
  }
}

/** Which limit each reason is, for the log line. */
const LIMITS_OF: Record<ScrapeDropReason, ReadonlyArray<keyof ScrapeLimits>> = {
  series_limit: ['series'],
  label_count: ['labelCount'],
  label_name_length: ['labelNameLength'],
  label_value_length: ['labelValueLength'],
  body_too_large: ['bytes'],
  business_keys: ['businessKeys', 'businessKeyLength'],
}

/** Counts what the limits left out of each scrape, and tells the log once per service and reason. */
export interface LimitReport {
  report(service: string, dropped: ScrapeDropped, limits: ScrapeLimits): void
}

/**
 * A report that counts every drop in `noa_scrape_dropped_series_total{service,reason}` and warns
 * the first time a service is over a limit, not every round: a service over its limits stays
 * over them, and one line per round would bury the log.
 */
export function createLimitReport(metrics: OwnMetrics, logger: Logger): LimitReport {
  const told = new Set<string>()
  return {
    report(service, dropped, limits) {
      for (const [reason, count] of Object.entries(dropped) as Array<[ScrapeDropReason, number]>) {
        metrics.droppedSeries.inc({ service, reason }, count)
        const key = `${service}\u0000${reason}`
        if (told.has(key)) continue
        told.add(key)
        logger.warn('scrape over its limits: series left out (told once per service and reason)', {
          service,
          reason,
          dropped: count,
          ...Object.fromEntries(LIMITS_OF[reason].map((limit) => [limit, limits[limit]])),
        })
      }
    },
  }
}
