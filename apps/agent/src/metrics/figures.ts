import type { ApplicationSection } from '@noa/core'
import type { MetricFamily } from '@noa/metrics'

/** One scraped sample, for alert rules (the round adds the `service` label). */
export interface ScrapedSample {
  name: string
  labels: Record<string, string>
  value: number
  /** The family the sample was read in, one object per family (the OTLP export groups by it). */
  family?: FamilyHead
}

/** A scraped family without its samples: what a sample needs to be read as its type says. */
export type FamilyHead = Pick<MetricFamily, 'name' | 'type' | 'help' | 'unit'>

/** The cumulative counters of one scrape that rates are computed from. */
export interface ScrapeTotals {
  at: number
  requests: number
  errors: number
  latencySum: number
  latencyCount: number
  /** Cumulative bucket counts by upper bound (seconds). */
  buckets: Map<number, number>
}

/** Bounds on the business figures read from one service. */
export interface BusinessBounds {
  /** Most figures kept; later new ones are left out. */
  keys: number
  /** Longest figure name kept, characters. */
  keyLength: number
}

/** What {@link summarise} reads out of one scrape. */
export interface Summary {
  totals: ScrapeTotals
  /** At most `bounds.keys` figures, each name at most `bounds.keyLength` long. */
  business: Record<string, number>
  samples: ScrapedSample[]
  /** Business series left out by the bounds. */
  businessDropped: number
}

const REQUESTS = new Set(['http_requests_total', 'http_requests', 'http_server_requests_total'])
const DURATION = new Set(['http_request_duration_seconds', 'http_server_request_duration_seconds'])

const statusOf = (labels: Record<string, string>) =>
  labels.status ?? labels.code ?? labels.status_code ?? labels.status_class ?? ''
const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())

/**
 * Reads the request, latency and business figures out of parsed metric families. Business
 * figures are bounded: a service that writes thousands of them (a user id in the name) keeps
 * the first `bounds.keys`, so the snapshot that is stored and served stays small.
 */
export function summarise(families: readonly MetricFamily[], at: number, bounds: BusinessBounds): Summary {
  const totals: ScrapeTotals = {
    at,
    requests: 0,
    errors: 0,
    latencySum: 0,
    latencyCount: 0,
    buckets: new Map(),
  }
  // A Map, not an object: a figure named "__proto__" is a figure like any other.
  const business = new Map<string, number>()
  let businessDropped = 0
  const setBusiness = (key: string, value: number) => {
    if (key.length > bounds.keyLength || (!business.has(key) && business.size >= bounds.keys))
      businessDropped++
    else business.set(key, value)
  }
  const samples: ScrapedSample[] = []
  for (const family of families) {
    const head: FamilyHead = { name: family.name, type: family.type, help: family.help, unit: family.unit }
    for (const s of family.samples)
      samples.push({ name: s.name, labels: s.labels, value: s.value, family: head })
    if (REQUESTS.has(family.name)) {
      for (const s of family.samples) {
        if (s.name.endsWith('_created')) continue
        totals.requests += s.value
        if (statusOf(s.labels).startsWith('5')) totals.errors += s.value
      }
    } else if (DURATION.has(family.name)) {
      for (const s of family.samples) {
        if (s.name.endsWith('_sum')) totals.latencySum += s.value
        else if (s.name.endsWith('_count')) totals.latencyCount += s.value
        else if (s.name.endsWith('_bucket')) {
          const le = s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le)
          if (!Number.isNaN(le)) totals.buckets.set(le, (totals.buckets.get(le) ?? 0) + s.value)
        }
      }
    } else if (family.name === 'business_metric') {
      // MetricsCollector.setBusiness of @noa/metrics: one gauge, the key in the `name` label
      for (const s of family.samples) if (s.labels.name) setBusiness(s.labels.name, s.value)
    } else if (family.name.startsWith('business_')) {
      const key = camel(family.name.slice('business_'.length).replace(/_total$/, ''))
      let sum = 0
      for (const s of family.samples) if (!s.name.endsWith('_created')) sum += s.value
      setBusiness(key, sum)
    }
  }
  return { totals, business: Object.fromEntries(business), samples, businessDropped }
}

