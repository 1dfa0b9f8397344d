import { describe, expect, it } from 'vitest'
import { formatConfigIssues, validateConfig } from './load.ts'

const otlp = (section: Record<string, unknown>) => ({ integrations: { otlp: section } })

describe('integrations.otlp', () => {
  it('should fill the defaults and keep the export off when the section is absent', () => {
    const none = validateConfig({})
    expect(none.ok && none.config.integrations.otlp).toBeUndefined()
    const result = validateConfig(otlp({ url: 'http://127.0.0.1:4318/v1/metrics' }))
    expect(result.ok && result.config.integrations.otlp).toEqual({
      enabled: true,
      url: 'http://127.0.0.1:4318/v1/metrics',
      protocol: 'http/protobuf',
      intervalMs: 10_000,
      timeout: 10_000,
      maxPointsPerRequest: 10_000,
      headers: {},
      resource: {},
    })
  })

  it('should list every problem with its path, without echoing the URL', () => {
    const result = validateConfig(
      otlp({
        url: 'grpc://collector:4317?token=s3cret',
        protocol: 'grpc',
        intervalMs: 10,
        headers: { 'Content-Type': 'text/plain' },
        resource: { 'team.size': [1] },
        endpoint: 'x',
      }),
    )
    expect(result.ok).toBe(false)
    const lines = result.ok ? '' : formatConfigIssues(result.issues).join('\n')
    expect(lines).toContain(
      'integrations.otlp.url: expected an http:// or https:// URL of an OTLP/HTTP metrics endpoint',
    )
    expect(lines).toContain('integrations.otlp.protocol')
    expect(lines).toContain('integrations.otlp.intervalMs')
    expect(lines).toContain('integrations.otlp.headers.Content-Type: is set by the OTLP export itself')
    expect(lines).toContain('integrations.otlp.resource.team.size')
    expect(lines).toContain('integrations.otlp.endpoint')
    expect(lines).not.toContain('s3cret')
  })

  it('should refuse credentials in the URL: they belong in headers, from the environment', () => {
    const result = validateConfig(otlp({ url: 'https://user:pass@otlp.example.com/v1/metrics' }))
    expect(result.ok).toBe(false)
    const lines = result.ok ? '' : formatConfigIssues(result.issues).join('\n')
    expect(lines).toContain('integrations.otlp.url')
    expect(lines).not.toContain('pass@')
  })

  it('should take the header value from the environment', () => {
    const result = validateConfig(
      otlp({
        url: 'https://otlp.example.com/v1/metrics',
        headers: { authorization: `Bearer ${'$'}{OTLP_TOKEN}` },
      }),
      { OTLP_TOKEN: 'abc' },
    )
    expect(result.ok && result.config.integrations.otlp?.headers).toEqual({ authorization: 'Bearer abc' })
  })
})
