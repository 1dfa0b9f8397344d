/**
 * @module @noa/alerts/config
 * The zod schemas of alert rules, channels and silences, for a program that validates its own
 * configuration file with them (the noa agent composes them into its schema). Kept out of the
 * main entry: option objects typed in TypeScript need none of this.
 */

export { alertmanagerOptionsSchema } from './channels/alertmanager/alertmanager.ts'
export { consoleOptionsSchema } from './channels/console/console.ts'
export { discordOptionsSchema } from './channels/discord/discord.ts'
export { emailOptionsSchema } from './channels/email/email.ts'
export { fileOptionsSchema } from './channels/file/file.ts'
export { pagerdutyOptionsSchema } from './channels/pagerduty/pagerduty.ts'
export type { ChannelOptions, ChannelType } from './channels/registry.ts'
export { CHANNEL_TYPES, channelOptionsSchema } from './channels/registry.ts'
export { slackOptionsSchema } from './channels/slack/slack.ts'
export { webhookOptionsSchema } from './channels/webhook/webhook.ts'
export type { AlertRuleOptions } from './rule.ts'
export { alertRuleSchema } from './rule.ts'
export type { SilenceOptions } from './silence.ts'
export { silenceSchema } from './silence.ts'
