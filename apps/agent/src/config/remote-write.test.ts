import { describe, expect, it } from 'vitest'
import { formatConfigIssues, validateConfig } from './load.ts'

/** A `${NAME}` reference as written in a config file. */
const ref = (name: string) => ['$', '{', name, '}'].join('')
const remoteWrite = (rw: Record<string, unknown>) => ({ integrations: { prometheus: { remoteWrite: rw } } })

describe('integrations.prometheus.remoteWrite', () => {
  it('should fill the defaults and keep remote write off when the section is absent', () => {
    const none = validateConfig({})
    expect(none.ok && none.config.integrations.prometheus.remoteWrite).toBeUndefined()
    const result = validateConfig(remoteWrite({ url: 'http://127.0.0.1:9090/api/v1/write' }))
    expect(result.ok && result.config.integrations.prometheus.remoteWrite).toEqual({
      enabled: true,
      url: 'http://127.0.0.1:9090/api/v1/write',
      intervalMs: 5_000,
      maxSamplesPerSend: 2_000,
      maxQueuedSamples: 100_000,
      timeout: 10_000,
      headers: {},
      externalLabels: {},
    })
  })

  it('should list every problem with its path', () => {
    const result = validateConfig(
      remoteWrite({
        url: 'ftp://example.com/write',
        intervalMs: 10,
        maxSamplesPerSend: 5_000,
        maxQueuedSamples: 1_000,
        headers: { 'Content-Encoding': 'gzip' },
        externalLabels: { 'agent-id': 'eu-1', __tenant: 'a' },
        batch: 3,
      }),
    )
    expect(result.ok).toBe(false)
    const lines = result.ok ? [] : formatConfigIssues(result.issues).join('\n')
    // The URL is never echoed: it may carry a credential.
    expect(lines).toContain(
      'integrations.prometheus.remoteWrite.url: expected an http:// or https:// URL of a remote-write receiver, such as http://127.0.0.1:9090/api/v1/write; found a secret',
    )
    expect(lines).not.toContain('ftp:')
    expect(lines).toContain(
      'integrations.prometheus.remoteWrite.intervalMs: Too small: expected number to be >=100; found 10',
    )
    expect(lines).toContain(
      'integrations.prometheus.remoteWrite.headers.Content-Encoding: is set by remote write itself',
    )
    expect(lines).toContain('integrations.prometheus.remoteWrite.batch: unknown key')
    expect(lines).toContain(
      'integrations.prometheus.remoteWrite.externalLabels.agent-id: expected a label name',
    )
    expect(lines).toContain(
      'integrations.prometheus.remoteWrite.externalLabels.__tenant: names starting with __ are reserved',
    )
  })

  it('should refuse a queue smaller than one batch', () => {
    const result = validateConfig(
      remoteWrite({
        url: 'http://127.0.0.1:9090/api/v1/write',
        maxSamplesPerSend: 5_000,
        maxQueuedSamples: 1_000,
      }),
    )
    expect(result.ok ? [] : formatConfigIssues(result.issues)).toEqual([
      'integrations.prometheus.remoteWrite.maxQueuedSamples: must be at least maxSamplesPerSend (5000): a full batch must fit in the queue; found 1000',
    ])
  })

  it('should refuse credentials written in the file, and never echo the URL', () => {
    const result = validateConfig(
      remoteWrite({
        url: 'https://joe:hunter2@mimir.example.com/api/v1/push',
        headers: { authorization: 'Bearer literal-token-0123' },
        basicAuth: { username: 'joe', password: 'hunter3' },
      }),
    )
    expect(result.ok).toBe(false)
    const lines = result.ok ? '' : formatConfigIssues(result.issues).join('\n')
    expect(lines).toContain('integrations.prometheus.remoteWrite.url: holds a password')
    expect(lines).toContain('integrations.prometheus.remoteWrite.headers.authorization: is a secret')
    expect(lines).toContain('integrations.prometheus.remoteWrite.basicAuth.password: is a secret')
    for (const secret of ['hunter2', 'hunter3', 'literal-token']) expect(lines).not.toContain(secret)
    const bad = validateConfig(remoteWrite({ url: 'not a url with a secret-in-it' }))
    expect(bad.ok ? '' : formatConfigIssues(bad.issues).join('\n')).not.toContain('secret-in-it')
  })

  it('should let prometheus.enabled: false turn remote write off, its variables not needed', () => {
    const result = validateConfig({
      integrations: {
        prometheus: {
          enabled: false,
          remoteWrite: { url: `https://joe:${ref('RW_PASSWORD')}@mimir.example.com/push` },
        },
      },
    })
    expect(result.ok ? result.config.integrations.prometheus.enabled : result.issues).toBe(false)
  })

  it('should take credentials from the environment', () => {
    const result = validateConfig(
      remoteWrite({
        url: `https://joe:${ref('RW_PASSWORD')}@mimir.example.com/api/v1/push`,
        headers: { authorization: `Bearer ${ref('RW_TOKEN')}`, 'X-Scope-OrgID': 'team-a' },
      }),
      { RW_PASSWORD: 'p4ss', RW_TOKEN: 't0k' },
    )
    expect(result.ok ? result.config.integrations.prometheus.remoteWrite : result.issues).toMatchObject({
      url: 'https://joe:p4ss@mimir.example.com/api/v1/push',
      headers: { authorization: 'Bearer t0k', 'X-Scope-OrgID': 'team-a' },
    })
  })
})
