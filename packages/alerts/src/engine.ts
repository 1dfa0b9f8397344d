import { createHash } from 'node:crypto'
import type { AlertLog, AlertRecord, Clock, Logger, Outbox, SilenceStore, Subscribable } from '@noa/core'
import { ConfigError, createEmitter, errorMessage, noopLogger, systemClock, yieldToLoop } from '@noa/core'
import type { Active, MuteReason } from './active.ts'
import { toRecord } from './active.ts'
import type { AlertAction } from './announce.ts'
import { createAnnouncer } from './announce.ts'
import type { Notification } from './channel.ts'
import type { EvaluationContext, Sample, ServiceScope } from './context.ts'
import { serviceScope } from './context.ts'
import { defaultInhibitRules, defaultRules } from './default-rules.ts'
import type { DeliveryWorker, DeliveryWorkerOptions } from './delivery.ts'
import { createDeliveryWorker } from './delivery.ts'
import type { DispatchStats } from './dispatch.ts'
import { createDispatcher, notificationAlert, routeTakes } from './dispatch.ts'
import type { ConditionInput } from './expression/condition.ts'
import { restoreAlerts } from './restore.ts'
import type { ChannelConfig, ChannelEntry, ChannelRoute } from './routes.ts'
import { buildChannels } from './routes.ts'
import type { AlertRuleOptions, CompiledRule } from './rule.ts'
import { compileRules } from './rule.ts'
import type { InhibitRule, Silence, SilenceOptions } from './silence.ts'
import { createSilenceSync } from './silence-sync.ts'

export type { AlertAction, ChannelConfig, ChannelEntry, ChannelRoute }

/** How long an alert keeps its state while the data its condition needs is absent (Prometheus' lookback). */
export const STALE_AFTER_MS = 300_000

/** An active alert with the reason it is muted, if it is. */
export type ActiveAlert = AlertRecord & { muted?: MuteReason }

/** Events of the engine. */
export interface AlertEngineEvents {
  /** A firing alert asks for a healing or a GC (subject to cooldown, silences and inhibition). */
  action: AlertAction
  /** An alert changed state (pending, firing, resolved, inactive). */
  alert: AlertRecord
  /** A notification was handed to a channel: written to the outbox, or sent directly. */
  notification: Notification
  /**
   * The outbox could not be written (full or read-only disk, broken store): notifications
   * went out directly, best effort, once. Emitted when writes start failing, not at each one.
   */
  'outbox-failed': { error: string; at: number }
  /** An outbox write worked again after `outbox-failed`. */
  'outbox-recovered': { at: number; failedSince: number }
}

/** Counters of the engine, for the host's metrics and status page. */
export interface AlertEngineStats extends DispatchStats {
  /** Reads and writes of the silence store that failed since start. */
  silenceStoreFailures: number
  /** Reads and writes of the alert log that failed since start. */
  alertLogFailures: number
  /** Repeat notifications not sent because `holdRepeat` held them (an acknowledged incident), since start. */
  repeatsHeld: number
  /** Each channel's own counts by event, for the channels that keep some (Alertmanager's resends). */
  channels: Record<string, Readonly<Record<string, number>>>
}

