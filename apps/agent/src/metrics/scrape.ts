import http from 'node:http'
import https from 'node:https'
import type { ApplicationSection } from '@noa/core'
import { errorMessage } from '@noa/core'
import { formatOfContentType, type MetricFamily, parseExposition } from '@noa/metrics'

/** One scraped sample with the service it came from, for alert rules. */
export interface ScrapedSample {
  name: string
  labels: Record<string, string>
  value: number
}

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

/** What one scrape of a service gives. */
export interface ScrapeResult {
  ok: boolean
  error?: string
  totals?: ScrapeTotals
  business: Record<string, number>
  samples: ScrapedSample[]
}

const REQUESTS = new Set(['http_requests_total', 'http_requests', 'http_server_requests_total'])
const DURATION = new Set(['http_request_duration_seconds', 'http_server_request_duration_seconds'])

const statusOf = (labels: Record<string, string>) =>
  labels.status ?? labels.code ?? labels.status_code ?? labels.status_class ?? ''
const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())

/** Reads the request, latency and business figures out of parsed metric families. */
export function summarise(families: readonly MetricFamily[], at: number): Omit<ScrapeResult, 'ok'> {
  const totals: ScrapeTotals = {
    at,
    requests: 0,
    errors: 0,
    latencySum: 0,
    latencyCount: 0,
    buckets: new Map(),
  }
  const business: Record<string, number> = {}
  const samples: ScrapedSample[] = []
  for (const family of families) {
    for (const s of family.samples) samples.push({ name: s.name, labels: s.labels, value: s.value })
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
      for (const s of family.samples) if (s.labels.name) business[s.labels.name] = s.value
    } else if (family.name.startsWith('business_')) {
      const key = camel(family.name.slice('business_'.length).replace(/_total$/, ''))
      business[key] = family.samples
        .filter((s) => !s.name.endsWith('_created'))
        .reduce((sum, s) => sum + s.value, 0)
    }
  }
  return { totals, business, samples }
}

/** The largest /metrics body read; a bigger one is refused rather than held in memory. */
export const MAX_SCRAPE_BYTES = 8 * 1024 * 1024
const MAX_REDIRECTS = 5
const ACCEPT = 'text/plain;version=0.0.4;q=0.9, application/openmetrics-text;q=0.5'

interface Fetched {
  status: number
  contentType: string | null
  location?: string
  text: string
}

// node:http rather than global fetch: fetch loads undici and its WebAssembly parser into the
// daemon (about 10 MB of RSS) and costs several times the CPU per request.
async function get(url: URL, timeoutMs: number, deadline: number, redirects = 0): Promise<Fetched> {
  const client = url.protocol === 'https:' ? https : http
  const fetched = await new Promise<Fetched>((resolveGet, reject) => {
    const req = client.request(url, { headers: { accept: ACCEPT }, agent: false }, (res) => {
      const status = res.statusCode ?? 0
      const contentType = res.headers['content-type'] ?? null
      if (status < 200 || status >= 300) {
        res.resume()
        const location = res.headers.location
        return resolveGet({ status, contentType, text: '', ...(location ? { location } : {}) })
      }
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (chunk: Buffer) => {
        size += chunk.length
        if (size > MAX_SCRAPE_BYTES) req.destroy(new Error(`response larger than ${MAX_SCRAPE_BYTES} bytes`))
        else chunks.push(chunk)
      })
      res.on('error', reject)
      res.on('end', () => resolveGet({ status, contentType, text: Buffer.concat(chunks).toString('utf8') }))
    })
    const timer = setTimeout(
      () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)),
      Math.max(0, deadline - Date.now()),
    )
    req.on('error', reject)
    req.on('close', () => clearTimeout(timer))
    req.end()
  })
  if (fetched.status >= 300 && fetched.status < 400 && fetched.location !== undefined) {
    if (redirects >= MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects`)
    return get(new URL(fetched.location, url), timeoutMs, deadline, redirects + 1)
  }
  return fetched
}

/** Fetches and parses one service's /metrics; never throws. */
export async function scrape(url: string, timeoutMs: number, at: number): Promise<ScrapeResult> {
  try {
    const res = await get(new URL(url), timeoutMs, Date.now() + timeoutMs)
    if (res.status < 200 || res.status >= 300)
      return { ok: false, error: `status ${res.status}`, business: {}, samples: [] }
    const parsed = parseExposition(res.text, { format: formatOfContentType(res.contentType) })
    if (!parsed.ok)
      return {
        ok: false,
        error: `line ${parsed.error.line}: ${parsed.error.message}`,
        business: {},
        samples: [],
      }
    return { ok: true, ...summarise(parsed.families, at) }
  } catch (error) {
    return { ok: false, error: errorMessage(error), business: {}, samples: [] }
  }
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
