import { createHash } from 'node:crypto'
import type {
  AlertLog,
  AlertRecord,
  AlertState,
  Clock,
  HealingTrigger,
  Logger,
  NewDelivery,
  Outbox,
  ServiceName,
  Severity,
} from '@noa/core'
import { ConfigError, createId, errorMessage, noopLogger, SEVERITIES, systemClock } from '@noa/core'
import type { Channel, Notification, NotificationAlert } from './channel.ts'
import { createChannel } from './channels/registry.ts'
import type { EvaluationContext, ServiceScope } from './context.ts'
import { serviceScopes } from './context.ts'
import { defaultInhibitRules, defaultRules } from './default-rules.ts'
import type { DeliveryWorker, DeliveryWorkerOptions } from './delivery.ts'
import { createDeliveryWorker } from './delivery.ts'
import type { CompiledRule } from './rule.ts'
import { compileRules } from './rule.ts'
import type { InhibitRule, Silence, SilenceOptions } from './silence.ts'
import { matchesAll, parseSilence, silenced } from './silence.ts'

/** Which alerts a channel receives. */
export interface ChannelRoute {
  /** Alerts less severe than this are not sent to the channel. @default 'info' */
  minSeverity?: Severity
  /** Send `resolved` notifications. @default true */
  sendResolved?: boolean
}

/** A channel of the engine: a built Channel, or channel options (`{ type, ... }`) to build one. */
export type ChannelEntry = { channel: Channel } & ChannelRoute

/** Asked of the host by a firing alert: the engine never heals by itself. */
export type AlertAction =
  | { kind: 'heal'; trigger: HealingTrigger; service?: ServiceName; alert: AlertRecord }
  | { kind: 'gc'; service?: ServiceName; alert: AlertRecord }

/** An active alert with the reason it is muted, if it is. */
export type ActiveAlert = AlertRecord & { muted?: 'silenced' | 'inhibited' }

/** Events of the engine. */
export interface AlertEngineEvents {
  /** A firing alert asks for a healing or a GC (subject to cooldown, silences and inhibition). */
  action: AlertAction
  /** An alert changed state (pending, firing, resolved, inactive). */
  alert: AlertRecord
  /** A notification was written to the outbox for a channel. */
  notification: Notification
}

/** Options of {@link createAlertEngine}. */
export interface AlertEngineOptions {
  /** Rule options (validated now). @default defaultRules() */
  rules?: readonly unknown[]
  /**
   * Channels by name: a `{ channel, minSeverity?, sendResolved? }` entry, or channel options
   * `{ type: 'webhook', url, ..., minSeverity?, sendResolved? }` built with the registry.
   */
  channels?: Readonly<Record<string, ChannelEntry | Record<string, unknown>>>
  /** Where notifications are written before they are sent. */
  outbox: Outbox
  /** Where alert records and their history go. */
  alertLog?: AlertLog
  /** @default systemClock */
  clock?: Clock
  /** @default noopLogger */
  logger?: Logger
  /** Alerts that fire within this window go out as one notification per channel. @default 1000 */
  groupWaitMs?: number
  /** Labels that split notifications into groups; none means one group. @default [] */
  groupBy?: readonly string[]
  /** Re-send a firing notification this often while the alert fires; 0 never. @default 0 */
  repeatIntervalMs?: number
  /** @default defaultInhibitRules() */
  inhibitRules?: readonly InhibitRule[]
  /** Retry policy and limits of the delivery worker. */
  delivery?: Omit<DeliveryWorkerOptions, 'outbox' | 'channels' | 'clock' | 'logger'>
  /** Called with every action, as well as the `action` event. */
  onAction?: (action: AlertAction) => void
  /** Where the console channel prints. @default process.stdout */
  write?: (line: string) => void
}

/** Outcome of one evaluation. */
export interface EvaluationResult {
  /** State changes in this evaluation. */
  changes: AlertRecord[]
  /** Alerts pending or firing after it. */
  active: ActiveAlert[]
}

