// OpenMetrics 1.0, strict: every rule the reference parser checks.
import { isValidMetricName } from '../names.ts'
import type { Intake } from './limits.ts'
import type { MetricFamily, ParsedMetricType, ParsedSample } from './parse.ts'
import { Fail, type LineParser, parseNumber, scanSample, splitN, unescapeHelp } from './scan.ts'

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
  /** A sample line was read (kept or not): metadata must come before. */
  sampled: boolean
  /** A limit left samples out, so the histogram rules cannot be checked. */
  partial: boolean
}

export class OpenMetricsParser implements LineParser {
  readonly #families: MetricFamily[] = []
  readonly #seenNames = new Set<string>()
  #family: OpenFamily | undefined
  #eof = false

  readonly #intake: Intake
  constructor(intake: Intake) {
    this.#intake = intake
  }

  line(line: string, no: number): void {
    if (this.#eof) throw new Fail(no, 'text after "# EOF"')
    if (line === '') throw new Fail(no, 'blank line (not allowed in OpenMetrics)')
    if (line === '# EOF') {
      this.#eof = true
      return
    }
    if (line.charCodeAt(0) === 35) this.#metadata(line, no)
    else this.#sample(line, no)
  }

  finish(lastLine: number): MetricFamily[] {
    this.#close(lastLine)
    if (!this.#eof) throw new Fail(lastLine, 'missing "# EOF" at the end')
    return this.#families
  }

  #metadata(line: string, no: number): void {
    const parts = splitN(line, 3)
    if (parts.length < 4 || parts[0] !== '#')
      throw new Fail(no, 'invalid line: a comment must be # HELP, # TYPE or # UNIT')
    const [, keyword, name, rest] = parts as [string, string, string, string]
    if (!isValidMetricName(name)) throw new Fail(no, `invalid metric name ${JSON.stringify(name)}`)
    let family = this.#family
    if (family !== undefined && family.name === name && family.sampled) {
      throw new Fail(no, `metadata for "${name}" after its samples`)
    }
    if (family === undefined || family.name !== name) {
      this.#close(no)
      if (!this.#intake.family()) return
      family = this.#open(name, undefined, no)
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

  #open(name: string, type: ParsedMetricType | undefined, _no: number): OpenFamily {
    this.#family = {
      name,
      type,
      help: undefined,
      unit: undefined,
      samples: [],
      allowed: [name],
      group: undefined,
      groupTimestamp: undefined,
      seenGroups: new Set(),
      sampled: false,
      partial: false,
    }
    return this.#family
  }

  #sample(line: string, no: number): void {
    const sample = scanSample(line, no, false)
    let family = this.#family
    if (family === undefined || !family.allowed.includes(sample.name)) {
      this.#close(no)
      if (!this.#intake.family()) {
        this.#intake.overflow()
        return
      }
      family = this.#open(sample.name, 'unknown', no)
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
    family.sampled = true
    if (!this.#intake.admit(sample)) {
      family.partial = true
      return
    }
    this.#checkGroup(family, type, sample, suffix, no)
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

  #checkGroup(family: OpenFamily, type: string, sample: ParsedSample, suffix: string, no: number): void {
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

  #close(no: number): void {
    const family = this.#family
    if (family === undefined) return
    this.#family = undefined
    const type = family.type ?? 'unknown'
    const { name } = family
    for (const suffix of new Set([...(TYPE_SUFFIXES[type] ?? []), ''])) {
      if (this.#seenNames.has(name + suffix)) throw new Fail(no, `clashing name "${name + suffix}"`)
      this.#seenNames.add(name + suffix)
    }
    const unit = family.unit ?? ''
    if (unit !== '' && !name.endsWith(`_${unit}`))
      throw new Fail(no, `"${name}" must end with its unit "_${unit}"`)
    if (unit !== '' && (type === 'info' || type === 'stateset'))
      throw new Fail(no, `${type} "${name}" cannot have a unit`)
    // A histogram cut by a limit is kept as read; its rules hold only for a whole one.
    const whole = !family.partial && this.#intake.dropped.series_limit === 0
    if (whole && (type === 'histogram' || type === 'gaugehistogram'))
      checkHistogram(family.name, family.samples, no)
    this.#families.push({ name, type, help: family.help ?? '', unit, samples: family.samples })
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
