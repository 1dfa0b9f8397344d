import { isValidLabelName, isValidMetricName } from '../names.ts'
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

class Fail extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message)
  }
}

// ---- shared scanning ----

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57
}

/** Parses a number as both formats allow (decimal, exponent, ±Inf/Infinity, NaN); undefined if not one. */
function parseNumber(token: string): number | undefined {
  const n = token.length
  if (n === 0) return undefined
  let i = 0
  const first = token.charCodeAt(0)
  if (first === 43 || first === 45) i++
  const rest = token.slice(i).toLowerCase()
  if (rest === 'inf' || rest === 'infinity')
    return first === 45 ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY
  if (rest === 'nan') return Number.NaN
  let digits = 0
  while (i < n && isDigit(token.charCodeAt(i))) {
    i++
    digits++
  }
  if (i < n && token.charCodeAt(i) === 46) {
    i++
    while (i < n && isDigit(token.charCodeAt(i))) {
      i++
      digits++
    }
  }
  if (digits === 0) return undefined
  if (i < n && (token.charCodeAt(i) === 101 || token.charCodeAt(i) === 69)) {
    i++
    if (i < n && (token.charCodeAt(i) === 43 || token.charCodeAt(i) === 45)) i++
    let exp = 0
    while (i < n && isDigit(token.charCodeAt(i))) {
      i++
      exp++
    }
    if (exp === 0) return undefined
  }
  return i === n ? Number(token) : undefined
}

function isNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58
}
function isNameChar(c: number): boolean {
  return isNameStart(c) || isDigit(c)
}

/** Scans `name="value",...}` from `i` (just after `{`) into `out`; returns the index after `}`. */
function scanLabels(
  line: string,
  i: number,
  out: Record<string, string>,
  lenient: boolean,
  no: number,
): number {
  const n = line.length
  const skip = () => {
    if (lenient) while (i < n && (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9)) i++
  }
  skip()
  if (line.charCodeAt(i) === 125) return i + 1
  for (;;) {
    skip()
    const nameStart = i
    while (i < n && isNameChar(line.charCodeAt(i))) i++
    const name = line.slice(nameStart, i)
    if (!isValidLabelName(name))
      throw new Fail(no, `invalid label name ${JSON.stringify(name)} at column ${nameStart + 1}`)
    skip()
    if (line.charCodeAt(i) !== 61) throw new Fail(no, `expected "=" after label "${name}"`)
    i++
    skip()
    if (line.charCodeAt(i) !== 34) throw new Fail(no, `expected a double-quoted value for label "${name}"`)
    i++
    let value = ''
    let chunk = i
    for (;;) {
      if (i >= n) throw new Fail(no, `unterminated value of label "${name}"`)
      const c = line.charCodeAt(i)
      if (c === 34) break
      if (c === 92) {
        value += line.slice(chunk, i)
        const next = line[i + 1]
        if (next === undefined) throw new Fail(no, `unterminated value of label "${name}"`)
        value += next === 'n' ? '\n' : next === '\\' ? '\\' : next === '"' ? '"' : `\\${next}`
        i += 2
        chunk = i
        continue
      }
      i++
    }
    value += line.slice(chunk, i)
    i++
    if (Object.hasOwn(out, name)) throw new Fail(no, `label "${name}" appears twice`)
    out[name] = value
    skip()
    const c = line.charCodeAt(i)
    if (c === 125) return i + 1
    if (c !== 44) throw new Fail(no, `expected "," or "}" after the value of label "${name}"`)
    i++
    skip()
    if (lenient && line.charCodeAt(i) === 125) return i + 1
  }
}

function newLabels(): Record<string, string> {
  return Object.create(null) as Record<string, string>
}

