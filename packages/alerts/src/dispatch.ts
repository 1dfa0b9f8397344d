import type { Clock, Delivery, Logger, NewDelivery, Outbox, Severity } from '@noa/core'
import { createId, errorMessage } from '@noa/core'
import type { Active } from './active.ts'
import type { Channel, Notification, NotificationAlert, SendResult } from './channel.ts'
import type { DeliveryWorker } from './delivery.ts'
import { createLimiter } from './limiter.ts'
import type { ChannelRoute } from './routes.ts'
import { sendOnce } from './send.ts'

/** Counts of the dispatcher, for the engine's `stats()`. */
export interface DispatchStats {
  /** False while the latest outbox write failed. */
  outboxAvailable: boolean
  /** Outbox writes that failed since start. */
  outboxFailures: number
  /** Error of the latest failed outbox write. */
  lastOutboxError?: string
  /** Notifications sent directly because the outbox could not be written. */
  direct: { sent: number; failed: number; dropped: number }
}

/** What the dispatcher tells the engine. */
export interface DispatchEvents {
  notification(n: Notification): void
  outboxFailed(event: { error: string; at: number }): void
  outboxRecovered(event: { at: number; failedSince: number }): void
}

/** Options of {@link createDispatcher}. */
export interface DispatcherOptions {
  outbox: Outbox
  worker: DeliveryWorker
  channels: Readonly<Record<string, Channel>>
  routes: Readonly<Record<string, Required<ChannelRoute>>>
  clock: Clock
  logger: Logger
  groupWaitMs: number
  groupBy: readonly string[]
  /** Outer time limit of a direct send. */
  sendTimeoutMs: number
  /** Reported for each direct send, as the worker reports its attempts. */
  onAttempt?: (delivery: Delivery, result: SendResult) => void
  events: DispatchEvents
}

/** Groups alerts into notifications and hands them to their channels. */
export interface Dispatcher {
  /** Adds an alert's firing or resolved state to its group (which waits `groupWaitMs`). */
  queue(a: Active, status: 'firing' | 'resolved', now: number): void
  /** Hands every waiting group over now; direct sends are started, not awaited. */
  flushGroups(): Promise<void>
  /** Hands every waiting group over and waits for the group timers' and direct sends in flight. */
  flush(): Promise<void>
  stats(): DispatchStats
}

interface Group {
  labels: Record<string, string>
  alerts: Map<string, { alert: NotificationAlert; severity: Severity }>
  timer?: { cancel(): void }
}

const ZERO_TIME = '0001-01-01T00:00:00Z'

/** An alert as notifications carry it, firing or resolved at `now`. */
export function notificationAlert(a: Active, status: 'firing' | 'resolved', now: number): NotificationAlert {
  return {
    status,
    labels: a.labels,
    annotations: a.annotations,
    startsAt: new Date(a.firedAt ?? a.activeAt).toISOString(),
    endsAt: status === 'resolved' ? new Date(now).toISOString() : ZERO_TIME,
    generatorURL: '',
    fingerprint: a.fingerprint,
    ...(a.value !== undefined ? { value: a.value } : {}),
  }
}

/** Whether a channel's route takes an alert of this severity. */
export function routeTakes(route: Required<ChannelRoute>, severity: Severity): boolean {
  return SEVERITY_RANK[severity] <= SEVERITY_RANK[route.minSeverity]
}
const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 }
/** Direct sends at once, and waiting, while the outbox cannot be written. */
const DIRECT_CONCURRENCY = 4
const DIRECT_MAX_WAITING = 1000

function common(maps: readonly Record<string, string>[]): Record<string, string> {
  const [first, ...rest] = maps
  if (!first) return {}
  return Object.fromEntries(Object.entries(first).filter(([k, v]) => rest.every((m) => m[k] === v)))
}

/**
 * The notify stage of the engine: alerts that fire together become one notification per
 * channel. Channels marked `direct` (the console) get it at once, never through the outbox,
 * so a full disk cannot silence them. The others are written to the outbox for the delivery
 * worker; when that write fails, each of their notifications is sent directly, once, best
 * effort (bounded concurrency), and the engine is told (`outboxFailed`, then
 * `outboxRecovered` at the next write that works).
 */