/** Options of {@link createAlertEngine}. */
export interface AlertEngineOptions {
  /**
   * Rule options, typed (a misspelt option does not compile) and validated again now, for
   * JavaScript callers and values read from files. @default defaultRules()
   */
  rules?: readonly AlertRuleOptions[]
  /**
   * Channels by name: a `{ channel, minSeverity?, sendResolved? }` entry, or channel options
   * `{ type: 'webhook', url, ..., minSeverity?, sendResolved? }` built with the registry; the
   * options of each `type` are typed, and validated again now.
   */
  channels?: Readonly<Record<string, ChannelEntry | ChannelConfig>>
  /** Where notifications are written before they are sent. */
  outbox: Outbox
  /** Where alert records and their history go; pending and firing alerts are restored from it at start. */
  alertLog?: AlertLog
  /** Where silences are kept, so they survive restarts and are shared by agents on one store. */
  silenceStore?: SilenceStore
  /** Reads the silence store again at most this often, when evaluating or listing. @default 10000 */
  silenceRefreshMs?: number
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
  /**
   * Whether the repeats of a firing alert are held, e.g. while a person has acknowledged the
   * incident it belongs to: no repeat is sent while this answers true (each one held is
   * counted in `stats().repeatsHeld`); the resolved notification is still sent. @default never
   */
  holdRepeat?: (alert: AlertRecord) => boolean
  /** @default defaultInhibitRules() */
  inhibitRules?: readonly InhibitRule[]
  /**
   * Whether an alert's labels name a service in a maintenance window now: such an alert still
   * evaluates (pending, firing, resolved, recorded) but is muted (`muted: 'maintenance'`), so it
   * sends nothing and asks for no action; still firing when the window ends, it is announced then.
   * @default never
   */
  maintenance?: (labels: Readonly<Record<string, string>>, now: number) => boolean
  /** Retry policy and limits of the delivery worker (`sendTimeoutMs` and `onAttempt` apply to direct sends too). */
  delivery?: Omit<DeliveryWorkerOptions, 'outbox' | 'channels' | 'clock' | 'logger'>
  /** Called with every action, as well as the `action` event. */
  onAction?: (action: AlertAction) => void
  /**
   * Conditions an evaluation judges before it lets the event loop run (timers, I/O, requests),
   * so a rule over a large fleet is judged in slices instead of one long task. The alerts are
   * the same as in one pass: evaluations run one after another, never interleaved, and each
   * judges the context it was given. @default 2000
   */
  evaluationSlice?: number
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
  /**
   * Adds a silence, saved to the silence store first. Rejects with a ConfigError when it is
   * invalid, and with a SilenceStoreError when it could not be saved (then nothing changed).
   */
  addSilence(options: SilenceOptions): Promise<Silence>
  /**
   * Ends a silence now, saved to the silence store first; false when no active silence has
   * that id. Rejects with a SilenceStoreError when it could not be saved.
   */
  expireSilence(id: string): Promise<boolean>
  /** Silences that have not ended (future ones included), as last read from the store. */
  silences(): Silence[]
  /** Counters: outbox availability and failures, direct sends, store failures. */
  stats(): AlertEngineStats
  /** Warnings found when the rules were compiled (names that are not snapshot fields). */
  readonly warnings: readonly string[]
  readonly rules: readonly CompiledRule[]
  readonly worker: DeliveryWorker
  on: Subscribable<AlertEngineEvents>['on']
  /** Hands the notifications still waiting for their group over now, and waits for direct sends in flight. */
  flush(): Promise<void>
  /** Restores pending and firing alerts and loads the silences, then starts the delivery worker. */
  start(): Promise<void>
  /** Flushes groups and stops the delivery worker; closes channels. */
  stop(): Promise<void>
}

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

/**
 * Creates the alert rule engine: evaluates rules over the latest snapshot and health
 * (inactive -> pending (`for`) -> firing -> resolved), applies cooldown, silences and
 * inhibition, groups what fires together into one notification per channel, writes it to
 * the outbox and lets its delivery worker send it. Healing and GC are asked for through
 * the `action` event; the engine never acts on services itself. Alert state and silences
 * survive a restart when an alert log and a silence store are given.
 *
 * @example
 * ```ts
 * const engine = createAlertEngine({
 *   outbox: store.outbox,
 *   alertLog: store.alerts,
 *   silenceStore: store.silences,
 *   channels: { console: { type: 'console' }, ops: { type: 'webhook', url: process.env.ALERT_WEBHOOK_URL } },
 * })
 * engine.on('action', (a) => a.kind === 'heal' && healing.heal(a.service, a.trigger))
 * engine.on('outbox-failed', ({ error }) => status.storeUnavailable(error))
 * await engine.start()
 * await engine.evaluate({ snapshot, services })
 * ```
 */
