/** A value of the query as a problem message shows it: quoted, at most 64 characters. */
export const shownParam = (value: string): string => JSON.stringify(value.slice(0, 64))

/**
 * The first problem of a list route's query in words, or undefined: a parameter the route does
 * not know (`allowed: ...`), or one of `single` given twice.
 */
export function unknownOrRepeated(
  params: Record<string, string[]>,
  known: readonly string[],
  single: readonly string[] = known,
): string | undefined {
  for (const key of Object.keys(params))
    if (!known.includes(key)) return `${shownParam(key)}: unknown parameter; allowed: ${known.join(', ')}`
  for (const key of single)
    if ((params[key]?.length ?? 0) > 1) return `${key}: expected one value; found ${params[key]?.length}`
  return undefined
}

/** `?limit=` of a list route: `fallback` when absent, a whole number from 1 to `max`, or the problem in words. */
export function limitParam(text: string | undefined, fallback: number, max: number): number | string {
  if (text === undefined) return fallback
  const limit = Number(text)
  if (!/^\d+$/.test(text) || limit < 1 || limit > max)
    return `limit: expected a whole number from 1 to ${max}; found ${shownParam(text)}`
  return limit
}