export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const { outbox, worker, channels, routes, clock, logger, groupWaitMs, groupBy, events } = options
  const groups = new Map<string, Group>()
  const inFlight = new Set<Promise<unknown>>()
  const limiter = createLimiter(DIRECT_CONCURRENCY, DIRECT_MAX_WAITING)
  const stats: DispatchStats = {
    outboxAvailable: true,
    outboxFailures: 0,
    direct: { sent: 0, failed: 0, dropped: 0 },
  }
  let failingSince: number | undefined

  const track = (p: Promise<unknown>) => {
    const tracked = p.finally(() => inFlight.delete(tracked))
    inFlight.add(tracked)
  }

  const notifications = (key: string, group: Group, now: number): NewDelivery[] => {
    const items: NewDelivery[] = []
    for (const [name, route] of Object.entries(routes)) {
      const alerts = [...group.alerts.values()]
        .filter((x) => routeTakes(route, x.severity))
        .filter((x) => route.sendResolved || x.alert.status === 'firing')
        .map((x) => x.alert)
      if (alerts.length === 0) continue
      const payload: Notification = {
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
      items.push({ channel: name, idempotencyKey: createId('ntf', now), payload, createdAt: now })
    }
    return items
  }

  const send = (item: NewDelivery) =>
    sendOnce(channels[item.channel] as Channel, item.payload as Notification, {
      idempotencyKey: item.idempotencyKey,
      timeoutMs: options.sendTimeoutMs,
      clock,
    })

  // A notification the outbox could not take: one attempt, reported like the worker's.
  const sendDirect = async (item: NewDelivery) => {
    const result = await send(item)
    const at = clock.now()
    if (result.ok) {
      stats.direct.sent++
      logger.warn('alert notification sent directly, the outbox is unavailable', { channel: item.channel })
    } else {
      stats.direct.failed++
      logger.error('direct alert delivery failed', { channel: item.channel, error: result.error })
    }
    try {
      options.onAttempt?.(
        {
          ...item,
          id: item.idempotencyKey,
          status: result.ok ? 'sent' : 'failed',
          attempts: 1,
          nextAttemptAt: at,
          ...(result.ok ? { sentAt: at } : { lastError: result.error }),
        },
        result,
      )
    } catch {}
  }

  const outboxFailed = (error: unknown) => {
    const message = errorMessage(error)
    const at = clock.now()
    stats.outboxFailures++
    stats.lastOutboxError = message
    logger.error('cannot write notifications to the outbox; sending them directly', { error: message })
    if (!stats.outboxAvailable) return
    stats.outboxAvailable = false
    failingSince = at
    events.outboxFailed({ error: message, at })
  }

  const outboxWorked = () => {
    if (stats.outboxAvailable) return
    stats.outboxAvailable = true
    events.outboxRecovered({ at: clock.now(), failedSince: failingSince ?? clock.now() })
    failingSince = undefined
  }

  const flushGroup = async (key: string) => {
    const group = groups.get(key)
    if (!group) return
    groups.delete(key)
    group.timer?.cancel()
    const items = notifications(key, group, clock.now())
    const queued: NewDelivery[] = []
    for (const item of items) {
      if (!channels[item.channel]?.direct) {
        queued.push(item)
        continue
      }
      // Stdout cannot fill up: the line is written now, whatever the outbox does.
      const result = await send(item)
      if (!result.ok)
        logger.error('alert notification failed', { channel: item.channel, error: result.error })
    }
    if (queued.length > 0) {
      try {
        await outbox.enqueue(queued)
        outboxWorked()
        worker.kick()
      } catch (error) {
        outboxFailed(error)
        for (const item of queued) {
          const run = limiter.run(() => sendDirect(item))
          if (run) track(run)
          else {
            stats.direct.dropped++
            logger.error('direct alert delivery dropped: too many waiting', { channel: item.channel })
          }
        }
      }
    }
    for (const item of items) events.notification(item.payload as Notification)
  }

  const flushGroups = async () => {
    await Promise.all([...groups.keys()].map(flushGroup))
  }

  return {
    queue(a, status, now) {
      if (!a.rule.actions.some((x) => x.type === 'notify')) return
      const key = `{${groupBy.map((l) => `${l}=${JSON.stringify(a.labels[l] ?? '')}`).join(',')}}`
      let group = groups.get(key)
      if (!group) {
        group = { labels: Object.fromEntries(groupBy.map((l) => [l, a.labels[l] ?? ''])), alerts: new Map() }
        groups.set(key, group)
        if (groupWaitMs > 0) group.timer = clock.setTimeout(() => track(flushGroup(key)), groupWaitMs)
      }
      group.alerts.set(a.fingerprint, { severity: a.rule.severity, alert: notificationAlert(a, status, now) })
    },
    flushGroups,
    async flush() {
      await flushGroups()
      while (inFlight.size > 0) await Promise.all([...inFlight])
    },
    stats: () => ({ ...stats, direct: { ...stats.direct } }),
  }
}
