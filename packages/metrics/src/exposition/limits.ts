import { ConfigError, type ConfigIssue } from '@noa/core'
import type { ParsedSample } from './parse.ts'

/** Why the parser left a sample out: the keys of `dropped` in a {@link ParseResult}. */
export type ParseDropReason = 'series_limit' | 'label_count' | 'label_name_length' | 'label_value_length'

/** Samples left out by the limits, by reason (0 for a reason that dropped nothing). */
export type ParseDropped = Record<ParseDropReason, number>

/**
 * Bounds on what one exposition can make the parser read and hold, as Prometheus' scrape
 * `sample_limit`, `label_limit`, `label_name_length_limit` and `label_value_length_limit`. A
 * limit left out is off. Unlike Prometheus, which fails the whole scrape, what is over a limit is
 * left out and counted, and the rest is kept.
 *
 * @example
 * ```ts
 * parseExposition(text, { limits: { series: 10_000, labelValueLength: 1024 } })
 * ```
 */
export interface ParseLimits {
  /**
   * Most sample lines read. The first `series` sample lines are read (and kept unless a label
   * limit drops them); every later one is counted as `series_limit` without being read or checked,
   * so a huge exposition costs one pass over its line breaks and holds at most `series` samples.
   * Families count too: no more than `series` families are made.
   * @default no limit
   */
  series?: number
  /** Most labels on one sample (the metric name is not counted). @default no limit */
  labelCount?: number
  /** Longest label name, in UTF-8 bytes. @default no limit */
  labelNameLength?: number
  /** Longest label value, in UTF-8 bytes; also the longest metric name (Prometheus' `__name__`). @default no limit */
  labelValueLength?: number
}

const LIMIT_KEYS = ['series', 'labelCount', 'labelNameLength', 'labelValueLength'] as const

/** A parser's limits checked at once: positive integers (or Infinity). Throws a ConfigError listing every problem. */
export function checkLimits(limits: ParseLimits | undefined): Required<ParseLimits> {
  const out = {} as Required<ParseLimits>
  const issues: ConfigIssue[] = []
  const given = (limits ?? {}) as Record<string, unknown>
  for (const key of LIMIT_KEYS) {
    const value = given[key] ?? Number.POSITIVE_INFINITY
    if (typeof value !== 'number' || !(value >= 1) || (Number.isFinite(value) && !Number.isInteger(value)))
      issues.push({
        path: `limits.${key}`,
        message: `must be a positive integer; found ${typeof value === 'number' ? value : JSON.stringify(value)}`,
      })
    else out[key] = value
  }
  if (issues.length > 0) throw new ConfigError(issues)
  return out
}

/** True when `s` is longer than `limit` UTF-8 bytes, counting bytes only near the limit. */
function overBytes(s: string, limit: number): boolean {
  // A UTF-16 unit is 1 to 3 UTF-8 bytes (a surrogate pair, 2 units, is 4).
  if (s.length > limit) return true
  if (s.length * 3 <= limit) return false
  let bytes = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    bytes += c < 0x80 ? 1 : c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 2 : 3
  }
  return bytes > limit
}

/**
 * @internal What the limits let a parser read: every sample line goes through it once. It counts
 * what is read and dropped, and says when the series limit is reached (`full`): from then on the
 * parser is not called, and sample lines are only counted.
 */
export class Intake {
  readonly dropped: ParseDropped = {
    series_limit: 0,
    label_count: 0,
    label_name_length: 0,
    label_value_length: 0,
  }
  /** Sample lines seen, read or counted past the limit. */
  seen = 0
  /** The series limit is reached: the rest is counted, not read. */
  full = false
  readonly #limits: Required<ParseLimits>
  #read = 0
  #families = 0
  readonly #labelsChecked: boolean

  constructor(limits: Required<ParseLimits>) {
    this.#limits = limits
    this.#labelsChecked =
      Number.isFinite(limits.labelCount) ||
      Number.isFinite(limits.labelNameLength) ||
      Number.isFinite(limits.labelValueLength)
  }

  /** Reads a sample (true: keep it) or drops it for a label limit (false), counting either. */
  admit(sample: ParsedSample): boolean {
    this.seen++
    const reason = this.#labelsChecked ? this.#check(sample) : undefined
    if (reason !== undefined) this.dropped[reason]++
    if (++this.#read >= this.#limits.series) this.full = true
    return reason === undefined
  }

  /** Counts a sample line past the series limit (or one that would need a family past it). */
  overflow(): void {
    this.seen++
    this.dropped.series_limit++
    this.full = true
  }

  /** Whether another family may be made; past the limit the parser is full. */
  family(): boolean {
    if (this.#families >= this.#limits.series) {
      this.full = true
      return false
    }
    this.#families++
    return true
  }

  #check(sample: ParsedSample): ParseDropReason | undefined {
    const { labelCount, labelNameLength, labelValueLength } = this.#limits
    if (overBytes(sample.name, labelValueLength)) return 'label_value_length'
    let count = 0
    for (const name in sample.labels) {
      if (++count > labelCount) return 'label_count'
      if (overBytes(name, labelNameLength)) return 'label_name_length'
      if (overBytes(sample.labels[name] as string, labelValueLength)) return 'label_value_length'
    }
    return undefined
  }
}