function unescapeHelp(text: string, quote: boolean): string {
  if (!text.includes('\\')) return text
  let out = ''
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '\\' && i + 1 < text.length) {
      const next = text[i + 1]
      if (next === 'n') out += '\n'
      else if (next === '\\') out += '\\'
      else if (next === '"' && quote) out += '"'
      else out += `\\${next}`
      i++
    } else out += c
  }
  return out
}

interface Parser {
  line(line: string, no: number): void
  finish(lastLine: number): MetricFamily[]
}

// ---- OpenMetrics 1.0 (strict) ----

const OM_TYPES = new Set([
  'counter',
  'gauge',
  'histogram',
  'gaugehistogram',
  'summary',
  'info',
  'stateset',
  'unknown',
])
const TYPE_SUFFIXES: Record<string, readonly string[]> = {
  counter: ['_total', '_created'],
  summary: ['', '_count', '_sum', '_created'],
  histogram: ['_count', '_sum', '_bucket', '_created'],
  gaugehistogram: ['_gcount', '_gsum', '_bucket'],
  info: ['_info'],
}
const COUNTER_LIKE_NAN = new Set(['_total', '_sum', '_count', '_bucket', '_gcount', '_gsum'])
const COUNTER_LIKE_NEGATIVE = new Set(['_total', '_sum', '_count', '_bucket', '_gcount'])

interface OpenFamily {
  name: string
  type: ParsedMetricType | undefined
  help: string | undefined
  unit: string | undefined
  samples: ParsedSample[]
  allowed: readonly string[]
  group: string | undefined
  groupTimestamp: number | undefined
  seenGroups: Set<string>
}

class OpenMetricsParser implements Parser {
  private readonly families: MetricFamily[] = []
  private readonly seenNames = new Set<string>()
  private family: OpenFamily | undefined
  private eof = false

  line(line: string, no: number): void {
    if (this.eof) throw new Fail(no, 'text after "# EOF"')
    if (line === '') throw new Fail(no, 'blank line (not allowed in OpenMetrics)')
    if (line === '# EOF') {
      this.eof = true
      return
    }
    if (line.charCodeAt(0) === 35) this.metadata(line, no)
    else this.sample(line, no)
  }

  finish(lastLine: number): MetricFamily[] {
    this.close(lastLine)
    if (!this.eof) throw new Fail(lastLine, 'missing "# EOF" at the end')
    return this.families
  }

  private metadata(line: string, no: number): void {
    const parts = splitN(line, 3)
    if (parts.length < 4 || parts[0] !== '#')
      throw new Fail(no, 'invalid line: a comment must be # HELP, # TYPE or # UNIT')
    const [, keyword, name, rest] = parts as [string, string, string, string]
    if (!isValidMetricName(name)) throw new Fail(no, `invalid metric name ${JSON.stringify(name)}`)
    let family = this.family
    if (family !== undefined && family.name === name && family.samples.length > 0) {
      throw new Fail(no, `metadata for "${name}" after its samples`)
    }
    if (family === undefined || family.name !== name) {
      this.close(no)
      family = this.open(name, undefined, no)
    }
    if (keyword === 'HELP') {
      if (family.help !== undefined) throw new Fail(no, `second HELP for "${name}"`)
      family.help = unescapeHelp(rest, true)
    } else if (keyword === 'TYPE') {
      if (family.type !== undefined) throw new Fail(no, `second TYPE for "${name}"`)
      if (!OM_TYPES.has(rest)) throw new Fail(no, `invalid type ${JSON.stringify(rest)} for "${name}"`)
      family.type = rest as ParsedMetricType
      family.allowed = (TYPE_SUFFIXES[rest] ?? ['']).map((s) => name + s)
    } else if (keyword === 'UNIT') {
      if (family.unit !== undefined) throw new Fail(no, `second UNIT for "${name}"`)
      family.unit = rest
    } else {
      throw new Fail(no, `invalid line: unknown keyword ${JSON.stringify(keyword)}`)
    }
  }

