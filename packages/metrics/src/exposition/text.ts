/** The two text formats noa writes and reads. */
export type ExpositionFormat = 'prometheus' | 'openmetrics'

/**
 * Escapes a label value for both formats: backslash, double quote and line feed.
 *
 * @example
 * ```ts
 * escapeLabelValue('say "hi"\n') // 'say \\"hi\\"\\n'
 * ```
 */
export function escapeLabelValue(value: string): string {
  let needs = false
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c === 92 || c === 34 || c === 10) {
      needs = true
      break
    }
  }
  if (!needs) return value
  let out = ''
  for (const ch of value) out += ch === '\\' ? '\\\\' : ch === '"' ? '\\"' : ch === '\n' ? '\\n' : ch
  return out
}

/**
 * Escapes HELP text: backslash and line feed in Prometheus 0.0.4; OpenMetrics also escapes
 * the double quote.
 *
 * @example
 * ```ts
 * escapeHelp('a "b"', 'openmetrics') // 'a \\"b\\"'
 * ```
 */
export function escapeHelp(help: string, format: ExpositionFormat): string {
  let out = ''
  for (const ch of help) {
    if (ch === '\\') out += '\\\\'
    else if (ch === '\n') out += '\\n'
    else if (ch === '"' && format === 'openmetrics') out += '\\"'
    else out += ch
  }
  return out
}

/**
 * A sample value as both formats spell it: `+Inf`, `-Inf`, `NaN`, else the shortest round-trip decimal.
 *
 * @example
 * ```ts
 * formatValue(Number.POSITIVE_INFINITY) // '+Inf'
 * ```
 */
export function formatValue(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return '+Inf'
  if (value === Number.NEGATIVE_INFINITY) return '-Inf'
  if (Number.isNaN(value)) return 'NaN'
  return `${value}`
}

/**
 * Renders `name="value",...` for the given names and values (no braces); with `skipEmpty`, a
 * label whose value is empty is left out (both formats read it as absent).
 */
export function renderLabelPairs(
  names: readonly string[],
  values: readonly string[],
  skipEmpty = false,
): string {
  let out = ''
  for (let i = 0; i < names.length; i++) {
    if (skipEmpty && values[i] === '') continue
    if (out !== '') out += ','
    out += `${names[i]}="${escapeLabelValue(values[i]!)}"`
  }
  return out
}
