import http from 'node:http'
import https from 'node:https'
import { StringDecoder } from 'node:string_decoder'
import { errorMessage } from '@noa/core'
import {
  createExpositionParser,
  formatOfContentType,
  type ParseDropReason,
  type ParseResult,
} from '@noa/metrics'
import { type ScrapeLimits, scrapeLimitsSchema } from '../config/schema.ts'
import { type ScrapedSample, type ScrapeTotals, summarise } from './figures.ts'

/**
 * Why a scrape left series out: the parser's limits (`series_limit`, `label_count`,
 * `label_name_length`, `label_value_length`), a body over `bytes` (`body_too_large`: the scrape
 * is refused as a whole), or business figures over `businessKeys`/`businessKeyLength`
 * (`business_keys`: the series stays for rules, out of the snapshot's business section).
 */
export type ScrapeDropReason = ParseDropReason | 'body_too_large' | 'business_keys'

/** Series left out of one scrape, by reason; a reason is present only when its limit was reached. */
export type ScrapeDropped = Partial<Record<ScrapeDropReason, number>>

/** What one scrape of a service gives. */
export interface ScrapeResult {
  ok: boolean
  error?: string
  totals?: ScrapeTotals
  business: Record<string, number>
  /** The series kept, at most `limits.series`. */
  samples: ScrapedSample[]
  /**
   * What the limits left out, by reason; empty when the scrape was within every limit. For
   * `body_too_large`, the series read before the body was cut (the scrape is refused).
   */
  dropped: ScrapeDropped
}

/** The limits of a scrape when none are configured (`metrics.scrapeLimits`' defaults). */
export const DEFAULT_SCRAPE_LIMITS: Readonly<ScrapeLimits> = Object.freeze(scrapeLimitsSchema.parse({}))
/** The largest /metrics body read by default; a bigger one is refused rather than held in memory. */
export const MAX_SCRAPE_BYTES = DEFAULT_SCRAPE_LIMITS.bytes
const MAX_REDIRECTS = 5
const ACCEPT = 'text/plain;version=0.0.4;q=0.9, application/openmetrics-text;q=0.5'
const PARSE_REASONS = ['series_limit', 'label_count', 'label_name_length', 'label_value_length'] as const

type Fetched =
  | { status: number; location?: string; result?: undefined }
  | { status: number; location?: undefined; result: ParseResult }

/** A body over the byte limit, with the sample lines read before it was cut. */
class BodyTooLarge extends Error {
  constructor(
    readonly bytes: number,
    readonly seen: number,
  ) {
    super(`response larger than ${bytes} bytes`)
  }
}

// node:http rather than global fetch: fetch loads undici and its WebAssembly parser into the
// daemon (about 10 MB of RSS) and costs several times the CPU per request. The body is parsed as
// it arrives, so it is never held whole: only what the limits keep is.
async function get(
  url: URL,
  timeoutMs: number,
  deadline: number,
  limits: ScrapeLimits,
  redirects = 0,
): Promise<Fetched> {
  const client = url.protocol === 'https:' ? https : http
  const fetched = await new Promise<Fetched>((resolveGet, reject) => {
    let settled = false
    const settle = (fn: () => void) => {
      if (settled) return
      settled = true
      fn()
    }
    const req = client.request(url, { headers: { accept: ACCEPT }, agent: false }, (res) => {
      const status = res.statusCode ?? 0
      res.on('error', (error) => settle(() => reject(error)))
      if (status < 200 || status >= 300) {
        res.resume()
        const location = res.headers.location
        return settle(() => resolveGet({ status, ...(location ? { location } : {}) }))
      }
      const parser = createExpositionParser({
        format: formatOfContentType(res.headers['content-type']),
        limits: {
          series: limits.series,
          labelCount: limits.labelCount,
          labelNameLength: limits.labelNameLength,
          labelValueLength: limits.labelValueLength,
        },
      })
      const decoder = new StringDecoder('utf8')
      let size = 0
      res.on('data', (chunk: Buffer) => {
        if (settled) return
        size += chunk.length
        if (size > limits.bytes) {
          settle(() => reject(new BodyTooLarge(limits.bytes, parser.samples)))
          req.destroy()
        } else if (!parser.write(decoder.write(chunk))) {
          // Refused (a malformed line): no need to read the rest.
          settle(() => resolveGet({ status, result: parser.end() }))
          req.destroy()
        }
      })
      res.on('end', () => {
        if (settled) return
        parser.write(decoder.end())
        settle(() => resolveGet({ status, result: parser.end() }))
      })
    })
    // One deadline for the whole scrape, body included: a body that never ends is cut here.
    const timer = setTimeout(
      () => {
        settle(() => reject(new Error(`timed out after ${timeoutMs} ms`)))
        req.destroy()
      },
      Math.max(0, deadline - Date.now()),
    )
    req.on('error', (error) => settle(() => reject(error)))
    req.on('close', () => {
      clearTimeout(timer)
      settle(() => reject(new Error('connection closed before the response ended')))
    })
    req.end()
  })
  if (fetched.status >= 300 && fetched.status < 400 && fetched.location !== undefined) {
    if (redirects >= MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects`)
    return get(new URL(fetched.location, url), timeoutMs, deadline, limits, redirects + 1)
  }
  return fetched
}

const failed = (error: string, dropped: ScrapeDropped = {}): ScrapeResult => ({
  ok: false,
  error,
  business: {},
  samples: [],
  dropped,
})

/**
 * Fetches and parses one service's /metrics within `limits`; never throws. What is over a limit
 * is left out and counted in `dropped`; a body over `limits.bytes` is refused as a whole.
 */
export async function scrape(
  url: string,
  timeoutMs: number,
  at: number,
  limits: ScrapeLimits = DEFAULT_SCRAPE_LIMITS,
): Promise<ScrapeResult> {
  try {
    const res = await get(new URL(url), timeoutMs, Date.now() + timeoutMs, limits)
    if (res.result === undefined) return failed(`status ${res.status}`)
    const parsed = res.result
    if (!parsed.ok) return failed(`line ${parsed.error.line}: ${parsed.error.message}`)
    const summary = summarise(parsed.families, at, {
      keys: limits.businessKeys,
      keyLength: limits.businessKeyLength,
    })
    const dropped: ScrapeDropped = {}
    for (const reason of PARSE_REASONS)
      if (parsed.dropped[reason] > 0) dropped[reason] = parsed.dropped[reason]
    if (summary.businessDropped > 0) dropped.business_keys = summary.businessDropped
    return { ok: true, totals: summary.totals, business: summary.business, samples: summary.samples, dropped }
  } catch (error) {
    if (error instanceof BodyTooLarge) return failed(error.message, { body_too_large: error.seen })
    return failed(errorMessage(error))
  }
}