  private open(name: string, type: ParsedMetricType | undefined, _no: number): OpenFamily {
    this.family = {
      name,
      type,
      help: undefined,
      unit: undefined,
      samples: [],
      allowed: [name],
      group: undefined,
      groupTimestamp: undefined,
      seenGroups: new Set(),
    }
    return this.family
  }

  private sample(line: string, no: number): void {
    const sample = scanSample(line, no, false)
    let family = this.family
    if (family === undefined || !family.allowed.includes(sample.name)) {
      this.close(no)
      family = this.open(sample.name, 'unknown', no)
    }
    const { name } = family
    const type = family.type ?? 'unknown'
    const suffix = sample.name.slice(name.length)
    const labels = sample.labels
    if (type === 'stateset' && !Object.hasOwn(labels, name))
      throw new Fail(no, `stateset sample without label "${name}"`)
    if (suffix === '_bucket') {
      const le = labels.le
      const bound = le === undefined ? undefined : parseNumber(le)
      if (le === undefined || bound === undefined || Number.isNaN(bound)) {
        throw new Fail(no, 'bucket without a valid "le" label')
      }
      if (!Number.isFinite(bound) && le !== '+Inf' && le !== '-Inf')
        throw new Fail(no, `non-canonical le="${le}"`)
      if (!Number.isInteger(sample.value)) throw new Fail(no, 'bucket value must be an integer')
    }
    if ((suffix === '_count' || suffix === '_gcount') && !Number.isInteger(sample.value)) {
      throw new Fail(no, 'count value must be an integer')
    }
    if (type === 'summary' && suffix === '') {
      const q = labels.quantile === undefined ? undefined : parseNumber(labels.quantile)
      if (q === undefined || !(q >= 0 && q <= 1))
        throw new Fail(no, 'summary quantile must have a "quantile" label in [0, 1]')
      if (sample.value < 0) throw new Fail(no, 'quantile values cannot be negative')
    }
    this.checkGroup(family, type, sample, suffix, no)
    family.samples.push(sample)
    if (type === 'stateset' && sample.value !== 0 && sample.value !== 1)
      throw new Fail(no, 'stateset values must be 0 or 1')
    if (type === 'info' && sample.value !== 1) throw new Fail(no, 'info values must be 1')
    if (COUNTER_LIKE_NAN.has(suffix) && Number.isNaN(sample.value))
      throw new Fail(no, `${suffix} value cannot be NaN`)
    if (COUNTER_LIKE_NEGATIVE.has(suffix) && sample.value < 0)
      throw new Fail(no, `${suffix} value cannot be negative`)
    if (sample.exemplar !== undefined) {
      const allowed =
        ((type === 'histogram' || type === 'gaugehistogram') && suffix === '_bucket') ||
        (type === 'counter' && suffix === '_total')
      if (!allowed)
        throw new Fail(no, 'only counter _total and histogram _bucket samples may carry an exemplar')
    }
  }

  private checkGroup(
    family: OpenFamily,
    type: string,
    sample: ParsedSample,
    suffix: string,
    no: number,
  ): void {
    let key = ''
    if (type !== 'info') {
      const skip =
        type === 'summary' && suffix === ''
          ? 'quantile'
          : type === 'stateset'
            ? family.name
            : (type === 'histogram' || type === 'gaugehistogram') && suffix === '_bucket'
              ? 'le'
              : undefined
      const names = Object.keys(sample.labels)
        .filter((k) => k !== skip)
        .sort()
      for (const k of names) key += `${k}\u0000${sample.labels[k]}\u0000`
    }
    if (family.group !== undefined && key !== family.group && family.seenGroups.has(key)) {
      throw new Fail(no, 'samples of one label set must be together (invalid grouping)')
    }
    if (family.group !== undefined && key === family.group) {
      if ((sample.timestamp === undefined) !== (family.groupTimestamp === undefined)) {
        throw new Fail(no, 'mix of samples with and without timestamp in one group')
      }
      if (
        family.groupTimestamp !== undefined &&
        sample.timestamp !== undefined &&
        family.groupTimestamp > sample.timestamp &&
        type !== 'info'
      ) {
        throw new Fail(no, 'timestamps went backwards within a group')
      }
    }
    family.group = key
    family.groupTimestamp = sample.timestamp
    family.seenGroups.add(key)
  }

