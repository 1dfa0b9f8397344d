import { ConfigError } from '@noa/core'
import { z } from 'zod'
import type { Channel, ChannelDeps, ChannelFactory } from '../channel.ts'
import { alertmanagerOptionsSchema, createAlertmanagerChannel } from './alertmanager/alertmanager.ts'
import { consoleOptionsSchema, createConsoleChannel } from './console/console.ts'
import { createDiscordChannel, discordOptionsSchema } from './discord/discord.ts'
import { createEmailChannel, emailOptionsSchema } from './email/email.ts'
import { createFileChannel, fileOptionsSchema } from './file/file.ts'
import { createPagerDutyChannel, pagerdutyOptionsSchema } from './pagerduty/pagerduty.ts'
import { createSlackChannel, slackOptionsSchema } from './slack/slack.ts'
import { createWebhookChannel, webhookOptionsSchema } from './webhook/webhook.ts'

/** Every channel type, as the `type` string of its configuration. */
export type ChannelType =
  | 'console'
  | 'file'
  | 'webhook'
  | 'email'
  | 'slack'
  | 'discord'
  | 'pagerduty'
  | 'alertmanager'

/** One factory per channel type; a type without a factory does not compile. */
export const channelFactories = {
  console: createConsoleChannel,
  file: createFileChannel,
  webhook: createWebhookChannel,
  email: createEmailChannel,
  slack: createSlackChannel,
  discord: createDiscordChannel,
  pagerduty: createPagerDutyChannel,
  alertmanager: createAlertmanagerChannel,
} satisfies Record<ChannelType, ChannelFactory>

/** The channel types, in registry order. */
export const CHANNEL_TYPES = Object.keys(channelFactories) as ChannelType[]

/** The option schema of any channel, discriminated by `type`, for the agent's config schema. */
export const channelOptionsSchema = z.discriminatedUnion('type', [
  consoleOptionsSchema,
  fileOptionsSchema,
  webhookOptionsSchema,
  emailOptionsSchema,
  slackOptionsSchema,
  discordOptionsSchema,
  pagerdutyOptionsSchema,
  alertmanagerOptionsSchema,
])

export type ChannelOptions = z.input<typeof channelOptionsSchema>

/**
 * Builds a channel from its options (`{ type, ...options }`), validating them now. An
 * unknown type is a ConfigError that lists the known ones.
 *
 * @example
 * ```ts
 * const channel = createChannel({ type: 'webhook', url: process.env.ALERT_WEBHOOK_URL }, { clock, logger })
 * ```
 */
export function createChannel(options: unknown, deps: ChannelDeps, path = 'channel'): Channel {
  const type = (options as { type?: unknown } | null)?.type
  if (typeof type !== 'string' || !Object.hasOwn(channelFactories, type)) {
    const found = typeof type === 'string' ? `"${type}"` : 'nothing'
    throw new ConfigError([
      {
        path: `${path}.type`,
        message: `unknown channel type ${found}; allowed: ${Object.keys(channelFactories).join(', ')}`,
      },
    ])
  }
  return channelFactories[type as ChannelType](options, deps, path)
}
