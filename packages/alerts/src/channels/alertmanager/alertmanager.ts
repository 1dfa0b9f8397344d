import { errorMessage, type Timer } from '@noa/core'
import { z } from 'zod'
import type { Channel, ChannelDeps, NotificationAlert, SendResult } from '../../channel.ts'
import { parseChannelOptions } from '../../options.ts'
import { httpOptionsSchema, postJson, secretUrl } from '../webhook/transport.ts'

/** Options of the Alertmanager channel: alerts forwarded to an Alertmanager's API v2. */
export const alertmanagerOptionsSchema = z.strictObject({
  type: z.literal('alertmanager'),
  /** Base URL of the Alertmanager, e.g. `http://127.0.0.1:9093`; `/api/v2/alerts` is added. */
  url: secretUrl,
  /**
   * Firing alerts are sent again this often, as Alertmanager expects of the programs that feed
   * it; each says it ends four intervals later, so alerts of a noa that stopped resolve on
   * their own. @default 60000
   */
  resendIntervalMs: z.number().int().min(1000).max(3_600_000).default(60_000),
  ...httpOptionsSchema,
})

export type AlertmanagerOptions = z.input<typeof alertmanagerOptionsSchema>

/** Firing alerts kept for resending at most; more are sent once and counted as not resent. */
export const MAX_RESENT_ALERTS = 10_000
/** Alerts in one POST at most. */
const BATCH = 500

/** One alert as Alertmanager's `POST /api/v2/alerts` takes it (postableAlert). */
export interface PostableAlert {
  labels: Record<string, string>
  annotations: Record<string, string>
  startsAt: string
  endsAt: string
  generatorURL?: string
}

/** The alert in Alertmanager's shape; a firing one ends at `endsAt` unless sent again. */
export function toPostableAlert(alert: NotificationAlert, firingEndsAt: number): PostableAlert {
  const out: PostableAlert = {
    labels: alert.labels,
    annotations: alert.annotations,
    startsAt: alert.startsAt,
    endsAt: alert.status === 'firing' ? new Date(firingEndsAt).toISOString() : alert.endsAt,
  }
  // Alertmanager refuses a generatorURL that is not an absolute URL.
  if (URL.canParse(alert.generatorURL)) out.generatorURL = alert.generatorURL
  return out
}

/**
 * Forwards alerts to an existing Alertmanager through its API v2, where its routes, grouping,
 * silences and receivers take over. Firing alerts are sent, and sent again every
 * `resendIntervalMs` while they fire (directly, not through the outbox: a resend only keeps
 * them alive); a resolved alert is sent with its `endsAt`. Alertmanager deduplicates alerts by
 * their labels, so a retried or repeated delivery is harmless. After a restart the engine hands
 * over the alerts still firing (`resume`), which are sent again at once and kept alive.
 *
 * @example
 * ```ts
 * createAlertmanagerChannel({ type: 'alertmanager', url: 'http://127.0.0.1:9093' }, deps)
 * ```
 */
export function createAlertmanagerChannel(options: unknown, deps: ChannelDeps, path = 'channel'): Channel {
  const o = parseChannelOptions(alertmanagerOptionsSchema, options, path)
  const endpoint = `${o.url.replace(/\/+$/, '')}/api/v2/alerts`
  const firing = new Map<string, NotificationAlert>()
  let timer: Timer | undefined
  let resending = false
  let failing = false
  let closed = false
  // What a person needs to see on /metrics: resends that reached Alertmanager, failed, and
  // firing alerts sent once but not kept alive (past MAX_RESENT_ALERTS).
  const counts = { resends: 0, resendFailures: 0, notKept: 0 }

  const post = (alerts: readonly NotificationAlert[], idempotencyKey: string, signal: AbortSignal) => {
    const endsAt = deps.clock.now() + 4 * o.resendIntervalMs
    return postJson(
      {
        url: endpoint,
        body: JSON.stringify(alerts.map((a) => toPostableAlert(a, endsAt))),
        timeout: o.timeout,
        followRedirects: o.followRedirects,
        maxRedirects: o.maxRedirects,
        clock: deps.clock,
      },
      { signal, idempotencyKey },
    )
  }
  const postAll = async (alerts: readonly NotificationAlert[], key: string, signal: AbortSignal) => {
    for (let i = 0; i < alerts.length; i += BATCH) {
      const result = await post(alerts.slice(i, i + BATCH), `${key}:${i / BATCH}`, signal)
      if (!result.ok) return result
    }
    return { ok: true } as SendResult
  }

  async function resend() {
    timer = undefined
    if (closed || firing.size === 0) return
    resending = true
    const result = await postAll(
      [...firing.values()],
      `resend:${deps.clock.now()}`,
      AbortSignal.timeout(o.timeout * 2),
    )
    resending = false
    if (result.ok) counts.resends++
    else counts.resendFailures++
    if (!result.ok && !failing)
      deps.logger.warn('cannot resend firing alerts to Alertmanager; they resolve there if this lasts', {
        alerts: firing.size,
        error: result.error,
      })
    if (result.ok && failing) deps.logger.info('resending firing alerts to Alertmanager again', {})
    failing = !result.ok
    schedule()
  }
  function arm(delayMs: number) {
    timer = deps.clock.setTimeout(() => {
      resend().catch((error) => {
        counts.resendFailures++
        deps.logger.warn('cannot resend firing alerts to Alertmanager', { error: errorMessage(error) })
      })
    }, delayMs)
  }
  function schedule() {
    if (closed || timer || resending || firing.size === 0) return
    arm(o.resendIntervalMs)
  }

  return {
    type: 'alertmanager',
    secrets: [o.url],
    async send(n, context) {
      const result = await postAll(n.alerts, context.idempotencyKey, context.signal)
      if (!result.ok) return result
      let dropped = 0
      for (const alert of n.alerts) {
        if (alert.status === 'resolved') firing.delete(alert.fingerprint)
        else if (firing.has(alert.fingerprint) || firing.size < MAX_RESENT_ALERTS)
          firing.set(alert.fingerprint, alert)
        else dropped++
      }
      counts.notKept += dropped
      if (dropped > 0)
        deps.logger.warn('firing alerts sent to Alertmanager once, not kept for resending: too many', {
          dropped,
          kept: MAX_RESENT_ALERTS,
        })
      schedule()
      return result
    },
    resume(alerts) {
      // An agent that restarted during an outage: keep Alertmanager's alerts alive from now on.
      for (const alert of alerts)
        if (firing.has(alert.fingerprint) || firing.size < MAX_RESENT_ALERTS)
          firing.set(alert.fingerprint, alert)
        else counts.notKept++
      if (firing.size === 0 || closed) return
      timer?.cancel()
      timer = undefined
      if (!resending) arm(0)
    },
    stats: () => ({ ...counts }),
    async close() {
      closed = true
      timer?.cancel()
      timer = undefined
      firing.clear()
    },
  }
}
