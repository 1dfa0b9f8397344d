import { z } from 'zod'
import type { Channel, ChannelDeps, NotificationAlert } from '../../channel.ts'
import { alertTitle } from '../../channel.ts'
import { parseChannelOptions } from '../../options.ts'
import { httpOptionsSchema, postJson, secretUrl } from '../webhook/transport.ts'

/** Options of the PagerDuty Events API v2 channel. */
export const pagerdutyOptionsSchema = z.strictObject({
  type: z.literal('pagerduty'),
  /** Integration (routing) key of the service (a secret: pass it from the environment). */
  routingKey: z.string().min(1),
  /** @default 'https://events.pagerduty.com/v2/enqueue' */
  url: secretUrl.default('https://events.pagerduty.com/v2/enqueue'),
  /** `source` of the events when an alert has no `service` label. @default 'noa' */
  source: z.string().default('noa'),
  ...httpOptionsSchema,
})

export type PagerDutyOptions = z.input<typeof pagerdutyOptionsSchema>

const PD_SEVERITY: Record<string, string> = { critical: 'critical', warning: 'warning', info: 'info' }

/** One Events v2 event: `trigger` while firing, `resolve` after, deduplicated by the fingerprint. */
export function formatPagerDutyEvent(alert: NotificationAlert, routingKey: string, source: string): unknown {
  if (alert.status === 'resolved')
    return { routing_key: routingKey, event_action: 'resolve', dedup_key: alert.fingerprint }
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: alert.fingerprint,
    payload: {
      summary: alert.annotations.summary ?? alertTitle(alert),
      source: alert.labels.service ?? source,
      severity: PD_SEVERITY[alert.labels.severity ?? ''] ?? 'error',
      timestamp: alert.startsAt,
      component: alert.labels.service,
      class: alert.labels.alertname,
      custom_details: { labels: alert.labels, annotations: alert.annotations, value: alert.value },
    },
  }
}

/**
 * Sends each alert of a notification as a PagerDuty Events v2 event. PagerDuty
 * deduplicates by `dedup_key` (the fingerprint), so a retried notification is harmless.
 *
 * @example
 * ```ts
 * createPagerDutyChannel({ type: 'pagerduty', routingKey: process.env.PD_ROUTING_KEY }, deps)
 * ```
 */
export function createPagerDutyChannel(options: unknown, deps: ChannelDeps, path = 'channel'): Channel {
  const o = parseChannelOptions(pagerdutyOptionsSchema, options, path)
  return {
    type: 'pagerduty',
    secrets: [o.routingKey, o.url],
    async send(n, context) {
      for (const alert of n.alerts) {
        const result = await postJson(
          {
            url: o.url,
            body: JSON.stringify(formatPagerDutyEvent(alert, o.routingKey, o.source)),
            timeout: o.timeout,
            followRedirects: o.followRedirects,
            maxRedirects: o.maxRedirects,
            clock: deps.clock,
          },
          { ...context, idempotencyKey: `${context.idempotencyKey}:${alert.fingerprint}` },
        )
        if (!result.ok) return result
      }
      return { ok: true }
    },
  }
}
