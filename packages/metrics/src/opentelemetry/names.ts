import type { MetricType } from '../names.ts'

/** The seven instrument kinds of the OpenTelemetry metrics API. */
export type InstrumentKind =
  | 'counter'
  | 'up_down_counter'
  | 'histogram'
  | 'gauge'
  | 'observable_counter'
  | 'observable_up_down_counter'
  | 'observable_gauge'

/** The noa metric type each instrument kind is written as. */
export const METRIC_TYPE_OF = {
  counter: 'counter',
  up_down_counter: 'gauge',
  histogram: 'histogram',
  gauge: 'gauge',
  observable_counter: 'counter',
  observable_up_down_counter: 'gauge',
  observable_gauge: 'gauge',
} as const satisfies Record<InstrumentKind, MetricType>

/** Units of UCUM (as OpenTelemetry writes them) and the word the Prometheus name takes. */
const UNIT_WORDS: Readonly<Record<string, string>> = {
  d: 'days',
  h: 'hours',
  min: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  GiBy: 'gibibytes',
  TiBy: 'tebibytes',
  KBy: 'kilobytes',
  MBy: 'megabytes',
  GBy: 'gigabytes',
  TBy: 'terabytes',
  m: 'meters',
  V: 'volts',
  A: 'amperes',
  J: 'joules',
  W: 'watts',
  g: 'grams',
  Cel: 'celsius',
  Hz: 'hertz',
  '%': 'percent',
}

/** The word after `per_` for the denominator of a rate unit such as `By/s`. */
const PER_WORDS: Readonly<Record<string, string>> = {
  s: 'second',
  m: 'minute',
  min: 'minute',
  h: 'hour',
  d: 'day',
  w: 'week',
  mo: 'month',
  y: 'year',
}

/** Only what a Prometheus name may hold, runs of anything else as one `_`, no `_` at the ends. */
function word(text: string): string {
  return text.replace(/[^a-zA-Z0-9]+/g, '_').replace(/^_+|_+$/g, '')
}

/**
 * The unit suffix of a Prometheus name for an OpenTelemetry unit: `s` -> `seconds`, `By/s` ->
 * `bytes_per_second`, `1` -> `ratio` on gauges (nothing elsewhere), `{request}` -> nothing
 * (curly braces are annotations). An empty string when the name takes no unit.
 */
export function unitSuffix(unit: string | undefined, gauge: boolean): string {
  if (unit === undefined) return ''
  const bare = unit.replace(/\{[^}]*\}/g, '').trim()
  if (bare === '') return ''
  if (bare === '1') return gauge ? 'ratio' : ''
  const slash = bare.indexOf('/')
  if (slash === -1) return word(UNIT_WORDS[bare] ?? bare)
  const top = bare.slice(0, slash).trim()
  const bottom = bare.slice(slash + 1).trim()
  const over = word(PER_WORDS[bottom] ?? UNIT_WORDS[bottom] ?? bottom)
  const of = top === '1' ? '' : word(UNIT_WORDS[top] ?? top)
  if (over === '') return of
  return of === '' ? `per_${over}` : `${of}_per_${over}`
}

/** The instrument name syntax of the OpenTelemetry API (instruments with another name are refused). */
export function isValidInstrumentName(name: unknown): name is string {
  return typeof name === 'string' && /^[a-zA-Z][a-zA-Z0-9_.\-/]{0,254}$/.test(name)
}

/** The Prometheus name of an instrument and the unit written on its `# UNIT` line. */
export interface PrometheusName {
  /** The metric name; a counter's ends with `_total`. */
  name: string
  /** The unit word the name ends with, undefined when it takes none. */
  unit: string | undefined
}

/**
 * The Prometheus name of an instrument (whose name passed {@link isValidInstrumentName}), as the OpenTelemetry "Prometheus and OpenMetrics
 * compatibility" specification builds it: characters other than `[a-zA-Z0-9_:]` become `_`
 * (runs of `_` become one), the unit word is appended unless the name already ends with it,
 * and a counter ends with `_total`.
 *
 * @example
 * ```ts
 * prometheusName('http.server.request.duration', 's', 'histogram') // { name: 'http_server_request_duration_seconds', unit: 'seconds' }
 * ```
 */
export function prometheusName(name: string, unit: string | undefined, kind: InstrumentKind): PrometheusName {
  const type = METRIC_TYPE_OF[kind]
  let base = name.replace(/[^a-zA-Z0-9_:]/g, '_')
  base = base.replace(/__+/g, '_')
  if (base.length > 1) base = base.replace(/_+$/, '')
  if (type === 'counter' && base.endsWith('_total')) base = base.slice(0, -6)
  const suffix = unitSuffix(unit, kind === 'gauge' || kind === 'observable_gauge')
  if (suffix !== '' && !base.endsWith(`_${suffix}`)) base = `${base}_${suffix}`
  return { name: type === 'counter' ? `${base}_total` : base, unit: suffix === '' ? undefined : suffix }
}

/**
 * The label name of an attribute key: characters other than `[a-zA-Z0-9_]` become `_`; a key
 * starting with a digit, or with the `__` Prometheus reserves, takes a `key_` (`key`) prefix,
 * and so does `le` on a histogram (where `le` names the bucket).
 *
 * @example
 * ```ts
 * labelName('http.response.status_code', 'counter') // 'http_response_status_code'
 * ```
 */
export function labelName(key: string, kind: InstrumentKind): string {
  const name = key.replace(/[^a-zA-Z0-9_]/g, '_')
  if (name === '') return 'key_'
  const first = name.charCodeAt(0)
  if (first >= 48 && first <= 57) return `key_${name}`
  if (name.startsWith('__')) return `key${name}`
  if (name === 'le' && kind === 'histogram') return 'key_le'
  return name
}
