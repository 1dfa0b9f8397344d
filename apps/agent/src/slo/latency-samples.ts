import type { SampleInput } from '@noa/store'
import type { LatencySlo } from '../config/slo.ts'
import type { ScrapedSample } from '../metrics/figures.ts'

/** Stored per service with a latency SLO: the requests under its threshold, summed over its histogram's series. */
export const SLO_LATENCY_GOOD = 'noa_slo_latency_good_total'
/** Stored per service with a latency SLO: all requests of its histogram (`_count`), summed over its series. */
export const SLO_LATENCY_TOTAL = 'noa_slo_latency_requests_total'

/** The `le` bound (in the histogram's unit) a threshold in ms is: seconds unless the name says ms. */
export function boundOf(metric: string, thresholdMs: number): number {
  return /_(milliseconds|ms)$/.test(metric) ? thresholdMs : thresholdMs / 1000
}

const same = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b))

/** The bucket bounds of `metric` in one service's scrape, sorted, `+Inf` left out. */
export function bucketBounds(metric: string, scraped: readonly ScrapedSample[]): number[] {
  const name = `${metric}_bucket`
  const bounds = new Set<number>()
  for (const s of scraped) {
    if (s.name !== name || s.labels.le === undefined) continue
    const le = Number(s.labels.le)
    if (Number.isFinite(le)) bounds.add(le)
  }
  return [...bounds].sort((a, b) => a - b)
}

/**
 * The two counters a latency SLO is read from, taken out of one service's scrape: the requests
 * under the threshold (the bucket whose `le` is the threshold, summed over every label set of
 * the histogram) and all requests (`_count`, summed likewise). Nothing when the histogram is
 * missing or has no bucket at the threshold: the SLO's status then says which bounds it has.
 */
export function latencySloSamples(
  service: string,
  slo: Pick<LatencySlo, 'metric' | 'thresholdMs'>,
  scraped: readonly ScrapedSample[],
  at: number,
): SampleInput[] {
  const bucket = `${slo.metric}_bucket`
  const count = `${slo.metric}_count`
  const le = boundOf(slo.metric, slo.thresholdMs)
  let good = 0
  let total = 0
  let matched = false
  let counted = false
  for (const s of scraped) {
    if (s.name === count) {
      total += s.value
      counted = true
    } else if (s.name === bucket && s.labels.le !== undefined && same(Number(s.labels.le), le)) {
      good += s.value
      matched = true
    }
  }
  if (!matched || !counted) return []
  const labels = { service }
  return [
    { name: SLO_LATENCY_GOOD, labels, value: good, at },
    { name: SLO_LATENCY_TOTAL, labels, value: total, at },
  ]
}

/** Why a latency SLO has no data, from the service's latest scrape; undefined when it has. */
export function latencyProblem(
  slo: Pick<LatencySlo, 'metric' | 'thresholdMs'>,
  scraped: readonly ScrapedSample[] | undefined,
): string | undefined {
  if (scraped === undefined) return undefined
  const bounds = bucketBounds(slo.metric, scraped)
  if (bounds.length === 0) return `no histogram ${slo.metric} in the latest scrape of the service`
  const le = boundOf(slo.metric, slo.thresholdMs)
  if (bounds.some((b) => same(b, le))) return undefined
  const unit = /_(milliseconds|ms)$/.test(slo.metric) ? 'ms' : 's'
  return `thresholdMs ${slo.thresholdMs} is not a bucket bound of ${slo.metric} (le="${le}"); its bounds are ${bounds.join(', ')} (${unit})`
}