  private close(no: number): void {
    const family = this.family
    if (family === undefined) return
    this.family = undefined
    const type = family.type ?? 'unknown'
    const { name } = family
    for (const suffix of new Set([...(TYPE_SUFFIXES[type] ?? []), ''])) {
      if (this.seenNames.has(name + suffix)) throw new Fail(no, `clashing name "${name + suffix}"`)
      this.seenNames.add(name + suffix)
    }
    const unit = family.unit ?? ''
    if (unit !== '' && !name.endsWith(`_${unit}`))
      throw new Fail(no, `"${name}" must end with its unit "_${unit}"`)
    if (unit !== '' && (type === 'info' || type === 'stateset'))
      throw new Fail(no, `${type} "${name}" cannot have a unit`)
    if (type === 'histogram' || type === 'gaugehistogram') checkHistogram(family.name, family.samples, no)
    this.families.push({ name, type, help: family.help ?? '', unit, samples: family.samples })
  }
}

function checkHistogram(name: string, samples: readonly ParsedSample[], no: number): void {
  let group: string | undefined
  let timestamp: number | undefined
  let started = false
  let count: number | undefined
  let bucket: number | undefined
  let value = 0
  let negativeBuckets = false
  let hasSum = false
  let hasGsum = false
  let negativeGsum = false
  const fail = (why: string) => new Fail(no, `histogram "${name}": ${why}`)
  const check = () => {
    if (bucket !== Number.POSITIVE_INFINITY) throw fail('+Inf bucket missing')
    if (count !== undefined && value !== count) throw fail('_count does not match the +Inf bucket')
    if (hasSum && count === undefined) throw fail('_count must be present with _sum')
    if (hasGsum && count === undefined) throw fail('_gcount must be present with _gsum')
    if (!(hasSum || hasGsum) && count !== undefined) throw fail('_sum must be present with _count')
    if (negativeBuckets && hasSum) throw fail('_sum is not allowed with negative buckets')
    if (!negativeBuckets && negativeGsum) throw fail('negative _gsum needs negative buckets')
  }
  for (const s of samples) {
    const suffix = s.name.slice(name.length)
    const labels = { ...s.labels }
    if (suffix === '_bucket') delete labels.le
    const g = JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    if (!started || g !== group || s.timestamp !== timestamp) {
      if (started) check()
      started = true
      count = undefined
      bucket = undefined
      negativeBuckets = false
      hasSum = false
      hasGsum = false
      negativeGsum = false
      value = 0
    }
    group = g
    timestamp = s.timestamp
    if (suffix === '_bucket') {
      const b = parseNumber(s.labels.le as string) as number
      if (b < 0) negativeBuckets = true
      if (bucket !== undefined && b <= bucket) throw fail('buckets out of order')
      if (s.value < value) throw fail('bucket values out of order')
      bucket = b
      value = s.value
    } else if (suffix === '_count' || suffix === '_gcount') count = s.value
    else if (suffix === '_sum') hasSum = true
    else if (suffix === '_gsum') {
      hasGsum = true
      if (s.value < 0) negativeGsum = true
    }
  }
  if (started) check()
}

/** Splits on single spaces at most `max` times (the last part keeps its spaces). */
function splitN(line: string, max: number): string[] {
  const parts: string[] = []
  let start = 0
  while (parts.length < max) {
    const at = line.indexOf(' ', start)
    if (at < 0) break
    parts.push(line.slice(start, at))
    start = at + 1
  }
  parts.push(line.slice(start))
  return parts
}

