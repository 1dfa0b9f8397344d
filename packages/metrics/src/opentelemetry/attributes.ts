import type { Attributes } from '@opentelemetry/api'
import { type InstrumentKind, labelName } from './names.ts'

/**
 * The label value of an attribute value: a string as is, a number or boolean in its string form,
 * an array as JSON. `undefined` for an absent value (the attribute is left out), `null` for a
 * value no label can hold (an object, a bigint; the API's types allow neither).
 */
export function labelValue(value: unknown): string | undefined | null {
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (value === undefined || value === null) return undefined
  if (Array.isArray(value)) {
    try {
      return JSON.stringify(value)
    } catch {
      return null
    }
  }
  return null
}

/**
 * The labels of a recording: the scope labels, then each attribute under its label name, keys
 * taken in sorted order so that two keys that become the same label name (`a.b` and `a-b`) are
 * joined as `value;value` ordered by the original key, as the compatibility specification asks.
 * `null` when an attribute holds a value no label can hold.
 */
export function attributeLabels(
  attributes: Attributes | undefined,
  scope: ReadonlyMap<string, string>,
  kind: InstrumentKind,
): Map<string, string> | null {
  const labels = new Map(scope)
  if (attributes === undefined || attributes === null || typeof attributes !== 'object') return labels
  const keys: string[] = []
  // for-in, as the common path in Family reads them: the same keys either way.
  for (const key in attributes) keys.push(key)
  for (const key of keys.sort()) {
    const value = labelValue(attributes[key])
    if (value === undefined) continue
    if (value === null) return null
    const name = labelName(key, kind)
    const before = labels.get(name)
    labels.set(name, before === undefined ? value : `${before};${value}`)
  }
  return labels
}
