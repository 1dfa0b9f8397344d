import type { ExpositionFormat } from './text.ts'

/** Content type of the Prometheus text format 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'
/** Content type of OpenMetrics 1.0.0 text. */
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8'

/**
 * The content type to send with an exposition in `format`.
 *
 * @example
 * ```ts
 * contentTypeOf('openmetrics') // 'application/openmetrics-text; version=1.0.0; charset=utf-8'
 * ```
 */
export function contentTypeOf(format: ExpositionFormat): string {
  return format === 'openmetrics' ? OPENMETRICS_CONTENT_TYPE : PROMETHEUS_CONTENT_TYPE
}

/** What {@link negotiate} chose. */
export interface Negotiated {
  format: ExpositionFormat
  contentType: string
}

const MAX_ACCEPT = 4096

/**
 * Picks the exposition format from an HTTP Accept header: OpenMetrics when the client ranks
 * `application/openmetrics-text` (version 1.0.0 or none) at least as high as plain text,
 * otherwise the Prometheus text format (also for a missing or unreadable header).
 *
 * @example
 * ```ts
 * const { format, contentType } = negotiate(req.headers.accept)
 * res.setHeader('content-type', contentType)
 * res.end(await registry.metrics(format))
 * ```
 */
export function negotiate(accept: string | null | undefined): Negotiated {
  const prometheus = { format: 'prometheus', contentType: PROMETHEUS_CONTENT_TYPE } as const
  if (typeof accept !== 'string' || accept === '') return prometheus
  let openmetrics = -1
  let text = -1
  for (const range of accept.slice(0, MAX_ACCEPT).split(',')) {
    const [type = '', ...params] = range.split(';').map((p) => p.trim().toLowerCase())
    let q = 1
    let version: string | undefined
    for (const param of params) {
      const eq = param.indexOf('=')
      if (eq < 0) continue
      const key = param.slice(0, eq).trim()
      const value = param.slice(eq + 1).trim()
      if (key === 'q') {
        const parsed = Number(value)
        q = Number.isFinite(parsed) ? Math.min(Math.max(parsed, 0), 1) : 0
      } else if (key === 'version') version = value
    }
    if (q <= 0) continue
    if (type === 'application/openmetrics-text' && (version === undefined || version === '1.0.0')) {
      openmetrics = Math.max(openmetrics, q)
    } else if (type === 'text/plain' || type === 'text/*' || type === '*/*') {
      text = Math.max(text, q)
    }
  }
  return openmetrics >= 0 && openmetrics >= text
    ? { format: 'openmetrics', contentType: OPENMETRICS_CONTENT_TYPE }
    : prometheus
}