export function createAlertEngine(options: AlertEngineOptions): AlertEngine {
  const clock = options.clock ?? systemClock
  const logger = options.logger ?? noopLogger
  const groupWaitMs = options.groupWaitMs ?? 1000
  const repeatIntervalMs = options.repeatIntervalMs ?? 0
  const inhibitRules = options.inhibitRules ?? defaultInhibitRules()
  const silenceRefreshMs = options.silenceRefreshMs ?? 10_000
  const evaluationSlice = options.evaluationSlice ?? 2000

  // Validate everything before anything starts, and report every problem at once.
  const issues: Array<{ path: string; message: string }> = []
  let compiled: { rules: CompiledRule[]; warnings: string[] } = { rules: [], warnings: [] }
  try {
    compiled = compileRules(options.rules ?? defaultRules())
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    issues.push(...error.issues)
  }
  const { channels, routes } = buildChannels(
    options.channels ?? {},
    {
      clock,
      logger,
      ...(options.write ? { write: options.write } : {}),
    },
    issues,
  )
  /** Hands each channel that keeps firing alerts alive those restored that it was told about. */
  const resumeChannels = (restored: readonly Active[]) => {
    const now = clock.now()
    const told = restored.filter(
      (a) =>
        a.state === 'firing' && a.notifiedAt !== undefined && a.rule.actions.some((x) => x.type === 'notify'),
    )
    for (const [name, channel] of Object.entries(channels)) {
      const route = routes[name]
      if (!channel.resume || !route) continue
      const alerts = told
        .filter((a) => routeTakes(route, a.rule.severity))
        .map((a) => notificationAlert(a, 'firing', now))
      if (alerts.length > 0) channel.resume(alerts)
    }
  }
  if (!Number.isInteger(silenceRefreshMs) || silenceRefreshMs < 0)
    issues.push({
      path: 'silenceRefreshMs',
      message: `expected a whole number of ms >= 0; found ${silenceRefreshMs}`,
    })
  if (!Number.isInteger(evaluationSlice) || evaluationSlice < 1)
    issues.push({
      path: 'evaluationSlice',
      message: `expected a whole number of conditions >= 1; found ${evaluationSlice}`,
    })
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
  const counts = { silenceStoreFailures: 0, alertLogFailures: 0, repeatsHeld: 0 }
  const channelStats = () => {
    const out: Record<string, Readonly<Record<string, number>>> = {}
    for (const [name, channel] of Object.entries(channels)) if (channel.stats) out[name] = channel.stats()
    return out
  }
  const events = createEmitter<AlertEngineEvents>({ logger, name: 'alerts' })
  const labelCache = new Map<string, { labels: Record<string, string>; fingerprint: string }>()

  const emit = events.emit

  const dispatcher = createDispatcher({
    outbox: options.outbox,
    worker,
    channels,
    routes,
    clock,
    logger,
    groupWaitMs,
    groupBy: options.groupBy ?? [],
    sendTimeoutMs: options.delivery?.sendTimeoutMs ?? 30_000,
    ...(options.delivery?.onAttempt ? { onAttempt: options.delivery.onAttempt } : {}),
    events: {
      notification: (n) => emit('notification', n),
      outboxFailed: (e) => emit('outbox-failed', e),
      outboxRecovered: (e) => emit('outbox-recovered', e),
    },
  })
  const silences = createSilenceSync({
    ...(options.silenceStore ? { store: options.silenceStore } : {}),
    clock,
    logger,
    refreshMs: silenceRefreshMs,
    onFailure: () => counts.silenceStoreFailures++,
  })

  const announcer = createAnnouncer({
    dispatcher,
    silences,
    inhibitRules,
    ...(options.maintenance ? { maintenance: options.maintenance } : {}),
    repeatIntervalMs,
    ...(options.holdRepeat
      ? {
          holdRepeat: (alert: AlertRecord) => {
            try {
              return options.holdRepeat?.(alert) === true
            } catch (error) {
              // A broken hold sends the reminder: a person missing a page is the worse failure.
              logger.error('holdRepeat failed; sending the repeat', { error: errorMessage(error) })
              return false
            }
          },
          held: (alert: AlertRecord) => {
            counts.repeatsHeld++
            logger.debug('repeat held', { rule: alert.rule, fingerprint: alert.fingerprint })
          },
        }
      : {}),
    act(action) {
      try {
        options.onAction?.(action)
      } catch (error) {
        logger.error('alert action handler failed', { error: errorMessage(error) })
      }
      emit('action', action)
    },
  })

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

  const save = async (records: AlertRecord[]) => {
    if (!options.alertLog) return
    for (const r of records) {
      try {
        await options.alertLog.saveAlert(r)
      } catch (error) {
        counts.alertLogFailures++
        logger.error('cannot save alert', { fingerprint: r.fingerprint, error: errorMessage(error) })
      }
    }
  }

  const snapshotOf = (a: Active): ActiveAlert => ({
    ...toRecord(a, a.state, clock.now()),
    ...(a.muted ? { muted: a.muted } : {}),
  })

  const NO_SAMPLES: readonly Sample[] = Object.freeze([])
  const judge = async (ctx: EvaluationContext): Promise<EvaluationResult> => {
    await silences.refreshIfDue()
    const now = clock.now()
    let judged = 0
    const changes: AlertRecord[] = []
    const seen = new Set<string>()
    // A service without a check result yet (`unknown`, right after a start) gives no health
    // facts: the alerts of rules that read them keep their state until one arrives, so a
    // restart resolves nothing falsely. Rules on its metrics alone still run.
    const unknown = new Set<string>()
    // The scopes are made in the evaluation's slices too: 10,000 of them are a long task alone.
    const allScopes: ServiceScope[] = []
    const knownScopes: ServiceScope[] = []
    const services = ctx.services ?? {}
    for (const name in services) {
      if (++judged % evaluationSlice === 0) await yieldToLoop()
      const health = services[name]!
      const scope = serviceScope(ctx, name, health)
      allScopes.push(scope)
      if (health.state === 'unknown') unknown.add(name)
      else knownScopes.push(scope)
    }
    const samples = ctx.samples ?? []
    // A per-service rule's selectors read that service's own samples (labelled `service`), as a
    // Prometheus rule judges each series: `process_resident_memory_bytes > 2e8` with scope
    // "service" is about each service's memory, not the fleet's sum. Grouped once, when asked.
    let byService: Map<string, Sample[]> | undefined
    const samplesOf = (service: ServiceScope | undefined): readonly Sample[] => {
      if (!service) return samples
      if (!byService) {
        byService = new Map()
        for (const s of samples) {
          const name = s.labels.service
          if (name === undefined) continue
          const list = byService.get(name)
          if (list) list.push(s)
          else byService.set(name, [s])
        }
      }
      return byService.get(service.name) ?? NO_SAMPLES
    }
    // A context without health facts (or without metrics) leaves the rules that need them
    // as they are, so a metrics-only evaluation does not resolve every service alert. An
    // empty sample list is no metrics either: a host passes one before its first scrape.
    const noMetrics = !ctx.snapshot && samples.length === 0
    const skipped = new Set<CompiledRule>()
    // One input, its service and samples set for each judgement: a round over 10,000 services
    // judges each per-service rule 10,000 times, and conditions only read it.
    const input: ConditionInput = { snapshot: ctx.snapshot, service: undefined, samples, agent: ctx.agent }
    for (const rule of rules) {
      const missing =
        rule.scope === 'service' ? !ctx.services : rule.condition.agentOnly ? !ctx.agent : noMetrics
      if (missing) {
        skipped.add(rule)
        continue
      }
      const instances =
        rule.scope === 'service' ? (rule.condition.readsHealth ? knownScopes : allScopes) : [undefined]
      for (const service of instances) {
        if (++judged % evaluationSlice === 0) await yieldToLoop()
        input.service = service
        input.samples = samplesOf(service)
        const result = rule.condition.evaluate(input)
        if (!result.holds) {
          // Absent data (a first scrape after a restart, a failed scrape) says neither yes nor
          // no: an alert keeps its state for a while, as Prometheus looks back 5 minutes.
          if (result.known) continue
          const held = active.get(identity(rule, service).fingerprint)
          if (held && now - held.heldAt < STALE_AFTER_MS) seen.add(held.fingerprint)
          continue
        }
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
            heldAt: now,
            ...(service ? { service: service.name } : {}),
          }
          active.set(id.fingerprint, a)
        }
        a.heldAt = now
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
        for (const [k, v] of Object.entries(service?.health.slo?.annotations ?? {})) values[`$slo.${k}`] = v
        a.annotations = Object.fromEntries(
          Object.entries(rule.annotations).map(([k, t]) => [k, t.render(values)]),
        )
        if (isNew) changes.push(toRecord(a, 'pending', now))
        if (a.state === 'pending' && now - a.activeAt >= rule.for) {
          a.state = 'firing'
          a.firedAt = now
          changes.push(toRecord(a, 'firing', now))
        }
      }
    }
    for (const [fp, a] of active) {
      if (seen.has(fp) || skipped.has(a.rule)) continue
      if (a.service && unknown.has(a.service) && a.rule.condition.readsHealth) continue
      active.delete(fp)
      if (a.state === 'pending') changes.push(toRecord(a, 'inactive', now))
      else {
        changes.push(toRecord(a, 'resolved', now, now))
        if (a.notifiedAt !== undefined) dispatcher.queue(a, 'resolved', now)
      }
    }
    const announced = announcer.run(active, now)
    // The notification time goes with the firing record of this round, or in a record of its own.
    const firingNow = new Map(changes.filter((c) => c.state === 'firing').map((c) => [c.fingerprint, c]))
    const saves = [...changes]
    for (const a of announced) {
      const change = firingNow.get(a.fingerprint)
      if (change) change.notifiedAt = now
      else saves.push(toRecord(a, 'firing', now))
    }
    for (const change of changes) emit('alert', change)
    await save(saves)
    if (groupWaitMs === 0) await dispatcher.flushGroups()
    return { changes, active: [...active.values()].map(snapshotOf) }
  }

  // One evaluation at a time: one that waits for the event loop between slices must not see
  // another add or resolve alerts half-way through its own pass.
  let evaluating: Promise<unknown> = Promise.resolve()
  const evaluate = (ctx: EvaluationContext): Promise<EvaluationResult> => {
    const run = evaluating.then(() => judge(ctx))
    evaluating = run.catch(() => undefined)
    return run
  }

  return {
    evaluate,
    alerts: () => [...active.values()].map(snapshotOf),
    addSilence: (input) => silences.add(input),
    expireSilence: (id) => silences.expire(id),
    silences: () => silences.list(),
    stats: () => ({ ...dispatcher.stats(), ...counts, channels: channelStats() }),
    warnings,
    rules,
    worker,
    on: events.on,
    flush: () => dispatcher.flush(),
    async start() {
      const restoring = options.alertLog
        ? restoreAlerts({ alertLog: options.alertLog, rules, now: clock.now(), logger })
        : undefined
      const [restored] = await Promise.all([restoring, silences.load()])
      if (restored) {
        counts.alertLogFailures += restored.failures
        for (const [fp, at] of restored.lastNotifiedAt) announcer.lastNotifiedAt.set(fp, at)
        for (const a of restored.active) if (!active.has(a.fingerprint)) active.set(a.fingerprint, a)
        resumeChannels(restored.active)
      }
      worker.start()
    },
    async stop() {
      await dispatcher.flush()
      await worker.stop()
      await Promise.all(Object.values(channels).map((c) => c.close?.()))
    },
  }
}
