import { describe, expect, it } from 'vitest'
import { formatConfigIssues, validateConfig } from './load.ts'

const api = (slo: unknown, extra: Record<string, unknown> = {}) => ({
  services: [{ name: 'api', check: { type: 'http', url: 'http://127.0.0.1:1/health' }, slo, ...extra }],
})

const problems = (input: unknown) => {
  const result = validateConfig(input)
  return result.ok ? [] : formatConfigIssues(result.issues)
}

describe('services[].slo', () => {
  it('should accept objectives and fill the 30-day window', () => {
    const result = validateConfig(
      api(
        {
          availability: { objective: 99.9 },
          latency: {
            objective: 99,
            thresholdMs: 300,
            metric: 'http_request_duration_seconds',
            windowDays: 7,
          },
          holdRiskyHealing: true,
        },
        { metrics: 'http://127.0.0.1:1/metrics' },
      ),
    )
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect(result.config.services[0]?.slo).toEqual({
      availability: { objective: 99.9, windowDays: 30 },
      latency: { objective: 99, thresholdMs: 300, metric: 'http_request_duration_seconds', windowDays: 7 },
      holdRiskyHealing: true,
    })
    expect(result.config.slo).toEqual({ holdRiskyHealing: false, interval: 60_000 })
  })

  it('should refuse an objective outside (0, 100), naming its path', () => {
    expect(problems(api({ availability: { objective: 100 } }))).toEqual([
      'services.api.slo.availability.objective: expected an objective in percent above 0 and below 100, such as 99.9 (100 leaves no error budget); found 100',
    ])
    expect(problems(api({ availability: { objective: 0 } }))).toEqual([
      'services.api.slo.availability.objective: expected an objective in percent above 0 and below 100, such as 99.9; found 0',
    ])
  })

  it('should refuse an empty SLO, a window over 90 days and a histogram named by its series', () => {
    expect(problems(api({}))).toEqual([
      'services.api.slo: expected an availability or a latency objective (or both); found a object',
    ])
    expect(problems(api({ availability: { objective: 99, windowDays: 365 } }))).toEqual([
      'services.api.slo.availability.windowDays: expected a whole number of days up to 90; found 365',
    ])
    expect(
      problems(
        api(
          { latency: { objective: 99, thresholdMs: 300, metric: 'http_request_duration_seconds_bucket' } },
          { metrics: 'http://127.0.0.1:1/metrics' },
        ),
      ),
    ).toEqual([
      'services.api.slo.latency.metric: expected the histogram name without _bucket, _count or _sum, e.g. http_request_duration_seconds; found "http_request_duration_seconds_bucket"',
    ])
  })

  it('should refuse a latency objective of a service whose /metrics is not scraped', () => {
    expect(
      problems(
        api({ latency: { objective: 99, thresholdMs: 300, metric: 'http_request_duration_seconds' } }),
      ),
    ).toEqual([
      'services.api.slo.latency: needs services.api.metrics (the /metrics URL the histogram http_request_duration_seconds is scraped from)',
    ])
  })
})
