import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { configJsonSchemaText } from './json-schema.ts'
import { formatConfigIssues, loadConfigFile, parseConfigText, validateConfig } from './load.ts'

/** A `${NAME}` reference as written in a config file. */
const ref = (name: string) => ['$', '{', name, '}'].join('')

const root = resolve(import.meta.dirname, '..', '..', '..', '..')
const dir = mkdtempSync(join(tmpdir(), 'noa-config-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const http = (name: string, port: number, extra: Record<string, unknown> = {}) => ({
  name,
  check: { type: 'http', url: `http://127.0.0.1:${port}/health` },
  ...extra,
})

describe('validateConfig', () => {
  it('should accept an empty object and fill the seed defaults', () => {
    const result = validateConfig({})
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect(result.config.healthChecks).toMatchObject({
      enabled: true,
      interval: 30_000,
      timeout: 5000,
      retries: 3,
    })
    expect(result.config.selfHealing).toMatchObject({
      maxRestarts: 5,
      restartCooldown: 60_000,
      shutdownTimeout: 30_000,
    })
    expect(result.config.metrics).toMatchObject({ collectInterval: 10_000, retentionDays: 30 })
    expect(result.config.dashboard).toMatchObject({ host: '127.0.0.1', port: 9300, refreshInterval: 5000 })
    expect(result.config.store).toEqual({ type: 'sqlite', path: 'data/noa.db' })
  })

  it('should give each service the healthChecks defaults unless it sets its own', () => {
    const result = validateConfig({
      healthChecks: { interval: 1000, timeout: 500, retries: 0 },
      services: [http('a', 1), http('b', 2, { interval: 200 })],
    })
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect(result.config.services.map((s) => [s.name, s.interval, s.timeout, s.retries])).toEqual([
      ['a', 1000, 500, 0],
      ['b', 200, 200, 0],
    ])
  })

  it('should turn the seed endpoints list into HTTP-checked services', () => {
    const result = validateConfig({
      healthChecks: { endpoints: [{ name: 'ui', url: 'http://127.0.0.1:9200/health' }] },
    })
    expect(result.ok && result.config.services.map((s) => [s.name, s.check])).toEqual([
      ['ui', expect.objectContaining({ type: 'http', url: 'http://127.0.0.1:9200/health' })],
    ])
  })

  it('should list every problem at once, each with its path, what was found and what is allowed', () => {
    const result = validateConfig({
      healthChecks: { interval: 5 },
      dashboard: { port: 99_999 },
      alerting: { channels: { slack: { enabled: true } } },
      services: [
        http('a', 1, { dependsOn: ['ghost'] }),
        { name: 'b', check: { type: 'htp', url: 'x' } },
        http('c', 3, { executor: { type: 'local', command: [] } }),
      ],
    })
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(formatConfigIssues(result.issues)).toEqual([
      'healthChecks.interval: Too small: expected number to be >=100; found 5',
      'dashboard.port: Too big: expected number to be <=65535; found 99999',
      'services.b.check.type: unknown checker type "htp"; allowed: http, https, tcp, command, process, postgres, redis',
      'services.a.dependsOn.0: unknown service "ghost"; known: a, b, c',
      'services.c.executor.command: must name a command: a non-empty argv array; found an array',
      'alerting.channels.slack.url: Invalid input: expected string, received undefined',
    ])
  })

  it('should refuse secrets written in the file and never echo them', () => {
    const secret = 'postgres://noa:hunter2@db/noa'
    const result = validateConfig({
      store: { type: 'postgres', connectionString: secret },
      alerting: { channels: { webhook: { url: 'https://hooks.example.com/T0/abc' } } },
    })
    expect(result.ok).toBe(false)
    if (result.ok) return
    const lines = formatConfigIssues(result.issues)
    expect(lines).toEqual([
      'store.connectionString: is a secret and must come from the environment: write ' +
        ref('NAME') +
        '; found a literal value',
      'alerting.channels.webhook.url: is a secret and must come from the environment: write ' +
        ref('NAME') +
        '; found a literal value',
    ])
    expect(lines.join('\n')).not.toContain('hunter2')
  })

  it(`should take secrets from the environment with ${ref('NAME')} and defaults with ${ref('NAME:-x')}`, () => {
    const result = validateConfig(
      {
        store: { type: 'postgres', connectionString: ref('PG_URL'), schema: ref('PG_SCHEMA:-noa') },
        alerting: {
          channels: {
            webhook: { url: ref('HOOK') },
            email: { enabled: false, password: ref('SMTP_PASS') },
          },
        },
      },
      { PG_URL: 'postgres://u:p@h/db', HOOK: 'https://example.com/x' },
    )
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect(result.config.store).toMatchObject({ connectionString: 'postgres://u:p@h/db', schema: 'noa' })
  })

  it('should name a variable that is not set', () => {
    const result = validateConfig({ store: { type: 'postgres', connectionString: ref('NOPE') } }, {})
    expect(!result.ok && formatConfigIssues(result.issues)).toContain(
      'store.connectionString: environment variable NOPE is not set',
    )
  })

  it('should apply the seed environment variables and noa overrides', () => {
    const result = validateConfig(
      {},
      {
        LOG_LEVEL: 'debug',
        METRICS_ENABLED: 'false',
        NOA_HOST: '0.0.0.0',
        NOA_PORT: '9400',
        AUDIT_ENABLED: 'no',
      },
    )
    expect(result.ok && result.config.logs.audit).toBe(false)
    const dev = validateConfig({}, { NODE_ENV: 'development' })
    expect(dev.ok && dev.config.logs.level).toBe('debug')
    expect(
      result.ok && [
        result.config.logs.level,
        result.config.metrics.enabled,
        result.config.dashboard.host,
        result.config.dashboard.port,
      ],
    ).toEqual(['debug', false, '0.0.0.0', 9400])
  })

  it('should refuse what is not an object', () => {
    expect(validateConfig([])).toEqual({
      ok: false,
      issues: [{ path: '', message: 'expected a JSON object with the config sections' }],
    })
  })
})

