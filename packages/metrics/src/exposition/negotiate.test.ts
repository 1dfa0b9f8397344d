import { describe, expect, it } from 'vitest'
import { contentTypeOf, negotiate, OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE } from './negotiate.ts'
import { formatOfContentType } from './parse.ts'

describe('negotiate', () => {
  it("should pick OpenMetrics for Prometheus' own scrape Accept header", () => {
    const accept =
      'application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2'
    expect(negotiate(accept)).toEqual({ format: 'openmetrics', contentType: OPENMETRICS_CONTENT_TYPE })
  })

  it('should pick the Prometheus text format otherwise', () => {
    for (const accept of [
      undefined,
      null,
      '',
      'text/plain',
      '*/*',
      'application/json',
      'text/plain;q=0.9,application/openmetrics-text;q=0.5',
      'application/openmetrics-text;version=2.0.0',
      'application/openmetrics-text;q=0',
      'application/openmetrics-text;q=abc',
      'garbage;;;=,=',
    ]) {
      expect(negotiate(accept)).toEqual({ format: 'prometheus', contentType: PROMETHEUS_CONTENT_TYPE })
    }
  })

  it('should accept OpenMetrics without a version and ignore case and spaces', () => {
    expect(negotiate('Application/OpenMetrics-Text ; q=1, text/plain; q=1').format).toBe('openmetrics')
  })

  it('should map formats and content types both ways', () => {
    expect(contentTypeOf('openmetrics')).toBe(OPENMETRICS_CONTENT_TYPE)
    expect(contentTypeOf('prometheus')).toBe(PROMETHEUS_CONTENT_TYPE)
    expect(formatOfContentType(OPENMETRICS_CONTENT_TYPE)).toBe('openmetrics')
    expect(formatOfContentType(PROMETHEUS_CONTENT_TYPE)).toBe('prometheus')
    expect(formatOfContentType(null)).toBe('prometheus')
  })
})
