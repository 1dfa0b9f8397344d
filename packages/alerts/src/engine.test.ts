import type { AlertRecord, MetricSnapshot } from '@noa/core'
import { ConfigError, FakeClock } from '@noa/core'
import { createMemoryStore } from '@noa/store'
import { describe, expect, it } from 'vitest'
import type { ServiceHealth } from './context.ts'
import { defaultRules } from './default-rules.ts'
import type { AlertAction, AlertEngineOptions } from './engine.ts'
import { createAlertEngine, fingerprint } from './engine.ts'
import { createRecordingChannel } from './testing/recording-channel.ts'

const T0 = Date.parse('2025-10-22T22:00:00.000Z')

function snap(
  over: { cpu?: number; mem?: number; errorRate?: number; latency?: number } = {},
): MetricSnapshot {
  return {
    timestamp: new Date(T0).toISOString(),
    system: { cpu: { usage: { average: over.cpu ?? 40 } }, memory: { usagePercent: over.mem ?? 50 } },
    application: {
      requests: { total: 100, errors: 0, errorRate: over.errorRate ?? 0 },
      latency: { average: over.latency ?? 100 },
    },
    business: {},
    custom: {},
  }
}

/** The default rules without their `for`, so the engine's mechanics show in one evaluation. */
const immediateRules = () => defaultRules().map((r) => ({ ...r, for: 0 }))

function setup(extra: Partial<AlertEngineOptions> = {}) {
  const clock = new FakeClock(T0)
  const store = createMemoryStore({ clock })
  const ops = createRecordingChannel()
  const pager = createRecordingChannel()
  const actions: AlertAction[] = []
  const engine = createAlertEngine({
    outbox: store.outbox,
    alertLog: store.alerts,
    clock,
    groupWaitMs: 0,
    channels: {
      ops: { channel: ops },
      pager: { channel: pager, minSeverity: 'critical', sendResolved: false },
    },
    onAction: (a) => actions.push(a),
    delivery: { backoff: { initialMs: 1000, jitter: 0 } },
    rules: immediateRules(),
    ...extra,
  })
  const run = async (ctx: Parameters<typeof engine.evaluate>[0], advanceMs = 0) => {
    const r = await engine.evaluate(ctx)
    await clock.advance(advanceMs)
    await engine.worker.idle()
    return r
  }
  return { clock, store, ops, pager, actions, engine, run }
}

const statuses = (ch: ReturnType<typeof createRecordingChannel>) =>
  ch.sent.map((s) =>
    s.notification.alerts.map(
      (a) => `${a.status}:${a.labels.alertname}${a.labels.service ? `/${a.labels.service}` : ''}`,
    ),
  )

