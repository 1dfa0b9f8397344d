import { OpenMetricsParser } from './openmetrics.ts'
import { PrometheusParser } from './prometheus.ts'
import { Fail } from './scan.ts'
import type { ExpositionFormat } from './text.ts'

/** Metric types a parsed exposition may declare (OpenMetrics' set; Prometheus `untyped` reads as `unknown`). */
export type ParsedMetricType =
  | 'counter'
  | 'gauge'
  | 'histogram'
  | 'gaugehistogram'
  | 'summary'
  | 'info'
  | 'stateset'
  | 'unknown'

/** An exemplar attached to a counter or bucket sample (OpenMetrics). */
export interface ParsedExemplar {
  labels: Record<string, string>
  value: number
  timestamp?: number
}

/** One sample line. Timestamps are as written: seconds in OpenMetrics, milliseconds in Prometheus 0.0.4. */
export interface ParsedSample {
  name: string
  labels: Record<string, string>
  value: number
  timestamp?: number
  exemplar?: ParsedExemplar
}

/** A metric family: its metadata and its samples in order. */
export interface MetricFamily {
  /** Family name: for an OpenMetrics counter, without `_total`. */
  name: string
  type: ParsedMetricType
  help: string
  unit: string
  samples: ParsedSample[]
}

/** Where and why an exposition was refused. */
export interface ExpositionParseError {
  /** 1-based line number. */
  line: number
  message: string
}

/** What {@link parseExposition} returns: never throws. */
export type ParseResult = { ok: true; families: MetricFamily[] } | { ok: false; error: ExpositionParseError }

/** Options of {@link parseExposition}. */
export interface ParseOptions {
  /**
   * `openmetrics` applies every rule of OpenMetrics 1.0 (`# EOF` required, no blank lines, grouping,
   * histogram and counter rules); `prometheus` reads the 0.0.4 text format as leniently as
   * Prometheus does (comments, blank lines, trailing comma in labels, no `# EOF`).
   * @default 'prometheus'
   */
  format?: ExpositionFormat
  /** Longest text accepted, in characters; longer text is refused at once. @default 16 MiB */
  maxLength?: number
}

/**
 * Reads an exposition in the Prometheus text format 0.0.4 or OpenMetrics 1.0 into metric families.
 * A malformed input gives `{ ok: false, error: { line, message } }`; the work is linear in the input
 * (a hand-written scanner, no backtracking regex), so no input can make it hang.
 *
 * @example
 * ```ts
 * const result = parseExposition(await res.text(), { format: formatOfContentType(res.headers.get('content-type')) })
 * if (!result.ok) log.warn('bad scrape', result.error)
 * else for (const family of result.families) console.log(family.name, family.samples.length)
 * ```
 */
export function parseExposition(text: string, options: ParseOptions = {}): ParseResult {
  const format = options.format ?? 'prometheus'
  const maxLength = options.maxLength ?? 16 * 1024 * 1024
  if (typeof text !== 'string')
    return { ok: false, error: { line: 0, message: 'exposition must be a string' } }
  if (text.length > maxLength) {
    return {
      ok: false,
      error: { line: 0, message: `exposition is ${text.length} characters, over ${maxLength}` },
    }
  }
  const parser = format === 'openmetrics' ? new OpenMetricsParser() : new PrometheusParser()
  let lineNo = 0
  try {
    let start = 0
    while (start < text.length) {
      let end = text.indexOf('\n', start)
      if (end < 0) end = text.length
      lineNo++
      parser.line(text.slice(start, end), lineNo)
      start = end + 1
    }
    return { ok: true, families: parser.finish(lineNo + 1) }
  } catch (error) {
    if (error instanceof Fail) return { ok: false, error: { line: error.line, message: error.message } }
    return { ok: false, error: { line: lineNo, message: `unreadable line: ${String(error)}` } }
  }
}

/**
 * The format a `Content-Type` header announces (OpenMetrics or, for anything else, Prometheus text).
 *
 * @example
 * ```ts
 * parseExposition(body, { format: formatOfContentType(res.headers.get('content-type')) })
 * ```
 */
export function formatOfContentType(contentType: string | null | undefined): ExpositionFormat {
  return typeof contentType === 'string' && contentType.toLowerCase().includes('application/openmetrics-text')
    ? 'openmetrics'
    : 'prometheus'
}
