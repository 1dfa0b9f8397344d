import type { ConfigIssue } from '@noa/core'

/** What a metric type reserves: label names it may not use and the sample-name suffixes it writes. */
export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary'

// Hand-written scanners instead of regexes: linear, and they read like the Prometheus rule they check.
function isNameStart(c: number, colon: boolean): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || (colon && c === 58)
}
function isNameChar(c: number, colon: boolean): boolean {
  return isNameStart(c, colon) || (c >= 48 && c <= 57)
}

/**
 * True when `name` matches `[a-zA-Z_:][a-zA-Z0-9_:]*` (Prometheus metric names).
 *
 * @example
 * ```ts
 * isValidMetricName('http_requests_total') // true
 * ```
 */
export function isValidMetricName(name: string): boolean {
  if (name.length === 0 || !isNameStart(name.charCodeAt(0), true)) return false
  for (let i = 1; i < name.length; i++) if (!isNameChar(name.charCodeAt(i), true)) return false
  return true
}

/**
 * True when `name` matches `[a-zA-Z_][a-zA-Z0-9_]*` (Prometheus label names).
 *
 * @example
 * ```ts
 * isValidLabelName('status_class') // true
 * ```
 */
export function isValidLabelName(name: string): boolean {
  if (name.length === 0 || !isNameStart(name.charCodeAt(0), false)) return false
  for (let i = 1; i < name.length; i++) if (!isNameChar(name.charCodeAt(i), false)) return false
  return true
}

const METRIC_NAME_RULE = 'metric names must match [a-zA-Z_:][a-zA-Z0-9_:]*'
const LABEL_NAME_RULE = 'label names must match [a-zA-Z_][a-zA-Z0-9_]*'

/** Checks a metric name and its label names; returns every problem found, paths under `name`. */
export function checkNames(
  type: MetricType,
  name: unknown,
  labelNames: unknown,
  unit: unknown,
): ConfigIssue[] {
  const issues: ConfigIssue[] = []
  const at = typeof name === 'string' && name !== '' ? name : '(unnamed metric)'
  if (typeof name !== 'string' || !isValidMetricName(name)) {
    issues.push({ path: `${at}.name`, message: `${METRIC_NAME_RULE}; found ${JSON.stringify(name)}` })
  }
  if (labelNames !== undefined && !Array.isArray(labelNames)) {
    issues.push({
      path: `${at}.labelNames`,
      message: `must be an array of label names; found ${typeof labelNames}`,
    })
  } else if (Array.isArray(labelNames)) {
    const seen = new Set<string>()
    labelNames.forEach((label: unknown, i) => {
      const path = `${at}.labelNames[${i}]`
      if (typeof label !== 'string' || !isValidLabelName(label)) {
        issues.push({ path, message: `${LABEL_NAME_RULE}; found ${JSON.stringify(label)}` })
        return
      }
      if (label.startsWith('__')) {
        issues.push({ path, message: `label names starting with "__" are reserved; found "${label}"` })
      }
      if (type === 'histogram' && label === 'le') {
        issues.push({ path, message: 'label "le" is reserved for histogram buckets' })
      }
      if (type === 'summary' && label === 'quantile') {
        issues.push({ path, message: 'label "quantile" is reserved for summary quantiles' })
      }
      if (seen.has(label)) issues.push({ path, message: `label "${label}" is listed twice` })
      seen.add(label)
    })
  }
  if (unit !== undefined) {
    if (typeof unit !== 'string' || !/^[a-zA-Z0-9_:]+$/.test(unit)) {
      issues.push({
        path: `${at}.unit`,
        message: `units must match [a-zA-Z0-9_:]+; found ${JSON.stringify(unit)}`,
      })
    } else if (typeof name === 'string' && !familyName(type, name).endsWith(`_${unit}`)) {
      issues.push({
        path: `${at}.unit`,
        message: `OpenMetrics requires the metric name to end with "_${unit}" when its unit is "${unit}"`,
      })
    }
  }
  return issues
}

/** The OpenMetrics family name: a counter's name without its `_total` suffix. */
export function familyName(type: MetricType, name: string): string {
  return type === 'counter' && name.endsWith('_total') ? name.slice(0, -6) : name
}

const SUFFIXES: Record<MetricType, readonly string[]> = {
  counter: ['', '_total', '_created'],
  gauge: [''],
  histogram: ['', '_bucket', '_sum', '_count', '_created'],
  summary: ['', '_sum', '_count', '_created'],
}

/** Every sample name a metric writes (or reserves) in either format, for clash detection. */
export function reservedNames(type: MetricType, name: string): string[] {
  const family = familyName(type, name)
  return SUFFIXES[type].map((s) => family + s)
}