describe('createAlertEngine', () => {
  it('should hold an alert pending for `for`, fire it, then resolve it with a notification', async () => {
    const { engine, clock, ops, store, run } = setup({
      rules: [{ name: 'cpu', condition: 'cpu_usage > 0.90', severity: 'critical', for: 60_000 }],
    })
    await engine.start()
    const first = await run({ snapshot: snap({ cpu: 95 }) })
    expect(first.changes.map((c) => c.state)).toEqual(['pending'])
    expect(first.active[0]).toMatchObject({ state: 'pending', value: 0.95, activeAt: T0 })
    await clock.advance(30_000)
    expect((await run({ snapshot: snap({ cpu: 96 }) })).changes).toEqual([])
    expect(ops.sent).toEqual([])
    await clock.advance(30_000)
    const fired = await run({ snapshot: snap({ cpu: 97 }) })
    expect(fired.changes.map((c) => c.state)).toEqual(['firing'])
    expect(statuses(ops)).toEqual([['firing:cpu']])
    await clock.advance(10_000)
    const resolved = await run({ snapshot: snap({ cpu: 20 }) })
    expect(resolved.changes).toMatchObject([
      { state: 'resolved', resolvedAt: T0 + 70_000, firedAt: T0 + 60_000 },
    ])
    expect(statuses(ops)).toEqual([['firing:cpu'], ['resolved:cpu']])
    const n = ops.sent[1]?.notification
    expect(n).toEqual({
      version: '4',
      groupKey: '{}',
      truncatedAlerts: 0,
      status: 'resolved',
      receiver: 'ops',
      groupLabels: {},
      commonLabels: { alertname: 'cpu', severity: 'critical' },
      commonAnnotations: {},
      externalURL: '',
      alerts: [
        {
          status: 'resolved',
          labels: { alertname: 'cpu', severity: 'critical' },
          annotations: {},
          startsAt: '2025-10-22T22:01:00.000Z',
          endsAt: '2025-10-22T22:01:10.000Z',
          generatorURL: '',
          fingerprint: fingerprint({ alertname: 'cpu', severity: 'critical' }),
          value: 0.97,
        },
      ],
    })
    const fp = fingerprint({ alertname: 'cpu', severity: 'critical' })
    expect((await store.alerts.alertHistory(fp)).map((h) => h.state)).toEqual([
      'pending',
      'firing',
      'resolved',
    ])
    expect(await store.outbox.deliveries({ status: 'pending' })).toEqual([])
    await engine.stop()
  })

  it('should go back to inactive without any notification when the condition clears while pending', async () => {
    const { engine, clock, ops, run } = setup({
      rules: [{ name: 'cpu', condition: 'cpu_usage > 0.9', severity: 'critical', for: 60_000 }],
    })
    await engine.start()
    await run({ snapshot: snap({ cpu: 95 }) })
    await clock.advance(30_000)
    const r = await run({ snapshot: snap({ cpu: 10 }) })
    expect(r.changes.map((c) => c.state)).toEqual(['inactive'])
    expect(engine.alerts()).toEqual([])
    expect(ops.sent).toEqual([])
    await engine.stop()
  })

  it('should evaluate the default rules (without `for`) with one alert per service and ask for healing', async () => {
    const { engine, ops, pager, actions, run } = setup()
    await engine.start()
    const services: Record<string, ServiceHealth> = {
      'mcp-server': { state: 'error', critical: true },
      'ui-server': { state: 'healthy', critical: true },
      'neural-processing': { state: 'unhealthy', critical: true },
      docs: { state: 'error', critical: false },
    }
    await run({ snapshot: snap({ errorRate: 0.08, mem: 90 }), services })
    expect(statuses(ops)).toEqual([
      [
        'firing:high-error-rate',
        'firing:service-down/mcp-server',
        'firing:service-down/neural-processing',
        'firing:service-unhealthy/docs',
        'firing:memory-pressure',
      ],
    ])
    // The pager takes critical alerts only.
    expect(statuses(pager)).toEqual([
      ['firing:high-error-rate', 'firing:service-down/mcp-server', 'firing:service-down/neural-processing'],
    ])
    const alert = ops.sent[0]?.notification.alerts[1]
    expect(alert?.labels).toEqual({ alertname: 'service-down', severity: 'critical', service: 'mcp-server' })
    expect(alert?.annotations).toEqual({
      summary: 'Service mcp-server is down',
      description: 'The critical service mcp-server fails its health check.',
    })
    expect(ops.sent[0]?.notification.alerts[0]?.annotations.summary).toBe('High error rate: 0.08')
    expect(actions.map((a) => [a.kind, a.kind === 'heal' ? a.trigger : '', a.service ?? ''])).toEqual([
      ['heal', 'high-error-rate', ''],
      ['heal', 'service-down', 'mcp-server'],
      ['heal', 'service-down', 'neural-processing'],
      ['heal', 'service-down', 'docs'],
      ['gc', '', ''],
    ])
    await engine.stop()
  })

  it('should not notify again inside the cooldown, and notify when it ends if still firing', async () => {
    const { engine, clock, ops, actions, run } = setup({
      rules: [
        {
          name: 'down',
          condition: 'health_check_failed',
          severity: 'critical',
          cooldown: 60_000,
          actions: ['notify', { type: 'heal', trigger: 'service-down' }],
        },
      ],
    })
    await engine.start()
    const down = { services: { api: { state: 'error' as const } } }
    const up = { services: { api: { state: 'healthy' as const } } }
    await run(down)
    await clock.advance(10_000)
    await run(up)
    await clock.advance(10_000)
    await run(down) // flaps back inside the cooldown: no notification, no heal
    expect(statuses(ops)).toEqual([['firing:down/api'], ['resolved:down/api']])
    expect(actions).toHaveLength(1)
    await clock.advance(30_000)
    await run(down) // 50 s after the first notification: still inside
    expect(ops.sent).toHaveLength(2)
    await clock.advance(10_000)
    await run(down) // 60 s: the cooldown is over and it still fires
    expect(statuses(ops)).toEqual([['firing:down/api'], ['resolved:down/api'], ['firing:down/api']])
    expect(actions).toHaveLength(2)
    await clock.advance(1000)
    await run(down) // no repeat while firing
    expect(ops.sent).toHaveLength(3)
    await engine.stop()
  })

  it('should leave per-service alerts alone in a metrics-only evaluation, and global ones in a health-only one', async () => {
    const { engine, ops, run } = setup()
    await engine.start()
    await run({ snapshot: snap({ cpu: 95 }), services: { api: { state: 'error', critical: true } } })
    await run({ snapshot: snap({ cpu: 95 }) })
    await run({ services: { api: { state: 'error', critical: true } } })
    expect(engine.alerts().map((a) => a.rule)).toEqual(['service-down', 'cpu-overload'])
    expect(statuses(ops)).toEqual([['firing:service-down/api', 'firing:cpu-overload']])
    await run({ services: { api: { state: 'healthy', critical: true } } })
    expect(engine.alerts().map((a) => a.rule)).toEqual(['cpu-overload'])
    await engine.stop()
  })

  it('should not evaluate a service rule for a service whose state is unknown, and keep its alerts as they are', async () => {
    const { engine, ops, run } = setup({
      rules: [{ name: 'not-healthy', condition: '!healthy', severity: 'warning' }],
    })
    await engine.start()
    await run({ services: { api: { state: 'unknown' }, db: { state: 'error' } } })
    expect(engine.alerts().map((a) => a.labels.service)).toEqual(['db'])
    // db has no result any more (its checker restarted): its alert stays firing, not resolved.
    const r = await run({ services: { api: { state: 'error' }, db: { state: 'unknown' } } })
    expect(r.changes.map((c) => `${c.state}/${c.labels.service}`)).toEqual(['pending/api', 'firing/api'])
    expect(statuses(ops)).toEqual([['firing:not-healthy/db'], ['firing:not-healthy/api']])
    await engine.stop()
  })

  it('should send no resolved notification for a firing that was never notified', async () => {
    const { engine, clock, ops, run } = setup({
      rules: [{ name: 'down', condition: 'health_check_failed', severity: 'critical', cooldown: 60_000 }],
    })
    await engine.start()
    const down = { services: { api: { state: 'error' as const } } }
    const up = { services: { api: { state: 'healthy' as const } } }
    await run(down)
    await clock.advance(1000)
    await run(up)
    await clock.advance(1000)
    await run(down)
    await clock.advance(1000)
    await run(up)
    expect(statuses(ops)).toEqual([['firing:down/api'], ['resolved:down/api']])
    await engine.stop()
  })

  it('should repeat a firing notification every repeatInterval when asked', async () => {
    const { engine, clock, ops, run } = setup({
      repeatIntervalMs: 120_000,
      rules: [{ name: 'cpu', condition: 'cpu_usage > 0.9', severity: 'warning', cooldown: 60_000 }],
    })
    await engine.start()
    for (let i = 0; i < 5; i++) {
      await run({ snapshot: snap({ cpu: 95 }) })
      await clock.advance(60_000)
    }
    expect(statuses(ops)).toEqual([['firing:cpu'], ['firing:cpu'], ['firing:cpu']])
    await engine.stop()
  })

  it('should hold the repeats of the alerts holdRepeat names, count each held once per interval, and still send their resolution', async () => {
    const acknowledged = new Set<string>()
    const { engine, clock, ops, run } = setup({
      repeatIntervalMs: 60_000,
      holdRepeat: (a) => acknowledged.has(a.labels.service ?? ''),
      rules: [{ name: 'down', condition: 'health_check_failed', severity: 'critical' }],
    })
    await engine.start()
    const down = { services: { api: { state: 'error' as const }, db: { state: 'error' as const } } }
    await run(down)
    expect(statuses(ops)).toEqual([['firing:down/api', 'firing:down/db']])
    acknowledged.add('api')
    // Three repeat intervals, evaluated every 20 s: db is repeated each time, api is held.
    for (let i = 0; i < 9; i++) {
      await clock.advance(20_000)
      await run(down)
    }
    expect(statuses(ops).slice(1)).toEqual([['firing:down/db'], ['firing:down/db'], ['firing:down/db']])
    expect(engine.stats().repeatsHeld).toBe(3)
    await clock.advance(1000)
    await run({ services: { api: { state: 'healthy' as const }, db: { state: 'error' as const } } })
    expect(statuses(ops).at(-1)).toEqual(['resolved:down/api'])
    await engine.stop()
  })

  it('should mute silenced alerts (no notification, no action) and notify once the silence ends', async () => {
    const { engine, clock, ops, actions, run } = setup()
    await engine.start()
    const silence = await engine.addSilence({
      matchers: [
        { label: 'alertname', value: 'service-down' },
        { label: 'service', op: '=~', value: 'mcp-.*' },
      ],
      startsAt: T0,
      endsAt: T0 + 300_000,
      comment: 'planned maintenance',
    })
    const services = { 'mcp-server': { state: 'error' as const, critical: true } }
    const r = await run({ services })
    expect(r.active).toMatchObject([{ rule: 'service-down', state: 'firing', muted: 'silenced' }])
    expect(ops.sent).toEqual([])
    expect(actions).toEqual([])
    expect(engine.silences()).toEqual([silence])
    await clock.advance(60_000)
    expect(await engine.expireSilence(silence.id)).toBe(true)
    expect(await engine.expireSilence('nope')).toBe(false)
    expect(engine.silences()).toEqual([])
    await run({ services })
    expect(statuses(ops)).toEqual([['firing:service-down/mcp-server']])
    expect(actions).toHaveLength(1)
    await engine.stop()
  })

  it('should mute the alerts of a service in maintenance and announce them once it ends, if still firing', async () => {
    const inMaintenance = new Set(['mcp-server'])
    const { engine, ops, actions, run } = setup({
      maintenance: (labels) => labels.service !== undefined && inMaintenance.has(labels.service),
    })
    await engine.start()
    const services = {
      'mcp-server': { state: 'error' as const, critical: true },
      web: { state: 'error' as const, critical: true },
    }
    const r = await run({ services })
    expect(r.active).toMatchObject([
      { rule: 'service-down', labels: { service: 'mcp-server' }, state: 'firing', muted: 'maintenance' },
      { rule: 'service-down', labels: { service: 'web' }, state: 'firing' },
    ])
    expect(r.active[1]?.muted).toBeUndefined()
    expect(statuses(ops)).toEqual([['firing:service-down/web']])
    expect(actions.map((a) => a.service)).toEqual(['web'])
    inMaintenance.clear()
    await run({ services })
    expect(statuses(ops)).toEqual([['firing:service-down/web'], ['firing:service-down/mcp-server']])
    expect(actions.map((a) => a.service)).toEqual(['web', 'mcp-server'])
    await engine.stop()
  })

  it('should refuse an invalid silence with every problem named', async () => {
    const { engine } = setup()
    await expect(engine.addSilence({ matchers: [], startsAt: 10, endsAt: 5, comment: '' })).rejects.toThrow(
      new ConfigError([
        { path: 'silence.matchers', message: 'a silence needs at least one matcher; found an array' },
        { path: 'silence.comment', message: 'say why the alerts are silenced; found ""' },
        { path: 'silence.endsAt', message: 'must be after startsAt (10); found 5' },
      ]),
    )
    await expect(
      engine.addSilence({
        matchers: [{ label: 'a', op: '=~', value: '(' }],
        startsAt: 10,
        endsAt: 5,
        comment: 'x',
      }),
    ).rejects.toThrow(/silence.matchers.0.value: invalid regular expression "\("/)
    await expect(
      engine.addSilence({ matchers: [{ label: 'a', value: 'b' }], startsAt: 10, endsAt: 5, comment: 'x' }),
    ).rejects.toThrow('silence.endsAt: must be after startsAt (10); found 5')
  })

  it('should inhibit the service-down alert of a service whose dependency is down: one root cause, one alert each', async () => {
    const { engine, ops, actions, run } = setup()
    await engine.start()
    const services: Record<string, ServiceHealth> = {
      'claude-flow': { state: 'error', critical: true },
      'mcp-server': { state: 'error', critical: true, dependsOn: ['claude-flow'] },
    }
    const r = await run({ services })
    expect(r.active.map((a) => [a.rule, a.labels.service, a.muted ?? ''])).toEqual([
      ['service-down', 'claude-flow', ''],
      ['service-down', 'mcp-server', 'inhibited'],
      ['dependency-down', 'mcp-server', ''],
    ])
    expect(statuses(ops)).toEqual([['firing:service-down/claude-flow', 'firing:dependency-down/mcp-server']])
    expect(ops.sent[0]?.notification.alerts[1]?.annotations.summary).toBe(
      'Service mcp-server is down because claude-flow is down',
    )
    expect(actions.map((a) => (a.kind === 'heal' ? `${a.trigger}/${a.service}` : a.kind))).toEqual([
      'service-down/claude-flow',
      'dependency-failure/mcp-server',
    ])
    await engine.stop()
  })

  it('should group alerts that fire within the group wait into one notification per channel', async () => {
    const { engine, ops, pager, run } = setup({ groupWaitMs: 5000 })
    await engine.start()
    const services: Record<string, ServiceHealth> = {}
    for (let i = 0; i < 50; i++) services[`svc-${i}`] = { state: 'error', critical: true }
    await run({ services }, 2000)
    await run({ services, snapshot: snap({ cpu: 99 }) }, 3000)
    expect(ops.sent).toHaveLength(1)
    expect(ops.sent[0]?.notification.alerts).toHaveLength(51)
    expect(pager.sent).toHaveLength(1)
    // Resolutions within one wait go out together too; the pager does not take resolved ones.
    await run({ services: {}, snapshot: snap() }, 5000)
    expect(ops.sent).toHaveLength(2)
    expect(ops.sent[1]?.notification).toMatchObject({
      status: 'resolved',
      commonLabels: { severity: 'critical' },
    })
    expect(ops.sent[1]?.notification.alerts).toHaveLength(51)
    expect(pager.sent).toHaveLength(1)
    await engine.stop()
  })

  it('should split groups by the groupBy labels', async () => {
    const { engine, ops, run } = setup({ groupBy: ['service'] })
    await engine.start()
    await run({ services: { a: { state: 'error', critical: true }, b: { state: 'error', critical: true } } })
    expect(ops.sent.map((s) => [s.notification.groupKey, s.notification.groupLabels])).toEqual([
      ['{service="a"}', { service: 'a' }],
      ['{service="b"}', { service: 'b' }],
    ])
    await engine.stop()
  })

  it('should retry a failed delivery with backoff and keep the same idempotency key', async () => {
    const { engine, clock, ops, store, run } = setup()
    await engine.start()
    ops.failNext({ ok: false, retryable: true, error: 'receiver answered 503' })
    await run({ snapshot: snap({ cpu: 95 }) })
    expect(ops.sent).toHaveLength(0)
    const [pending] = await store.outbox.deliveries({ status: 'pending', channel: 'ops' })
    expect(pending).toMatchObject({
      attempts: 1,
      lastError: 'receiver answered 503',
      nextAttemptAt: T0 + 1000,
    })
    await clock.advance(1000)
    await engine.worker.idle()
    expect(ops.sent.map((s) => s.idempotencyKey)).toEqual([pending?.idempotencyKey])
    await engine.stop()
  })

  it('should reload firing alerts at start and not announce them again', async () => {
    const first = setup({ rules: [{ name: 'cpu', condition: 'cpu_usage > 0.9', severity: 'critical' }] })
    await first.engine.start()
    await first.run({ snapshot: snap({ cpu: 95 }) })
    await first.engine.stop()
    const ops = createRecordingChannel()
    const second = createAlertEngine({
      rules: [{ name: 'cpu', condition: 'cpu_usage > 0.9', severity: 'critical' }],
      outbox: first.store.outbox,
      alertLog: first.store.alerts,
      clock: first.clock,
      groupWaitMs: 0,
      channels: { ops: { channel: ops } },
    })
    await second.start()
    expect(second.alerts()).toMatchObject([{ rule: 'cpu', state: 'firing' }])
    await second.evaluate({ snapshot: snap({ cpu: 95 }) })
    await second.evaluate({ snapshot: snap({ cpu: 5 }) })
    await second.worker.idle()
    expect(ops.sent.map((s) => s.notification.status)).toEqual(['resolved'])
    await second.stop()
  })

  it('should emit alert, action and notification events and survive a listener that throws', async () => {
    const { engine, run } = setup()
    const seen: string[] = []
    engine.on('alert', (a: AlertRecord) => seen.push(`alert:${a.state}`))
    engine.on('action', () => {
      throw new Error('listener bug')
    })
    const off = engine.on('notification', (n) => seen.push(`notification:${n.receiver}`))
    await run({ snapshot: snap({ mem: 95 }) })
    off()
    await run({ snapshot: snap({ mem: 10 }) })
    expect(seen).toEqual(['alert:pending', 'alert:firing', 'notification:ops', 'alert:resolved'])
  })

  it('should report every configuration problem at once', () => {
    const clock = new FakeClock(T0)
    const store = createMemoryStore({ clock })
    let error: unknown
    try {
      createAlertEngine({
        outbox: store.outbox,
        clock,
        rules: [
          { name: 'a', condition: 'cpu_usage >', severity: 'critical' },
          // @ts-expect-error: not a severity (the type test; the engine still refuses it at run time)
          { name: 'b', condition: 'cpu_usage > 1', severity: 'urgent' },
          {
            name: 'c',
            condition: 'cpu_usage > 1',
            severity: 'info',
            annotations: { summary: '{{ $nope }}' },
          },
          { name: 'c', condition: 'health_check_failed', severity: 'info', scope: 'global' },
        ],
        channels: {
          // @ts-expect-error: not a channel type
          pigeon: { type: 'pigeon' },
          hook: { type: 'webhook', url: 'not a url', timeout: -1 },
          mail: {
            type: 'email',
            host: 'h',
            from: 'x',
            recipients: ['admin@example.com'],
            subject: '{{ nope }}',
          },
          // @ts-expect-error: not a severity
          low: { type: 'console', minSeverity: 'lowest' },
        },
      })
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).message.split('\n')).toEqual([
      'rules.0.condition: rule "a": unexpected end of condition at column 12',
      'rules.1.severity: Invalid option: expected one of "critical"|"warning"|"info"; found "urgent"',
      'rules.2.annotations.summary: unknown template field "{{ $nope }}"; allowed: {{ $value }}, {{ $labels.* }}, {{ $rule }}, {{ $severity }}',
      'rules.3.name: duplicate rule name "c"',
      'rules.3.scope: the condition reads per-service health facts, so scope "global" is not allowed; found "global"',
      'channels.pigeon.type: unknown channel type "pigeon"; allowed: console, file, webhook, email, slack, discord, pagerduty, alertmanager',
      'channels.hook.url: expected an http or https URL; found "[redacted]"',
      'channels.hook.timeout: Too small: expected number to be >0; found -1',
      'channels.mail.subject: unknown template field "{{ nope }}"; allowed: {{ status }}, {{ count }}, {{ alertnames }}, {{ severity }}, {{ receiver }}, {{ headline }}',
      'channels.low.minSeverity: expected one of critical, warning, info; found "lowest"',
    ])
  })

  it('should warn at start about a rule naming a missing metric and never fire it', async () => {
    const warnings: string[] = []
    const { engine, ops, run } = setup({
      rules: [{ name: 'typo', condition: 'cpu_usag > 0.9', severity: 'critical' }],
      logger: { debug() {}, info() {}, warn: (m) => warnings.push(m), error() {} },
    })
    expect(warnings).toEqual([
      'rule "typo": "cpu_usag" at column 1 is not a snapshot field or health fact; it is looked up among scraped samples and is absent until one is scraped',
    ])
    expect(engine.warnings).toEqual(warnings)
    await engine.start()
    await run({ snapshot: snap({ cpu: 99 }) })
    expect(ops.sent).toEqual([])
    await run({ snapshot: snap(), samples: [{ name: 'cpu_usag', labels: {}, value: 0.95 }] })
    expect(statuses(ops)).toEqual([['firing:typo']])
    await engine.stop()
  })

  it("should judge a per-service rule's selector on that service's own samples, and heal that service", async () => {
    const { engine, actions, run } = setup({
      rules: [
        {
          name: 'memory-growth',
          scope: 'service',
          condition: 'process_resident_memory_bytes > 2e8',
          severity: 'warning',
          actions: [{ type: 'heal', trigger: 'memory-leak' }],
        },
      ],
    })
    await engine.start()
    const rss = (service: string, value: number) => ({
      name: 'process_resident_memory_bytes',
      labels: { service },
      value,
    })
    const services = { api: { state: 'healthy' as const }, web: { state: 'healthy' as const } }
    // 1.5e8 each: over the threshold summed, under it for each service
    const calm = await run({ services, samples: [rss('api', 1.5e8), rss('web', 1.5e8)] })
    expect(calm.changes).toEqual([])
    const grown = await run({ services, samples: [rss('api', 1.5e8), rss('web', 2.5e8)] })
    expect(grown.changes.map((c) => [c.state, c.labels.service, c.value])).toEqual([
      ['pending', 'web', 2.5e8],
      ['firing', 'web', 2.5e8],
    ])
    expect(actions.map((a) => [a.kind, a.kind === 'heal' ? a.trigger : '', a.service])).toEqual([
      ['heal', 'memory-leak', 'web'],
    ])
    // no sample of web (its restart: the scrape failed): absent, the alert is kept
    expect((await run({ services, samples: [rss('api', 1.5e8)] })).changes).toEqual([])
    const freed = await run({ services, samples: [rss('api', 1.5e8), rss('web', 6e7)] })
    expect(freed.changes.map((c) => [c.state, c.labels.service])).toEqual([['resolved', 'web']])
    await engine.stop()
  })

  describe('evaluation in slices', () => {
    /** A fleet with every kind of service the default rules judge, and a second round where some change. */
    const fleet = (round: number): Record<string, ServiceHealth> => {
      const services: Record<string, ServiceHealth> = {}
      for (let i = 0; i < 60; i++) {
        const state = (i + round) % 7 === 0 ? 'error' : (i + round) % 11 === 0 ? 'unhealthy' : 'healthy'
        services[`svc-${i}`] = {
          state,
          critical: i % 2 === 0,
          flapping: i % 13 === 0,
          degraded: i % 17 === 0,
        }
      }
      return services
    }

    it('should give the same alerts, notifications and actions in slices as in one pass', async () => {
      const rounds = async (evaluationSlice: number) => {
        const world = setup({ rules: defaultRules(), evaluationSlice })
        await world.engine.start()
        const results = []
        for (let round = 0; round < 3; round++)
          results.push(
            await world.run({ snapshot: snap({ errorRate: round * 0.04 }), services: fleet(round) }, 60_000),
          )
        await world.engine.stop()
        return { results, ops: statuses(world.ops), actions: world.actions }
      }
      const onePass = await rounds(1_000_000)
      expect(onePass.results[2]!.active.length).toBeGreaterThan(10)
      expect(await rounds(1)).toEqual(onePass)
      expect(await rounds(7)).toEqual(onePass)
    })

    it('should let the event loop run between slices', async () => {
      const { engine } = setup({ rules: defaultRules(), evaluationSlice: 10 })
      let ran = false
      setImmediate(() => {
        ran = true
      })
      const evaluation = engine.evaluate({ snapshot: snap(), services: fleet(0) })
      await evaluation
      expect(ran).toBe(true)
      const { engine: whole } = setup({ rules: defaultRules(), evaluationSlice: 1_000_000 })
      ran = false
      setImmediate(() => {
        ran = true
      })
      await whole.evaluate({ snapshot: snap(), services: fleet(0) })
      expect(ran).toBe(false)
    })

    it('should run evaluations asked for together one after the other, as if awaited in turn', async () => {
      const together = setup({ evaluationSlice: 5 })
      const [, second] = await Promise.all([
        together.engine.evaluate({ snapshot: snap(), services: fleet(0) }),
        together.engine.evaluate({ snapshot: snap(), services: fleet(1) }),
      ])
      const inTurn = setup({ evaluationSlice: 5 })
      await inTurn.engine.evaluate({ snapshot: snap(), services: fleet(0) })
      const expected = await inTurn.engine.evaluate({ snapshot: snap(), services: fleet(1) })
      expect(second).toEqual(expected)
      expect(together.engine.alerts()).toEqual(inTurn.engine.alerts())
    })

    it('should refuse a slice that is not a whole number of at least 1', () => {
      expect(() => setup({ evaluationSlice: 0 })).toThrow(/evaluationSlice: expected a whole number/)
    })
  })
})