/** The rule engine. */
export interface AlertEngine {
  /** Evaluates every rule against the context; writes notifications and records; emits actions. */
  evaluate(context: EvaluationContext): Promise<EvaluationResult>
  /** Pending and firing alerts. */
  alerts(): ActiveAlert[]
  /** Adds a silence (validated; ConfigError when invalid). */
  addSilence(options: SilenceOptions): Silence
  /** Ends a silence now; false when there is none with that id. */
  expireSilence(id: string): boolean
  silences(): Silence[]
  /** Warnings found when the rules were compiled (names that are not snapshot fields). */
  readonly warnings: readonly string[]
  readonly rules: readonly CompiledRule[]
  readonly worker: DeliveryWorker
  on<E extends keyof AlertEngineEvents>(
    event: E,
    listener: (payload: AlertEngineEvents[E]) => void,
  ): () => void
  /** Writes the notifications still waiting for their group to the outbox now. */
  flush(): Promise<void>
  /** Reloads firing alerts from the alert log, then starts the delivery worker. */
  start(): Promise<void>
  /** Flushes groups and stops the delivery worker; closes channels. */
  stop(): Promise<void>
}

interface Active {
  rule: CompiledRule
  fingerprint: string
  labels: Record<string, string>
  annotations: Record<string, string>
  state: 'pending' | 'firing'
  value?: number
  activeAt: number
  firedAt?: number
  notified: boolean
  service?: ServiceName
  muted?: 'silenced' | 'inhibited'
}

interface Group {
  labels: Record<string, string>
  alerts: Map<string, { alert: NotificationAlert; severity: Severity }>
  timer?: { cancel(): void }
}

const ZERO_TIME = '0001-01-01T00:00:00Z'
const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 }

/**
 * A stable fingerprint of a label set: the first 16 hex digits of SHA-256 over the sorted
 * labels. Rule name and service are labels (`alertname`, `service`), so it identifies one
 * alert of one rule.
 *
 * @example
 * ```ts
 * fingerprint({ alertname: 'service-down', severity: 'critical', service: 'api' }) // '9c1e…'
 * ```
 */
export function fingerprint(labels: Readonly<Record<string, string>>): string {
  const sorted = Object.keys(labels)
    .sort()
    .map((k) => [k, labels[k]])
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, 16)
}

function isChannelEntry(value: unknown): value is ChannelEntry {
  const channel = (value as { channel?: { send?: unknown } } | null)?.channel
  return typeof channel?.send === 'function'
}

function common(maps: readonly Record<string, string>[]): Record<string, string> {
  const [first, ...rest] = maps
  if (!first) return {}
  return Object.fromEntries(Object.entries(first).filter(([k, v]) => rest.every((m) => m[k] === v)))
}

/**
 * Creates the alert rule engine: evaluates rules over the latest snapshot and health
 * (inactive -> pending (`for`) -> firing -> resolved), applies cooldown, silences and
 * inhibition, groups what fires together into one notification per channel, writes it to
 * the outbox and lets its delivery worker send it. Healing and GC are asked for through
 * the `action` event; the engine never acts on services itself.
 *
 * @example
 * ```ts
 * const engine = createAlertEngine({
 *   outbox: store.outbox,
 *   alertLog: store.alerts,
 *   channels: { console: { type: 'console' }, ops: { type: 'webhook', url: process.env.ALERT_WEBHOOK_URL } },
 * })
 * engine.on('action', (a) => a.kind === 'heal' && healing.heal(a.service, a.trigger))
 * await engine.start()
 * await engine.evaluate({ snapshot, services })
 * ```
 */