describe('loadConfigFile', () => {
  it('should read YAML as well as JSON', () => {
    const file = join(dir, 'c.yaml')
    writeFileSync(
      file,
      'dashboard:\n  port: 9555\nservices:\n  - name: a\n    check: { type: tcp, host: 127.0.0.1, port: 1 }\n',
    )
    const result = loadConfigFile(file)
    expect(result.ok && [result.config.dashboard.port, result.config.services[0]?.name]).toEqual([9555, 'a'])
  })

  it('should report a file that is missing or not JSON', () => {
    expect(loadConfigFile(join(dir, 'missing.json'))).toEqual({
      ok: false,
      issues: [{ path: '', message: `cannot read ${join(dir, 'missing.json')}: no such file` }],
    })
    const bad = join(dir, 'bad.json')
    writeFileSync(bad, '{ "a": ')
    const result = loadConfigFile(bad)
    expect(!result.ok && result.issues[0]?.message).toMatch(/bad\.json is not valid JSON/)
    expect(parseConfigText('a: [', 'x.yml').issues[0]?.message).toMatch(/x\.yml is not valid YAML/)
  })

  it('should accept the default config and the example', () => {
    for (const name of ['monitoring-config.json', 'monitoring-config.json.example']) {
      const text = readFileSync(join(root, 'config', name), 'utf8')
      const result = validateConfig(JSON.parse(text), {})
      expect(result.ok ? 'ok' : formatConfigIssues(result.issues)).toBe('ok')
    }
  })
})

describe('configJsonSchema', () => {
  it('should match config/monitoring-config.schema.json (run `pnpm --filter @noa/agent schema` after a change)', () => {
    // Compared as data: biome formats the file on disk.
    const onDisk = JSON.parse(readFileSync(join(root, 'config', 'monitoring-config.schema.json'), 'utf8'))
    expect(onDisk).toEqual(JSON.parse(configJsonSchemaText()))
  })
})
