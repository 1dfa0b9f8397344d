// Scanning shared by both exposition formats: numbers, names, labels, one sample line.
import { isValidLabelName, isValidMetricName } from '../names.ts'
import type { MetricFamily, ParsedExemplar, ParsedSample } from './parse.ts'

export class Fail extends Error {
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
export function parseNumber(token: string): number | undefined {
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

export function unescapeHelp(text: string, quote: boolean): string {
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

/** Splits on single spaces at most `max` times (the last part keeps its spaces). */
export function splitN(line: string, max: number): string[] {
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
export function scanSample(line: string, no: number, lenient: boolean): ParsedSample {
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

/** A parser of one format, fed one line at a time. */
export interface LineParser {
  line(line: string, no: number): void
  finish(lastLine: number): MetricFamily[]
}
