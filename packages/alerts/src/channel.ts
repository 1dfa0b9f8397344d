import type { Clock, Logger } from '@noa/core'

/** One alert inside a notification, in Alertmanager's webhook (version 4) shape. */
export interface NotificationAlert {
  status: 'firing' | 'resolved'
  labels: Record<string, string>
  annotations: Record<string, string>
  /** ISO 8601. */
  startsAt: string
  /** ISO 8601; `0001-01-01T00:00:00Z` while firing, as Alertmanager sends. */
  endsAt: string
  generatorURL: string
  fingerprint: string
  /** Value of the condition's left side when it last held. */
  value?: number
}

/**
 * What a channel sends: the alerts of one group, in Alertmanager's webhook payload
 * (version 4) so existing receivers understand it. It is also what the outbox stores.
 */
export interface Notification {
  version: '4'
  groupKey: string
  truncatedAlerts: number
  /** `firing` when at least one alert fires. */
  status: 'firing' | 'resolved'
  /** The channel's name. */
  receiver: string
  groupLabels: Record<string, string>
  commonLabels: Record<string, string>
  commonAnnotations: Record<string, string>
  externalURL: string
  alerts: NotificationAlert[]
}

/** Passed to every send: the caller's abort signal and the delivery's idempotency key. */
export interface SendContext {
  signal: AbortSignal
  /** The same on every attempt of one delivery, so receivers can drop duplicates. */
  idempotencyKey: string
}

/** What a send gives back. A failure says whether trying again can help (5xx, timeout) or not (4xx). */
export type SendResult = { ok: true } | { ok: false; retryable: boolean; error: string }

/**
 * A place notifications go. Implementations never throw from `send`: every failure is a
 * result, and no secret (URL, password, key) appears in its error text.
 */
export interface Channel {
  readonly type: string
  send(notification: Notification, context: SendContext): Promise<SendResult>
  /** Releases sockets or files, when the channel holds any. */
  close?(): Promise<void>
  /** Secret values given in the options, scrubbed from any text that leaves the channel. */
  readonly secrets?: readonly string[]
  /**
   * Sent by the engine at flush time, directly, never through the outbox: for a channel that
   * needs no disk and cannot be down (the console's stdout), so a full disk or a broken store
   * never silences it. @default false
   */
  readonly direct?: boolean
  /**
   * The alerts firing and notified when the engine starts again (restored from the alert
   * log) that this channel's route takes: for a channel that keeps its receiver's view of
   * firing alerts alive (Alertmanager's resends), which a restart would otherwise let lapse.
   */
  resume?(alerts: readonly NotificationAlert[]): void
  /**
   * Counts of what the channel does beyond the deliveries the engine counts (Alertmanager's
   * resends), by event, since it was made: shown in the engine's `stats().channels`.
   */
  stats?(): Readonly<Record<string, number>>
}

/** What a channel factory may use. */
export interface ChannelDeps {
  clock: Clock
  logger: Logger
  /** Where the console channel writes lines. @default process.stdout */
  write?: (line: string) => void
}

/** Builds a channel from options, validating them at once (throws ConfigError). */
export type ChannelFactory = (options: unknown, deps: ChannelDeps, path?: string) => Channel

/**
 * Replaces every secret value (4 characters or more) in `text` by `[redacted]`.
 *
 * @example
 * ```ts
 * redact('login failed for hunter2', ['hunter2']) // 'login failed for [redacted]'
 * ```
 */
export function redact(text: string, secrets: readonly string[] | undefined): string {
  if (!secrets) return text
  let out = text
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join('[redacted]')
  }
  return out
}

/** Alert name and service of an alert, for one-line titles: `service-down (api)`. */
export function alertTitle(alert: NotificationAlert): string {
  const name = alert.labels.alertname ?? 'alert'
  return alert.labels.service ? `${name} (${alert.labels.service})` : name
}

/** The headline of a notification: `[FIRING:2] service-down, dependency-down`. */
export function headline(n: Notification): string {
  const firing = n.alerts.filter((a) => a.status === 'firing').length
  const names = [...new Set(n.alerts.map((a) => a.labels.alertname ?? 'alert'))].join(', ')
  return n.status === 'firing' ? `[FIRING:${firing}] ${names}` : `[RESOLVED] ${names}`
}
