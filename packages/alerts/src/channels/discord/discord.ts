import { z } from 'zod'
import type { Channel, ChannelDeps, Notification } from '../../channel.ts'
import { alertTitle, headline } from '../../channel.ts'
import { parseChannelOptions } from '../../options.ts'
import { statusColor } from '../slack/slack.ts'
import { httpOptionsSchema, postJson, secretUrl } from '../webhook/transport.ts'

/** Options of the Discord channel (a channel webhook URL). */
export const discordOptionsSchema = z.strictObject({
  type: z.literal('discord'),
  /** Channel webhook URL (a secret: pass it from the environment). */
  url: secretUrl,
  /** @default 'noa' */
  username: z.string().default('noa'),
  ...httpOptionsSchema,
})

export type DiscordOptions = z.input<typeof discordOptionsSchema>

/** Discord allows at most 10 embeds per message. */
const MAX_EMBEDS = 10

/** Discord message body: a headline and one coloured embed per alert (at most 10). */
export function formatDiscord(n: Notification, options: { username: string }): unknown {
  const extra = n.alerts.length - MAX_EMBEDS
  return {
    username: options.username,
    content: extra > 0 ? `${headline(n)} (+${extra} more)` : headline(n),
    embeds: n.alerts.slice(0, MAX_EMBEDS).map((a) => ({
      title: `[${a.status.toUpperCase()}] ${alertTitle(a)}`,
      description: a.annotations.summary ?? a.annotations.description ?? '',
      color: Number.parseInt(statusColor(a).slice(1), 16),
      timestamp: a.status === 'resolved' ? a.endsAt : a.startsAt,
      footer: { text: a.fingerprint },
    })),
  }
}

/**
 * Sends notifications to a Discord channel webhook.
 *
 * @example
 * ```ts
 * createDiscordChannel({ type: 'discord', url: process.env.DISCORD_WEBHOOK_URL }, deps)
 * ```
 */
export function createDiscordChannel(options: unknown, deps: ChannelDeps, path = 'channel'): Channel {
  const o = parseChannelOptions(discordOptionsSchema, options, path)
  return {
    type: 'discord',
    secrets: [o.url],
    send: (n, context) =>
      postJson(
        {
          url: o.url,
          body: JSON.stringify(formatDiscord(n, o)),
          timeout: o.timeout,
          followRedirects: o.followRedirects,
          maxRedirects: o.maxRedirects,
          clock: deps.clock,
        },
        context,
      ),
  }
}
