import { checkLimits, Intake, type ParseDropped, type ParseLimits } from './limits.ts'
import { OpenMetricsParser } from './openmetrics.ts'
import { PrometheusParser } from './prometheus.ts'
import { Fail, type LineParser } from './scan.ts'
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

/**
 * What {@link parseExposition} and {@link ExpositionParser.end} return; never thrown. `dropped`
 * counts the samples the `limits` left out, by reason (all 0 without limits).
 */
export type ParseResult =
  | { ok: true; families: MetricFamily[]; dropped: ParseDropped }
  | { ok: false; error: ExpositionParseError }

/** Options of {@link parseExposition} and {@link createExpositionParser}. */
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
  /**
   * Bounds on what the text can make the parser read and hold (series, labels per series, label
   * name and value length); what is over is left out and counted in the result's `dropped`. Below
   * every limit the result is the same as without limits.
   * @default no limits
   */
  limits?: ParseLimits
}

/**
 * A parser fed the text piece by piece as it arrives (from a socket, say), so a large exposition
 * is never held whole: with `limits`, at most `limits.series` samples are.
 *
 * @example
 * ```ts
 * const parser = createExpositionParser({ format: 'prometheus', limits: { series: 10_000 } })
 * res.setEncoding('utf8')
 * res.on('data', (chunk: string) => {
 *   if (!parser.write(chunk)) res.destroy() // refused: end() says where and why
 * })
 * res.on('end', () => console.log(parser.end()))
 * ```
 */
export interface ExpositionParser {
  /** Reads the next piece of text, split anywhere (even inside a line). False once the text is refused. */
  write(chunk: string): boolean
  /** Ends the text: the families read, or where and why the text was refused. Call it once. */
  end(): ParseResult
  /** Sample lines seen so far, kept or dropped. */
  readonly samples: number
}

const DEFAULT_MAX_LENGTH = 16 * 1024 * 1024

/**
 * Makes a parser that reads an exposition piece by piece ({@link ExpositionParser}); the result
 * is the same as {@link parseExposition} on the whole text. Throws a `ConfigError` for limits
 * that are not positive integers.
 *
 * @example
 * ```ts
 * const parser = createExpositionParser({ format: formatOfContentType(contentType), limits: { series: 10_000 } })
 * for await (const chunk of body) if (!parser.write(chunk)) break
 * const result = parser.end()
 * if (result.ok && result.dropped.series_limit > 0) log.warn('series over the limit were left out')
 * ```
 */
export function createExpositionParser(options: ParseOptions = {}): ExpositionParser {
  return new StreamParser(options)
}

class StreamParser implements ExpositionParser {
  readonly #intake: Intake
  readonly #parser: LineParser
  readonly #maxLength: number
  #length = 0
  #partial = ''
  #lineNo = 0
  #eof = false
  #error: ExpositionParseError | undefined
  #ended = false

  constructor(options: ParseOptions) {
    this.#intake = new Intake(checkLimits(options.limits))
    this.#parser =
      options.format === 'openmetrics'
        ? new OpenMetricsParser(this.#intake)
        : new PrometheusParser(this.#intake)
    this.#maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH
  }

  get samples(): number {
    return this.#intake.seen
  }

  write(chunk: string): boolean {
    if (this.#error !== undefined || this.#ended) return this.#error === undefined
    if (typeof chunk !== 'string') return this.#fail(0, 'exposition must be a string')
    this.#length += chunk.length
    if (this.#length > this.#maxLength)
      return this.#fail(0, `exposition is over ${this.#maxLength} characters`)
    let start = 0
    let end = chunk.indexOf('\n')
    if (end < 0) {
      this.#partial += chunk
      return true
    }
    try {
      this.#line(this.#partial === '' ? chunk.slice(0, end) : this.#partial + chunk.slice(0, end))
      this.#partial = ''
      start = end + 1
      for (end = chunk.indexOf('\n', start); end >= 0; end = chunk.indexOf('\n', start)) {
        this.#line(chunk.slice(start, end))
        start = end + 1
      }
      this.#partial = chunk.slice(start)
      return true
    } catch (error) {
      return this.#caught(error)
    }
  }

  end(): ParseResult {
    if (!this.#ended && this.#error === undefined) {
      this.#ended = true
      try {
        if (this.#partial !== '') this.#line(this.#partial)
        this.#partial = ''
        const families = this.#parser.finish(this.#lineNo + 1)
        return { ok: true, families, dropped: { ...this.#intake.dropped } }
      } catch (error) {
        this.#caught(error)
      }
    }
    this.#ended = true
    if (this.#error !== undefined) return { ok: false, error: this.#error }
    return { ok: false, error: { line: 0, message: 'end() was already called' } }
  }

  #line(line: string): void {
    this.#lineNo++
    if (this.#intake.full && !this.#eof) {
      // Past the series limit a sample line is counted, not read; comments and metadata still are.
      let i = 0
      while (i < line.length && (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9)) i++
      const c = line.charCodeAt(i)
      if (i < line.length && c !== 35 && c !== 13) {
        this.#intake.overflow()
        return
      }
      if (c === 35 && line.slice(i + 1).trim() === 'EOF') this.#eof = true
    }
    this.#parser.line(line, this.#lineNo)
  }

  #caught(error: unknown): false {
    if (error instanceof Fail) return this.#fail(error.line, error.message)
    return this.#fail(this.#lineNo, `unreadable line: ${String(error)}`)
  }

  #fail(line: number, message: string): false {
    this.#error = { line, message }
    this.#partial = ''
    return false
  }
}

/**
 * Reads an exposition in the Prometheus text format 0.0.4 or OpenMetrics 1.0 into metric families.
 * A malformed input gives `{ ok: false, error: { line, message } }`; the work is linear in the input
 * (a hand-written scanner, no backtracking regex), so no input can make it hang. With `limits`, what
 * is over them is left out and counted in `dropped`. Throws only a `ConfigError` for invalid limits.
 *
 * @example
 * ```ts
 * const result = parseExposition(await res.text(), {
 *   format: formatOfContentType(res.headers.get('content-type')),
 *   limits: { series: 10_000, labelValueLength: 1024 },
 * })
 * if (!result.ok) log.warn('bad scrape', result.error)
 * else for (const family of result.families) console.log(family.name, family.samples.length)
 * ```
 */
export function parseExposition(text: string, options: ParseOptions = {}): ParseResult {
  const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH
  if (typeof text !== 'string')
    return { ok: false, error: { line: 0, message: 'exposition must be a string' } }
  if (text.length > maxLength) {
    return {
      ok: false,
      error: { line: 0, message: `exposition is ${text.length} characters, over ${maxLength}` },
    }
  }
  const parser = createExpositionParser(options)
  parser.write(text)
  return parser.end()
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