/** The quantile `q` of a histogram's cumulative buckets (seconds), linearly interpolated, in ms. */
export function quantileMs(buckets: ReadonlyMap<number, number>, q: number): number | undefined {
  const sorted = [...buckets.entries()].sort((a, b) => a[0] - b[0])
  const total = sorted.at(-1)?.[1] ?? 0
  if (total <= 0) return undefined
  const rank = q * total
  let prevBound = 0
  let prevCount = 0
  for (const [bound, count] of sorted) {
    if (count >= rank) {
      if (!Number.isFinite(bound)) return prevBound * 1000
      const inBucket = count - prevCount
      const fraction = inBucket > 0 ? (rank - prevCount) / inBucket : 1
      return (prevBound + (bound - prevBound) * fraction) * 1000
    }
    prevBound = bound
    prevCount = count
  }
  return prevBound * 1000
}

/** The difference of two cumulative scrapes; a counter reset (restart) starts over from the new values. */
export function delta(now: ScrapeTotals, before: ScrapeTotals | undefined): ScrapeTotals {
  if (!before || now.requests < before.requests || now.latencyCount < before.latencyCount) return now
  const buckets = new Map<number, number>()
  for (const [le, count] of now.buckets) buckets.set(le, Math.max(0, count - (before.buckets.get(le) ?? 0)))
  return {
    at: now.at,
    requests: now.requests - before.requests,
    errors: now.errors - before.errors,
    latencySum: now.latencySum - before.latencySum,
    latencyCount: now.latencyCount - before.latencyCount,
    buckets,
  }
}

const round = (v: number, digits = 3) => Math.round(v * 10 ** digits) / 10 ** digits

/**
 * The seed's application section (requests, latency, throughput) of the window between two
 * scrapes; the first scrape of a service covers everything since it started.
 */
export function applicationOf(
  d: ScrapeTotals,
  seconds: number,
  cumulative: ScrapeTotals,
): ApplicationSection {
  const section: ApplicationSection = {
    requests: {
      total: cumulative.requests,
      successful: cumulative.requests - cumulative.errors,
      failed: cumulative.errors,
      errors: cumulative.errors,
      errorRate: d.requests > 0 ? round(d.errors / d.requests, 4) : 0,
    },
    throughput: { requestsPerSecond: seconds > 0 ? round(d.requests / seconds, 2) : 0 },
  }
  if (d.latencyCount > 0) {
    const sorted = [...d.buckets.entries()].sort((a, b) => a[0] - b[0])
    const highest = sorted.find(([, c]) => c >= d.latencyCount)?.[0]
    section.latency = {
      average: round((d.latencySum / d.latencyCount) * 1000, 2),
      p50: round(quantileMs(d.buckets, 0.5) ?? 0, 2),
      p95: round(quantileMs(d.buckets, 0.95) ?? 0, 2),
      p99: round(quantileMs(d.buckets, 0.99) ?? 0, 2),
      ...(highest !== undefined && Number.isFinite(highest) ? { max: highest * 1000 } : {}),
    }
  }
  return section
}

/** Adds cumulative totals of several services into one (the fleet's). */
export function mergeTotals(list: readonly ScrapeTotals[], at: number): ScrapeTotals {
  const out: ScrapeTotals = { at, requests: 0, errors: 0, latencySum: 0, latencyCount: 0, buckets: new Map() }
  for (const t of list) {
    out.requests += t.requests
    out.errors += t.errors
    out.latencySum += t.latencySum
    out.latencyCount += t.latencyCount
    for (const [le, c] of t.buckets) out.buckets.set(le, (out.buckets.get(le) ?? 0) + c)
  }
  return out
}
