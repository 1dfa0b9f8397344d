// The Prometheus text format 0.0.4, read as leniently as Prometheus does.
import { isValidMetricName } from '../names.ts'
import type { Intake } from './limits.ts'
import type { MetricFamily, ParsedMetricType } from './parse.ts'
import { Fail, type LineParser, scanSample, unescapeHelp } from './scan.ts'

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

type PromFamily = MetricFamily & { typed: boolean; helped: boolean }

export class PrometheusParser implements LineParser {
  readonly #byName = new Map<string, PromFamily>()
  readonly #order: MetricFamily[] = []
  #current: PromFamily | undefined
  #eof = false

  readonly #intake: Intake
  constructor(intake: Intake) {
    this.#intake = intake
  }

  line(raw: string, no: number): void {
    if (this.#eof) return
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw
    let i = 0
    while (i < line.length && (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9)) i++
    if (i === line.length) return
    if (line.charCodeAt(i) === 35) {
      const body = line.slice(i + 1).trim()
      if (body === 'EOF') {
        this.#eof = true
        return
      }
      const m = /^(HELP|TYPE)[ \t]+(\S+)(?:[ \t]+([\s\S]*))?$/.exec(body)
      if (m === null) return // an ordinary comment
      const [, keyword, name = '', rest = ''] = m
      if (!isValidMetricName(name)) throw new Fail(no, `invalid metric name ${JSON.stringify(name)}`)
      if (!this.#byName.has(name) && !this.#intake.family()) return
      const family = this.#family(name)
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
      this.#current = family
      return
    }
    const sample = scanSample(line.slice(i), no, true)
    const found = this.#owner(sample.name)
    if (found === undefined && !this.#intake.family()) {
      this.#intake.overflow()
      return
    }
    if (!this.#intake.admit(sample)) return
    const family = found ?? this.#family(sample.name)
    this.#current = family
    family.samples.push(sample)
  }

  finish(): MetricFamily[] {
    return this.#order.map(({ name, type, help, unit, samples }) => ({ name, type, help, unit, samples }))
  }

  /** The family a sample belongs to, when it has one yet (it becomes the current one). */
  #owner(sampleName: string): PromFamily | undefined {
    const current = this.#current
    if (current !== undefined && belongs(current, sampleName)) return current
    let found = this.#byName.get(sampleName)
    for (const suffix of ['_total', '_created', '_bucket', '_sum', '_count', '_gsum', '_gcount', '_info']) {
      if (found !== undefined) break
      if (!sampleName.endsWith(suffix)) continue
      const base = this.#byName.get(sampleName.slice(0, -suffix.length))
      if (base !== undefined && belongs(base, sampleName)) found = base
    }
    if (found !== undefined) this.#current = found
    return found
  }

  #family(name: string): PromFamily {
    let family = this.#byName.get(name)
    if (family === undefined) {
      family = { name, type: 'unknown', help: '', unit: '', samples: [], typed: false, helped: false }
      this.#byName.set(name, family)
      this.#order.push(family)
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