/** Scans one sample line (OpenMetrics strict, or Prometheus lenient). */
function scanSample(line: string, no: number, lenient: boolean): ParsedSample {
  const n = line.length
  let i = 0
  while (i < n && isNameChar(line.charCodeAt(i))) i++
  const name = line.slice(0, i)
  if (!isValidMetricName(name)) {
    throw new Fail(
      no,
      name === '' ? 'expected a metric name at column 1' : `invalid metric name ${JSON.stringify(name)}`,
    )
  }
  const isSpace = (c: number) => c === 32 || (lenient && c === 9)
  const labels = newLabels()
  let j = i
  if (lenient) while (j < n && isSpace(line.charCodeAt(j))) j++
  if (line.charCodeAt(j) === 123) i = scanLabels(line, j + 1, labels, lenient, no)
  if (!isSpace(line.charCodeAt(i))) throw new Fail(no, `expected a space and a value after "${name}"`)
  i++
  if (lenient) while (i < n && isSpace(line.charCodeAt(i))) i++
  let end = i
  while (end < n && !isSpace(line.charCodeAt(end))) end++
  const value = parseNumber(line.slice(i, end))
  if (value === undefined) throw new Fail(no, `invalid value ${JSON.stringify(line.slice(i, end))}`)
  const sample: ParsedSample = { name, labels, value }
  i = end
  if (lenient) {
    while (i < n && isSpace(line.charCodeAt(i))) i++
    if (i === n) return sample
    end = i
    while (end < n && !isSpace(line.charCodeAt(end))) end++
    const ts = line.slice(i, end)
    if (!/^-?\d{1,20}$/.test(ts))
      throw new Fail(no, `invalid timestamp ${JSON.stringify(ts)} (milliseconds expected)`)
    sample.timestamp = Number(ts)
    i = end
    while (i < n && isSpace(line.charCodeAt(i))) i++
    if (i !== n)
      throw new Fail(no, `unexpected text after the timestamp: ${JSON.stringify(line.slice(i, i + 20))}`)
    return sample
  }
  if (i === n) return sample
  i++ // the single space after the value
  if (i === n) throw new Fail(no, 'trailing space after the value')
  if (line.charCodeAt(i) !== 35) {
    end = line.indexOf(' ', i)
    if (end < 0) end = n
    sample.timestamp = parseTimestamp(line.slice(i, end), no)
    if (end === n) return sample
    i = end + 1
  }
  // exemplar: "# {labels} value [timestamp]"
  if (line.charCodeAt(i) !== 35 || line.charCodeAt(i + 1) !== 32 || line.charCodeAt(i + 2) !== 123) {
    throw new Fail(no, 'expected "# {" to start an exemplar')
  }
  const exemplarLabels = newLabels()
  i = scanLabels(line, i + 3, exemplarLabels, false, no)
  let length = 0
  for (const [k, v] of Object.entries(exemplarLabels)) length += [...k].length + [...v].length
  if (length > 128) throw new Fail(no, `exemplar labels are ${length} characters, over 128`)
  if (line.charCodeAt(i) !== 32) throw new Fail(no, 'expected a space and a value after the exemplar labels')
  i++
  end = line.indexOf(' ', i)
  if (end < 0) end = n
  const exemplarValue = parseNumber(line.slice(i, end))
  if (exemplarValue === undefined)
    throw new Fail(no, `invalid exemplar value ${JSON.stringify(line.slice(i, end))}`)
  const exemplar: ParsedExemplar = { labels: exemplarLabels, value: exemplarValue }
  if (end < n) exemplar.timestamp = parseTimestamp(line.slice(end + 1), no)
  sample.exemplar = exemplar
  return sample
}

function parseTimestamp(token: string, no: number): number {
  const ts = parseNumber(token)
  if (ts === undefined || !Number.isFinite(ts))
    throw new Fail(no, `invalid timestamp ${JSON.stringify(token)}`)
  return ts
}

