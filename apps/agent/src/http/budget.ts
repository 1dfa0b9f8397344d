/**
 * What one answer of the API may carry. Lists are bounded twice: by count (each route's
 * `limit`) and by the bytes of their JSON, so no request holds more than a few MB however big
 * the records a service made (a hostile /metrics, a chatty check message) and none blocks the
 * event loop for long writing it.
 */
export const ANSWER_BYTES = 4 * 1024 * 1024

/**
 * The items, in order, whose JSON fits in `maxBytes`, and how many were left out. With
 * `fromEnd` the last items are kept (a list whose newest items come last).
 */
export function fitting<T>(
  items: readonly T[],
  maxBytes: number,
  fromEnd = false,
): { items: T[]; omitted: number } {
  let bytes = 2
  let kept = 0
  for (let i = 0; i < items.length; i++) {
    const item = items[fromEnd ? items.length - 1 - i : i]
    bytes += (JSON.stringify(item)?.length ?? 4) + 1
    if (bytes > maxBytes) break
    kept++
  }
  return {
    items: fromEnd ? items.slice(items.length - kept) : items.slice(0, kept),
    omitted: items.length - kept,
  }
}

/**
 * Where the next page of a newest-first list starts: before the time of the last item shown,
 * when the page is full (it may have more) or was cut to fit.
 */
export function nextPage<T>(
  shown: readonly T[],
  requested: number,
  fetched: number,
  timeOf: (item: T) => number,
): { before: number } | undefined {
  const last = shown.at(-1)
  if (!last || (fetched < requested && shown.length === fetched)) return undefined
  return { before: timeOf(last) }
}
