import type { ExpositionFormat, Registry } from '@noa/metrics'

/**
 * The registry's exposition for `GET /metrics` as UTF-8 bytes (encoded slice by slice, so the
 * 2 MB text of a large fleet is not kept on the heap as a string while it is written), one
 * render per format at a time: a scrape that
 * arrives while one of its format is being written is answered with that text instead of a
 * second render. At 10,000 services a render is some 40,000 lines and a walk of the fleet; two
 * Prometheus servers (or a retry) scraping at once would each pay for it.
 */
export function sharedExposition(registry: Registry): (format: ExpositionFormat) => Promise<Uint8Array> {
  const rendering = new Map<ExpositionFormat, Promise<Uint8Array>>()
  return (format) => {
    let text = rendering.get(format)
    if (text === undefined) {
      text = registry.metricsBytes(format).finally(() => rendering.delete(format))
      rendering.set(format, text)
    }
    return text
  }
}