// ---- Prometheus text 0.0.4 (lenient) ----

const PROM_TYPES: Record<string, ParsedMetricType> = {
  counter: 'counter',
  gauge: 'gauge',
  histogram: 'histogram',
  summary: 'summary',
  untyped: 'unknown',
  unknown: 'unknown',
  gaugehistogram: 'gaugehistogram',
  info: 'info',
  stateset: 'stateset',
}
const PROM_SUFFIXES: Partial<Record<ParsedMetricType, readonly string[]>> = {
  counter: ['', '_total', '_created'],
  histogram: ['', '_bucket', '_sum', '_count', '_created'],
  gaugehistogram: ['', '_bucket', '_gsum', '_gcount'],
  summary: ['', '_sum', '_count', '_created'],
  info: ['', '_info'],
}

class PrometheusParser implements Parser {
  private readonly byName = new Map<string, MetricFamily & { typed: boolean; helped: boolean }>()
  private readonly order: MetricFamily[] = []
  private current: (MetricFamily & { typed: boolean; helped: boolean }) | undefined
  private eof = false

  line(raw: string, no: number): void {
    if (this.eof) return
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw
    let i = 0
    while (i < line.length && (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9)) i++
    if (i === line.length) return
    if (line.charCodeAt(i) === 35) {
      const body = line.slice(i + 1).trim()
      if (body === 'EOF') {
        this.eof = true
        return
      }
      const m = /^(HELP|TYPE)[ \t]+(\S+)(?:[ \t]+([\s\S]*))?$/.exec(body)
      if (m === null) return // an ordinary comment
      const [, keyword, name = '', rest = ''] = m
      if (!isValidMetricName(name)) throw new Fail(no, `invalid metric name ${JSON.stringify(name)}`)
      const family = this.family(name)
      if (keyword === 'HELP') {
        if (family.helped) throw new Fail(no, `second HELP for "${name}"`)
        family.helped = true
        family.help = unescapeHelp(rest, false)
      } else {
        if (family.typed) throw new Fail(no, `second TYPE for "${name}"`)
        const type = PROM_TYPES[rest.trim()]
        if (type === undefined)
          throw new Fail(no, `invalid type ${JSON.stringify(rest.trim())} for "${name}"`)
        family.typed = true
        family.type = type
      }
      this.current = family
      return
    }
    const sample = scanSample(line.slice(i), no, true)
    this.owner(sample.name).samples.push(sample)
  }

  finish(): MetricFamily[] {
    return this.order.map(({ name, type, help, unit, samples }) => ({ name, type, help, unit, samples }))
  }

  private owner(sampleName: string): MetricFamily {
    const current = this.current
    if (current !== undefined && belongs(current, sampleName)) return current
    let found = this.byName.get(sampleName)
    for (const suffix of ['_total', '_created', '_bucket', '_sum', '_count', '_gsum', '_gcount', '_info']) {
      if (found !== undefined) break
      if (!sampleName.endsWith(suffix)) continue
      const base = this.byName.get(sampleName.slice(0, -suffix.length))
      if (base !== undefined && belongs(base, sampleName)) found = base
    }
    this.current = found ?? this.family(sampleName)
    return this.current
  }

  private family(name: string): MetricFamily & { typed: boolean; helped: boolean } {
    let family = this.byName.get(name)
    if (family === undefined) {
      family = { name, type: 'unknown', help: '', unit: '', samples: [], typed: false, helped: false }
      this.byName.set(name, family)
      this.order.push(family)
    }
    return family
  }
}

function belongs(family: MetricFamily, sampleName: string): boolean {
  if (sampleName === family.name) return true
  const suffixes = PROM_SUFFIXES[family.type]
  return (
    suffixes !== undefined &&
    sampleName.startsWith(family.name) &&
    suffixes.includes(sampleName.slice(family.name.length))
  )
}