export function createAlertEngine(options: AlertEngineOptions): AlertEngine {
  const clock = options.clock ?? systemClock
  const logger = options.logger ?? noopLogger
  const groupWaitMs = options.groupWaitMs ?? 1000
  const groupBy = options.groupBy ?? []
  const repeatIntervalMs = options.repeatIntervalMs ?? 0
  const inhibitRules = options.inhibitRules ?? defaultInhibitRules()

  // Validate everything before anything starts, and report every problem at once.
  const issues: Array<{ path: string; message: string }> = []
  let compiled: { rules: CompiledRule[]; warnings: string[] } = { rules: [], warnings: [] }
  try {
    compiled = compileRules(options.rules ?? defaultRules())
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    issues.push(...error.issues)
  }
  const channels: Record<string, Channel> = {}
  const routes: Record<string, Required<ChannelRoute>> = {}
  for (const [name, value] of Object.entries(options.channels ?? {})) {
    const path = `channels.${name}`
    try {
      const {
        minSeverity = 'info',
        sendResolved = true,
        ...rest
      } = (value ?? {}) as ChannelRoute & Record<string, unknown>
      if (!SEVERITIES.includes(minSeverity))
        issues.push({
          path: `${path}.minSeverity`,
          message: `expected one of ${SEVERITIES.join(', ')}; found "${minSeverity}"`,
        })
      channels[name] = isChannelEntry(value)
        ? value.channel
        : createChannel(rest, { clock, logger, ...(options.write ? { write: options.write } : {}) }, path)
      routes[name] = { minSeverity, sendResolved }
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error
      issues.push(...error.issues)
    }
  }
  if (issues.length > 0) throw new ConfigError(issues)
  const { rules, warnings } = compiled
  for (const warning of warnings) logger.warn(warning)

  const worker = createDeliveryWorker({
    ...options.delivery,
    outbox: options.outbox,
    channels,
    clock,
    logger,
  })
  const active = new Map<string, Active>()
  const lastNotifiedAt = new Map<string, number>()
  const silences = new Map<string, Silence>()
  const groups = new Map<string, Group>()
  const flushing = new Set<Promise<void>>()
  const listeners: { [E in keyof AlertEngineEvents]: Set<(p: AlertEngineEvents[E]) => void> } = {
    action: new Set(),
    alert: new Set(),
    notification: new Set(),
  }
  const labelCache = new Map<string, { labels: Record<string, string>; fingerprint: string }>()

  const emit = <E extends keyof AlertEngineEvents>(event: E, payload: AlertEngineEvents[E]) => {
    for (const listener of listeners[event]) {
      try {
        listener(payload)
      } catch (error) {
        logger.error('alert listener failed', { event, error: errorMessage(error) })
      }
    }
  }

  const identity = (rule: CompiledRule, service: ServiceScope | undefined) => {
    const key = service ? `${rule.name}\u0000${service.name}` : rule.name
    let id = labelCache.get(key)
    if (!id) {
      const labels = {
        ...rule.labels,
        alertname: rule.name,
        severity: rule.severity,
        ...(service ? { service: service.name } : {}),
      }
      id = { labels, fingerprint: fingerprint(labels) }
      labelCache.set(key, id)
    }
    return id
  }

  const record = (a: Active, state: AlertState, now: number, resolvedAt?: number): AlertRecord => ({
    fingerprint: a.fingerprint,
    rule: a.rule.name,
    severity: a.rule.severity,
    state,
    labels: a.labels,
    annotations: a.annotations,
    ...(a.value !== undefined ? { value: a.value } : {}),
    activeAt: a.activeAt,
    ...(a.firedAt !== undefined ? { firedAt: a.firedAt } : {}),
    ...(resolvedAt !== undefined ? { resolvedAt } : {}),
    updatedAt: now,
  })

  const muteReason = (a: Active, now: number): Active['muted'] => {
    for (const s of silences.values()) if (silenced(s, a.labels, now)) return 'silenced'
    for (const rule of inhibitRules) {
      if (!matchesAll(a.labels, rule.target)) continue
      for (const source of active.values()) {
        if (source === a || source.state !== 'firing' || !matchesAll(source.labels, rule.source)) continue
        if (rule.equal.every((l) => (source.labels[l] ?? '') === (a.labels[l] ?? ''))) return 'inhibited'
      }
    }
    return undefined
  }

  const queue = (a: Active, status: 'firing' | 'resolved', now: number) => {
    if (!a.rule.actions.some((x) => x.type === 'notify')) return
    const key = `{${groupBy.map((l) => `${l}=${JSON.stringify(a.labels[l] ?? '')}`).join(',')}}`
    let group = groups.get(key)
    if (!group) {
      group = { labels: Object.fromEntries(groupBy.map((l) => [l, a.labels[l] ?? ''])), alerts: new Map() }
      groups.set(key, group)
      if (groupWaitMs > 0) {
        group.timer = clock.setTimeout(() => {
          const p = flushGroup(key).finally(() => flushing.delete(p))
          flushing.add(p)
        }, groupWaitMs)
      }
    }
    group.alerts.set(a.fingerprint, {
      severity: a.rule.severity,
      alert: {
        status,
        labels: a.labels,
        annotations: a.annotations,
        startsAt: new Date(a.firedAt ?? a.activeAt).toISOString(),
        endsAt: status === 'resolved' ? new Date(now).toISOString() : ZERO_TIME,
        generatorURL: '',
        fingerprint: a.fingerprint,
        ...(a.value !== undefined ? { value: a.value } : {}),
      },
    })
  }

  const flushGroup = async (key: string) => {
    const group = groups.get(key)
    if (!group) return
    groups.delete(key)
    group.timer?.cancel()
    const now = clock.now()
    const items: NewDelivery[] = []
    const notifications: Notification[] = []
    for (const [name, route] of Object.entries(routes)) {
      const alerts = [...group.alerts.values()]
        .filter((x) => SEVERITY_RANK[x.severity] <= SEVERITY_RANK[route.minSeverity])
        .filter((x) => route.sendResolved || x.alert.status === 'firing')
        .map((x) => x.alert)
      if (alerts.length === 0) continue
      const notification: Notification = {
        version: '4',
        groupKey: key,
        truncatedAlerts: 0,
        status: alerts.some((x) => x.status === 'firing') ? 'firing' : 'resolved',
        receiver: name,
        groupLabels: group.labels,
        commonLabels: common(alerts.map((x) => x.labels)),
        commonAnnotations: common(alerts.map((x) => x.annotations)),
        externalURL: '',
        alerts,
      }
      notifications.push(notification)
      items.push({
        channel: name,
        idempotencyKey: createId('ntf', now),
        payload: notification,
        createdAt: now,
      })
    }
    if (items.length === 0) return
    try {
      await options.outbox.enqueue(items)
    } catch (error) {
      logger.error('cannot write notifications to the outbox', { error: errorMessage(error) })
      return
    }
    for (const n of notifications) emit('notification', n)
    worker.kick()
  }

  const flush = async () => {
    await Promise.all([...groups.keys()].map(flushGroup))
    await Promise.all([...flushing])
  }

  const save = async (records: AlertRecord[]) => {
    if (!options.alertLog) return
    for (const r of records) {
      try {
        await options.alertLog.saveAlert(r)
      } catch (error) {
        logger.error('cannot save alert', { fingerprint: r.fingerprint, error: errorMessage(error) })
      }
    }
  }

  const snapshotOf = (a: Active): ActiveAlert => ({
    ...record(a, a.state, clock.now()),
    ...(a.muted ? { muted: a.muted } : {}),
  })

  const evaluate = async (ctx: EvaluationContext): Promise<EvaluationResult> => {
    const now = clock.now()
    const changes: AlertRecord[] = []
    const seen = new Set<string>()
    const scopes = ctx.services ? serviceScopes(ctx) : []
    const samples = ctx.samples ?? []
    // A context without health facts (or without metrics) leaves the rules that need them
    // as they are, so a metrics-only evaluation does not resolve every service alert.
    const skipped = new Set<CompiledRule>()
    for (const rule of rules) {
      if (rule.scope === 'service' ? !ctx.services : !ctx.snapshot && !ctx.samples) {
        skipped.add(rule)
        continue
      }
      const instances = rule.scope === 'service' ? scopes : [undefined]
      for (const service of instances) {
        const result = rule.condition.evaluate({ snapshot: ctx.snapshot, service, samples })
        if (!result.holds) continue
        const id = identity(rule, service)
        seen.add(id.fingerprint)
        let a = active.get(id.fingerprint)
        const isNew = !a
        if (!a) {
          a = {
            rule,
            fingerprint: id.fingerprint,
            labels: id.labels,
            annotations: {},
            state: 'pending',
            activeAt: now,
            notified: false,
            ...(service ? { service: service.name } : {}),
          }
          active.set(id.fingerprint, a)
        }
        a.value = result.value
        const values: Record<string, string | number | undefined> = {
          $value: result.value,
          $rule: rule.name,
          $severity: rule.severity,
          $service: service?.name,
          $blockedBy: service?.blockedBy.join(', '),
          $escalation: service?.health.escalation ?? 'Healing failed or hit its limits',
        }
        for (const [k, v] of Object.entries(a.labels)) values[`$labels.${k}`] = v
        a.annotations = Object.fromEntries(
          Object.entries(rule.annotations).map(([k, t]) => [k, t.render(values)]),
        )
        if (isNew) changes.push(record(a, 'pending', now))
        if (a.state === 'pending' && now - a.activeAt >= rule.for) {
          a.state = 'firing'
          a.firedAt = now
          changes.push(record(a, 'firing', now))
        }
      }
    }
    for (const [fp, a] of active) {
      if (seen.has(fp) || skipped.has(a.rule)) continue
      active.delete(fp)
      if (a.state === 'pending') changes.push(record(a, 'inactive', now))
      else {
        changes.push(record(a, 'resolved', now, now))
        if (a.notified) queue(a, 'resolved', now)
      }
    }
    for (const a of active.values()) {
      if (a.state !== 'firing') continue
      a.muted = muteReason(a, now)
      if (a.muted) continue
      const last = lastNotifiedAt.get(a.fingerprint)
      if (a.notified) {
        if (
          repeatIntervalMs > 0 &&
          last !== undefined &&
          now - last >= Math.max(repeatIntervalMs, a.rule.cooldown)
        ) {
          lastNotifiedAt.set(a.fingerprint, now)
          queue(a, 'firing', now)
        }
        continue
      }
      if (last !== undefined && now - last < a.rule.cooldown) continue
      a.notified = true
      lastNotifiedAt.set(a.fingerprint, now)
      queue(a, 'firing', now)
      const alert = record(a, 'firing', now)
      for (const action of a.rule.actions) {
        if (action.type === 'notify') continue
        const act: AlertAction =
          action.type === 'heal'
            ? { kind: 'heal', trigger: action.trigger, ...(a.service ? { service: a.service } : {}), alert }
            : { kind: 'gc', ...(a.service ? { service: a.service } : {}), alert }
        try {
          options.onAction?.(act)
        } catch (error) {
          logger.error('alert action handler failed', { error: errorMessage(error) })
        }
        emit('action', act)
      }
    }
    for (const change of changes) emit('alert', change)
    await save(changes)
    if (groupWaitMs === 0) await flush()
    return { changes, active: [...active.values()].map(snapshotOf) }
  }

  return {
    evaluate,
    alerts: () => [...active.values()].map(snapshotOf),
    addSilence(input) {
      const s: Silence = { id: createId('silence', clock.now()), ...parseSilence(input) }
      silences.set(s.id, s)
      return s
    },
    expireSilence(id) {
      const s = silences.get(id)
      if (!s) return false
      s.endsAt = Math.min(s.endsAt, clock.now())
      return true
    },
    silences: () => [...silences.values()].filter((s) => s.endsAt > clock.now()),
    warnings,
    rules,
    worker,
    on(event, listener) {
      listeners[event].add(listener)
      return () => {
        listeners[event].delete(listener)
      }
    },
    flush,
    async start() {
      if (options.alertLog) {
        const byName = new Map(rules.map((r) => [r.name, r]))
        try {
          for (const r of await options.alertLog.alerts({ state: 'firing', limit: 10_000 })) {
            const rule = byName.get(r.rule)
            if (!rule || active.has(r.fingerprint)) continue
            active.set(r.fingerprint, {
              rule,
              fingerprint: r.fingerprint,
              labels: r.labels,
              annotations: r.annotations,
              state: 'firing',
              ...(r.value !== undefined ? { value: r.value } : {}),
              activeAt: r.activeAt ?? r.updatedAt,
              firedAt: r.firedAt ?? r.updatedAt,
              // Already announced before the restart: do not announce it again.
              notified: true,
              ...(r.labels.service ? { service: r.labels.service } : {}),
            })
            lastNotifiedAt.set(r.fingerprint, r.firedAt ?? r.updatedAt)
          }
        } catch (error) {
          logger.error('cannot reload firing alerts', { error: errorMessage(error) })
        }
      }
      worker.start()
    },
    async stop() {
      await flush()
      await worker.stop()
      await Promise.all(Object.values(channels).map((c) => c.close?.()))
    },
  }
}
