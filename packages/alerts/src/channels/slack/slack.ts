import { z } from 'zod'
import type { Channel, ChannelDeps, Notification, NotificationAlert } from '../../channel.ts'
import { alertTitle, headline } from '../../channel.ts'
import { parseChannelOptions } from '../../options.ts'
import { httpOptionsSchema, postJson, secretUrl } from '../webhook/transport.ts'

/** Options of the Slack channel (an incoming-webhook URL). */
export const slackOptionsSchema = z.strictObject({
  type: z.literal('slack'),
  /** Incoming-webhook URL (a secret: pass it from the environment). */
  url: secretUrl,
  /** Overrides the webhook's default channel, e.g. `#ops`. */
  channel: z.string().optional(),
  /** @default 'noa' */
  username: z.string().default('noa'),
  ...httpOptionsSchema,
})

export type SlackOptions = z.input<typeof slackOptionsSchema>

/** The seed's status colours: resolved green, critical red, others amber. */
export function statusColor(alert: NotificationAlert): string {
  if (alert.status === 'resolved') return '#10b981'
  return alert.labels.severity === 'critical' ? '#ef4444' : '#f59e0b'
}

/** Slack message body: a headline and one coloured attachment per alert. */
export function formatSlack(n: Notification, options: { channel?: string; username: string }): unknown {
  return {
    ...(options.channel ? { channel: options.channel } : {}),
    username: options.username,
    text: headline(n),
    attachments: n.alerts.map((a) => ({
      color: statusColor(a),
      title: `[${a.status.toUpperCase()}] ${alertTitle(a)}`,
      text: a.annotations.summary ?? a.annotations.description ?? '',
      fields: [{ title: 'severity', value: a.labels.severity ?? 'none', short: true }],
      footer: a.fingerprint,
      ts: Math.floor(Date.parse(a.status === 'resolved' ? a.endsAt : a.startsAt) / 1000),
    })),
  }
}

/**
 * Sends notifications to a Slack incoming webhook.
 *
 * @example
 * ```ts
 * createSlackChannel({ type: 'slack', url: process.env.SLACK_WEBHOOK_URL }, deps)
 * ```
 */
export function createSlackChannel(options: unknown, deps: ChannelDeps, path = 'channel'): Channel {
  const o = parseChannelOptions(slackOptionsSchema, options, path)
  return {
    type: 'slack',
    secrets: [o.url],
    send: (n, context) =>
      postJson(
        {
          url: o.url,
          body: JSON.stringify(formatSlack(n, o)),
          timeout: o.timeout,
          followRedirects: o.followRedirects,
          maxRedirects: o.maxRedirects,
          clock: deps.clock,
        },
        context,
      ),
  }
}
