import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { defaultRules } from '@noa/alerts'
import { afterAll, describe, expect, it } from 'vitest'
import { configJsonSchemaText } from './json-schema.ts'
import { formatConfigIssues, loadConfigFile, parseConfigText, validateConfig } from './load.ts'
import { configuredRules } from './rules.ts'

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
      'services.b.check.type: unknown checker type "htp"; allowed: http, https, tcp, command, process, postgres, redis, push, tls, dns, grpc, mysql, amqp, mqtt, nats',
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
      services: [
        { name: 'backup', check: { type: 'push', token: 'literal-push-token-0123', period: 60_000 } },
      ],
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
      'services.backup.check.token: is a secret and must come from the environment: write ' +
        ref('NAME') +
        '; found a literal value',
    ])
    expect(lines.join('\n')).not.toContain('hunter2')
    expect(lines.join('\n')).not.toContain('literal-push-token')
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

  it('should refuse keys it does not know at every level, one line each, with the key they are a typo of', () => {
    const result = validateConfig({
      healthChecks: { intervall: 5000 },
      selfHealing: { autoRestrat: true, strategies: { serviceRestart: { maxConsecutve: 2 } } },
      alerting: { channels: { console: { enabled: true, logLevl: 'info' } } },
      metrics: { storage: { gzp: true } },
      dashboard: { prot: 9300 },
      integrations: { promethues: { enabled: true }, grafana: { enabled: false, url: 'x' } },
      api: { allowedHost: ['noa.internal'] },
      hooks: [{ on: ['change'], comand: ['true'], command: ['true'] }],
      logs: { levle: 'debug' },
      store: { type: 'sqlite', pth: 'x.db', path: 'data/noa.db' },
      watchdog: { maxRestart: 1 },
      servces: [],
      services: [
        http('api', 1, {
          critcal: true,
          check: { type: 'http', url: 'http://127.0.0.1:1/health', hedaers: {} },
          executor: { type: 'local', command: ['node', 'api.js'], shutdownTimeout: 5000 },
          healing: { backup: { path: ['data'] } },
          colour: 'red',
        }),
      ],
    })
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(formatConfigIssues(result.issues)).toEqual([
      'healthChecks.intervall: unknown key; did you mean interval?',
      'selfHealing.strategies.serviceRestart.maxConsecutve: unknown key; did you mean maxConsecutive?',
      'selfHealing.autoRestrat: unknown key; did you mean autoRestart?',
      'metrics.storage.gzp: unknown key; did you mean gzip?',
      'dashboard.prot: unknown key; did you mean port?',
      'integrations.grafana.url: unknown key; allowed: enabled',
      'integrations.promethues: unknown key; did you mean prometheus?',
      'store.pth: unknown key; did you mean path?',
      'api.allowedHost: unknown key; did you mean allowedHosts?',
      'hooks.0.comand: unknown key; did you mean command?',
      'logs.levle: unknown key; did you mean level?',
      'watchdog.maxRestart: unknown key; did you mean maxRestarts?',
      'servces: unknown key; did you mean services?',
      'services.api.check.hedaers: unknown key; did you mean headers?',
      'services.api.critcal: unknown key; did you mean critical?',
      'services.api.colour: unknown key; allowed: name, check, interval, timeout, retries, backoff, critical, dependsOn, failureThreshold, successThreshold, flapping, conditions, tags, group, metrics, executor, healing, drill, slo, public',
      'services.api.executor.shutdownTimeout: unknown key; did you mean shutdownTimeoutMs?',
      'services.api.healing.backup.path: unknown key; did you mean paths?',
      'alerting.channels.console.logLevl: unknown key; did you mean logLevel?',
    ])
  })

  it('should check each channel against its own type, and a disabled one for unknown keys only', () => {
    const result = validateConfig(
      {
        alerting: {
          channels: {
            console: { enabled: true, logLevel: 'loud' },
            file: { enabled: true, path: './logs/alerts', rotation: 'daily', maxFiles: 30, compress: true },
            ops: { type: 'webhook', url: ref('HOOK'), retries: 3 },
            slack: { enabled: false, url: ref('UNSET'), chanel: '#ops' },
            email: { enabled: false },
            slak: { enabled: false },
            pager: { type: 'pagerdutty', routingKey: ref('PD') },
          },
        },
      },
      { HOOK: 'https://example.com/hook', PD: 'key' },
    )
    expect(!result.ok && formatConfigIssues(result.issues)).toEqual([
      'alerting.channels.console.logLevel: Invalid option: expected one of "debug"|"info"|"warn"|"error"; found "loud"',
      'alerting.channels.file.compress: unknown key; allowed: type, path, rotation, maxFiles, enabled, minSeverity, sendResolved',
      'alerting.channels.ops.retries: unknown key; allowed: type, url, secret, headers, timeout, followRedirects, maxRedirects, enabled, minSeverity, sendResolved',
      'alerting.channels.slack.chanel: unknown key; did you mean channel?',
      `alerting.channels.slak: unknown channel type "slak" (the type defaults to the entry's name); set type, or did you mean slack?`,
      'alerting.channels.pager.type: unknown channel type "pagerdutty"; did you mean pagerduty?',
    ])
  })

  it('should take the seed channel entries with the options of their type', () => {
    const result = validateConfig(
      {
        alerting: {
          channels: {
            console: { enabled: true, logLevel: 'info', minSeverity: 'warning' },
            file: {
              enabled: true,
              path: './logs/alerts',
              rotation: 'daily',
              maxFiles: 30,
              sendResolved: false,
            },
            ops: { type: 'webhook', url: ref('HOOK'), headers: { authorization: `Bearer ${ref('TOKEN')}` } },
          },
        },
      },
      { HOOK: 'https://example.com/hook', TOKEN: 't' },
    )
    expect(result.ok ? 'ok' : formatConfigIssues(result.issues)).toBe('ok')
  })

  it('should refuse credentials written in headers, URLs and webhook hooks, and never echo them', () => {
    const result = validateConfig(
      {
        services: [
          http('api', 1, {
            check: {
              type: 'http',
              url: 'http://admin:hunter2@127.0.0.1:1/health?token=tok-1&verbose=1',
              headers: { authorization: 'Bearer hunter3', 'x-request-id': 'fine', 'X-Api-Key': 'hunter4' },
            },
            executor: {
              type: 'http',
              restart: { url: 'http://127.0.0.1:1/admin/restart', headers: { 'private-token': 'hunter5' } },
            },
            metrics: 'http://127.0.0.1:1/metrics?api_key=hunter6',
          }),
          { name: 'db', check: { type: 'postgres', url: 'postgres://noa:hunter7@db:5432/app' } },
        ],
        hooks: [
          { on: ['change'], webhook: 'https://hooks.example.com/T0/abc', headers: { 'api-key': 'hunter8' } },
        ],
        alerting: {
          channels: { ops: { type: 'webhook', url: ref('HOOK'), headers: { cookie: 'session=hunter9' } } },
        },
      },
      { HOOK: 'https://example.com/x' },
    )
    expect(result.ok).toBe(false)
    if (result.ok) return
    const lines = formatConfigIssues(result.issues)
    const literal = `is a secret and must come from the environment: write ${ref('NAME')}; found a literal value`
    expect(lines).toEqual([
      `services.api.check.url: holds a password, which must come from the environment: write http://user:${ref('NAME')}@host; found a literal one`,
      `services.api.check.headers.authorization: ${literal}`,
      `services.api.check.headers.X-Api-Key: ${literal}`,
      `services.api.executor.restart.headers.private-token: ${literal}`,
      `services.api.metrics: holds a credential in its query (api_key=), which must come from the environment: write api_key=${ref('NAME')}; found a literal one`,
      `services.db.check.url: holds a password, which must come from the environment: write postgres://user:${ref('NAME')}@host; found a literal one`,
      `hooks.0.webhook: ${literal}`,
      `hooks.0.headers.api-key: ${literal}`,
      `alerting.channels.ops.headers.cookie: ${literal}`,
    ])
    const text = lines.join('\n')
    for (const secret of ['hunter', 'tok-1', 'T0/abc']) expect(text).not.toContain(secret)
  })

  it(`should take credentials from the environment in headers, URL passwords and query parameters`, () => {
    const result = validateConfig(
      {
        services: [
          http('api', 1, {
            check: {
              type: 'http',
              url: `http://admin:${ref('PW')}@127.0.0.1:1/health?token=${ref('TOK')}`,
              headers: { authorization: `Bearer ${ref('TOK')}` },
            },
          }),
          { name: 'db', check: { type: 'postgres', url: `postgres://noa:${ref('PGPASSWORD')}@db:5432/app` } },
        ],
        hooks: [{ on: ['change'], webhook: ref('HOOK_URL'), headers: { authorization: ref('HOOK_AUTH') } }],
      },
      { PW: 'p', TOK: 't', PGPASSWORD: 'pg', HOOK_URL: 'https://example.com/h', HOOK_AUTH: 'Bearer x' },
    )
    expect(result.ok ? 'ok' : formatConfigIssues(result.issues)).toBe('ok')
    if (!result.ok) return
    expect(result.config.hooks[0]).toMatchObject({
      webhook: 'https://example.com/h',
      headers: { authorization: 'Bearer x' },
      followRedirects: 'never',
    })
  })

  it('should validate the broker checks, their secrets from the environment and literal ones refused', () => {
    const services = (secret: (name: string) => string) => [
      {
        name: 'mysql',
        check: { type: 'mysql', url: `mysql://noa:${secret('MY')}@db:3306/app`, query: 'SELECT 1' },
      },
      { name: 'amqp', check: { type: 'amqp', url: `amqp://noa:${secret('MQ')}@mq:5672/%2F` } },
      {
        name: 'mqtt',
        check: { type: 'mqtt', url: 'mqtt://broker:1883', username: 'noa', password: secret('MQTT') },
      },
      { name: 'nats', check: { type: 'nats', url: 'nats://nats:4222', token: secret('NATS') } },
    ]
    const ok = validateConfig({ services: services(ref) }, { MY: 'a', MQ: 'b', MQTT: 'c', NATS: 'd' })
    expect(ok.ok ? ok.config.services.map((s) => s.check) : formatConfigIssues(ok.issues)).toEqual([
      { type: 'mysql', url: 'mysql://noa:a@db:3306/app', query: 'SELECT 1' },
      { type: 'amqp', url: 'amqp://noa:b@mq:5672/%2F' },
      { type: 'mqtt', url: 'mqtt://broker:1883', username: 'noa', password: 'c' },
      { type: 'nats', url: 'nats://nats:4222', token: 'd' },
    ])
    const literal = validateConfig({ services: services((name) => `hunter-${name}`) }, {})
    expect(literal.ok).toBe(false)
    if (literal.ok) return
    const lines = formatConfigIssues(literal.issues)
    expect(lines).toEqual([
      `services.mysql.check.url: holds a password, which must come from the environment: write mysql://user:${ref('NAME')}@host; found a literal one`,
      `services.amqp.check.url: holds a password, which must come from the environment: write amqp://user:${ref('NAME')}@host; found a literal one`,
      `services.mqtt.check.password: is a secret and must come from the environment: write ${ref('NAME')}; found a literal value`,
      `services.nats.check.token: is a secret and must come from the environment: write ${ref('NAME')}; found a literal value`,
    ])
    expect(lines.join('\n')).not.toContain('hunter')
  })

  it('should take only service names that cannot leave a folder', () => {
    const result = validateConfig({
      services: [http('../../../../tmp/x', 1), http('ok', 2)],
      healthChecks: { endpoints: [{ name: 'a/b', url: 'http://127.0.0.1:3/health' }] },
    })
    expect(!result.ok && formatConfigIssues(result.issues)).toEqual([
      'healthChecks.endpoints.0.name: expected 1 to 64 letters, digits, ".", "_" or "-", not "." or ".."; found "a/b"',
      'services.0.name: expected 1 to 64 letters, digits, ".", "_" or "-", not "." or ".."; found "../../../../tmp/x"',
    ])
  })

  it('should take api.allowedHosts as host names, host:port, [IPv6] or .domain, in lower case', () => {
    const good = validateConfig({
      api: {
        allowedHosts: ['Noa.Example.com', 'dashboard.monitoring.svc:9300', '[fd00::1]:9300', '.internal'],
      },
    })
    expect(good.ok && good.config.api.allowedHosts).toEqual([
      'noa.example.com',
      'dashboard.monitoring.svc:9300',
      '[fd00::1]:9300',
      '.internal',
    ])
    const bad = validateConfig({ api: { allowedHosts: ['http://noa.example.com', '*', 'a b'] } })
    const message =
      'expected a host name or address, with or without :port, an [IPv6] address, or .domain for a name and its subdomains'
    expect(!bad.ok && formatConfigIssues(bad.issues)).toEqual([
      `api.allowedHosts.0: ${message}; found "http://noa.example.com"`,
      `api.allowedHosts.1: ${message}; found "*"`,
      `api.allowedHosts.2: ${message}; found "a b"`,
    ])
  })

  it('should make one service per target of a template, and name what a target lacks', () => {
    const result = validateConfig({
      serviceTemplates: [
        {
          template: { name: 'web-{{ target }}', check: { type: 'http', url: 'http://{{target}}:80/health' } },
          targets: ['10.0.0.1', '10.0.0.2'],
        },
        {
          template: { name: 'db-{{ host }}', check: { type: 'tcp', host: '{{ host }}', port: 5432 } },
          targets: [{ host: 'db1' }, { host: 'db2' }],
        },
      ],
    })
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect(result.config.services.map((s) => [s.name, JSON.stringify(s.check)])).toEqual([
      ['web-10.0.0.1', expect.stringContaining('"url":"http://10.0.0.1:80/health"')],
      ['web-10.0.0.2', expect.stringContaining('"url":"http://10.0.0.2:80/health"')],
      ['db-db1', expect.stringContaining('"host":"db1"')],
      ['db-db2', expect.stringContaining('"host":"db2"')],
    ])
    const bad = validateConfig({
      serviceTemplates: [
        {
          template: { name: 'api', check: { type: 'http', url: 'http://{{ host }}/' } },
          targets: ['a', 'b'],
        },
      ],
    })
    expect(bad.ok ? [] : formatConfigIssues(bad.issues)).toEqual([
      "serviceTemplates.0.targets.0: the template's check.url uses {{ host }}, which this target does not have (it has: target)",
      "serviceTemplates.0.targets.1: the template's check.url uses {{ host }}, which this target does not have (it has: target)",
      'serviceTemplates.0.template.name: must hold a placeholder such as {{ target }}, so that each of the 2 services gets its own name; found "api"',
    ])
  })

  it('should take tags and a group per service, from templates and services.d too, and bound them', () => {
    const base = mkdtempSync(join(dir, 'tags-'))
    writeFileSync(
      join(base, 'noa.json'),
      JSON.stringify({
        services: [http('main', 8001, { tags: ['edge', 'eu'], group: 'web' })],
        serviceTemplates: [
          {
            template: http('api-{{ target }}', 8002, { tags: ['api', 'zone-{{ target }}'], group: 'api' }),
            targets: ['a'],
          },
        ],
      }),
    )
    mkdirSync(join(base, 'services.d'))
    writeFileSync(
      join(base, 'services.d', 'db.yaml'),
      'services:\n  - name: db\n    group: data\n    tags: [sql]\n    check: { type: tcp, host: 127.0.0.1, port: 1 }\n',
    )
    const result = loadConfigFile(join(base, 'noa.json'))
    expect(result.ok ? result.config.services.map((s) => [s.name, s.group, s.tags]) : result.issues).toEqual([
      ['main', 'web', ['edge', 'eu']],
      ['db', 'data', ['sql']],
      ['api-a', 'api', ['api', 'zone-a']],
    ])
    const bad = validateConfig({
      services: [
        http('a', 1, { tags: ['has space', 'x'], group: '' }),
        http('b', 1, { tags: Array.from({ length: 33 }, (_, i) => `t${i}`) }),
        http('c', 1, { tags: ['x', 'x'], group: 'g'.repeat(65) }),
      ],
    })
    expect(bad.ok ? [] : formatConfigIssues(bad.issues)).toEqual([
      'services.a.tags.0: expected 1 or more letters, digits, ".", "_", ":", "/" or "-" (no space or comma); found "has space"',
      'services.a.group: expected 1 or more letters, digits, ".", "_", ":", "/" or "-" (no space or comma); found ""',
      'services.b.tags: at most 32 tags; found an array',
      'services.c.tags: tags must be unique; found an array',
      `services.c.group: expected at most 64 characters; found "${'g'.repeat(57)}..."`,
    ])
  })

  it('should refuse the rules the alert engine would refuse at start', () => {
    const rule = { name: 'busy', condition: 'cpu_usage > 90', severity: 'warning' }
    expect(
      validateConfig({
        alerting: { rules: [rule, { ...rule }, { name: 'bad', condition: 'cpu_usage >', severity: 'info' }] },
      }),
    ).toMatchObject({
      ok: false,
      issues: [
        { path: 'alerting.rules.1.name', message: 'duplicate rule name "busy"' },
        { path: 'alerting.rules.2.condition' },
      ],
    })
    expect(validateConfig({ alerting: { rules: [rule] } }).ok).toBe(true)
  })

  it('should add a config\'s own rules to the defaults with a "defaults" entry, naming problems by their place in the file', () => {
    const busy = { name: 'busy', condition: 'cpu_usage > 90', severity: 'warning' }
    const names = (rules: unknown[]) => {
      const result = validateConfig({ alerting: { rules } })
      if (!result.ok) throw new Error(formatConfigIssues(result.issues).join('\n'))
      return configuredRules(result.config.alerting).rules.map((r) => r.name)
    }
    const defaults = defaultRules().map((r) => r.name)
    expect(names(['defaults', busy])).toEqual([...defaults, 'busy'])
    expect(names([busy])).toEqual(['busy'])
    expect(configuredRules({}).rules.map((r) => r.name)).toEqual(defaults)
    expect(
      validateConfig({
        alerting: { rules: ['defaults', { ...busy, condition: 'cpu_usage >' }, 'everything'] },
      }),
    ).toMatchObject({
      ok: false,
      issues: [{ path: 'alerting.rules.2' }],
    })
    expect(
      validateConfig({ alerting: { rules: ['defaults', { ...busy, condition: 'cpu_usage >' }] } }),
    ).toMatchObject({ ok: false, issues: [{ path: 'alerting.rules.1.condition' }] })
    expect(
      validateConfig({ alerting: { rules: [{ ...busy, name: 'service-down' }, 'defaults'] } }),
    ).toMatchObject({
      ok: false,
      issues: [
        {
          path: 'alerting.rules.1 ("defaults": service-down).name',
          message: 'duplicate rule name "service-down"',
        },
      ],
    })
  })

  it('should share the checks only among agents on a postgres store', () => {
    expect(validateConfig({ cluster: { shareChecks: true } })).toEqual({
      ok: false,
      issues: [
        {
          path: 'cluster.shareChecks',
          message: 'sharing the checks needs a postgres store that every agent uses',
        },
      ],
    })
    const shared = validateConfig(
      { cluster: { shareChecks: true }, store: { type: 'postgres', connectionString: ref('PG') } },
      { PG: 'postgres://127.0.0.1/noa' },
    )
    expect(shared.ok && shared.config.cluster).toEqual({ shareChecks: true, memberTtl: 30_000 })
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

  it('should add the services of every file of services.d, and name the file of a problem', () => {
    const base = mkdtempSync(join(dir, 'services-d-'))
    writeFileSync(join(base, 'noa.json'), JSON.stringify({ services: [http('main', 8001)] }))
    mkdirSync(join(base, 'services.d'))
    writeFileSync(
      join(base, 'services.d', 'b.yaml'),
      'services:\n  - name: b1\n    check: { type: tcp, host: 127.0.0.1, port: 1 }\n',
    )
    writeFileSync(join(base, 'services.d', 'a.json'), JSON.stringify([http('a1', 8002)]))
    writeFileSync(
      join(base, 'services.d', 'c.yml'),
      'serviceTemplates:\n  - template: { name: "c-{{ target }}", check: { type: tcp, host: "{{ target }}", port: 80 } }\n    targets: [x, y]\n',
    )
    writeFileSync(join(base, 'services.d', 'notes.txt'), 'not read')
    const result = loadConfigFile(join(base, 'noa.json'))
    expect(result.ok ? result.config.services.map((s) => s.name) : result.issues).toEqual([
      'main',
      'a1',
      'b1',
      'c-x',
      'c-y',
    ])
    writeFileSync(join(base, 'services.d', 'd.yaml'), 'servics: []\n')
    writeFileSync(join(base, 'services.d', 'e.yaml'), 'services: [\n')
    const bad = loadConfigFile(join(base, 'noa.json'))
    expect(bad.ok ? [] : formatConfigIssues(bad.issues)).toEqual([
      'services.d/d.yaml.servics: unknown key; a services file holds services and serviceTemplates',
      expect.stringMatching(/^services\.d\/e\.yaml is not valid YAML/),
    ])
    const missing = join(base, 'other.json')
    writeFileSync(missing, JSON.stringify({ servicesDir: 'nowhere' }))
    expect(loadConfigFile(missing)).toEqual({
      ok: false,
      issues: [{ path: 'servicesDir', message: 'cannot read the folder "nowhere"' }],
    })
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
