/**
 * @module @noa/alerts
 * Alert rules over noa's metric snapshots and health states, and notifications that are
 * never lost: a safe expression language, pending/firing/resolved with `for` and cooldown,
 * silences, inhibition, grouping, and console, file, webhook, email, Slack, Discord and
 * PagerDuty channels delivered through the store's outbox.
 *
 * The entry holds factories, option and record types. The zod schemas are in
 * '@noa/alerts/config'; test doubles in '@noa/alerts/testing'.
 */

export type { MuteReason } from './active.ts'
export type {
  Channel,
  ChannelDeps,
  ChannelFactory,
  Notification,
  NotificationAlert,
  SendContext,
  SendResult,
} from './channel.ts'
export type { AlertmanagerOptions } from './channels/alertmanager/alertmanager.ts'
export { createAlertmanagerChannel } from './channels/alertmanager/alertmanager.ts'
export type { ConsoleOptions } from './channels/console/console.ts'
export { createConsoleChannel } from './channels/console/console.ts'
export type { DiscordOptions } from './channels/discord/discord.ts'
export { createDiscordChannel } from './channels/discord/discord.ts'
export type { EmailOptions } from './channels/email/email.ts'
export { createEmailChannel } from './channels/email/email.ts'
export type { FileOptions } from './channels/file/file.ts'
export { createFileChannel } from './channels/file/file.ts'
export type { PagerDutyOptions } from './channels/pagerduty/pagerduty.ts'
export { createPagerDutyChannel } from './channels/pagerduty/pagerduty.ts'
export type { ChannelOptions, ChannelType } from './channels/registry.ts'
export { createChannel } from './channels/registry.ts'
export type { SlackOptions } from './channels/slack/slack.ts'
export { createSlackChannel } from './channels/slack/slack.ts'
export type { WebhookOptions } from './channels/webhook/webhook.ts'
export { createWebhookChannel } from './channels/webhook/webhook.ts'
export type {
  AgentFacts,
  BurnWindow,
  EvaluationContext,
  Sample,
  ServiceHealth,
  SloFacts,
} from './context.ts'
export { defaultInhibitRules, defaultRules } from './default-rules.ts'
export type { DeliveryWorker, DeliveryWorkerOptions, RoundResult } from './delivery.ts'
export { createDeliveryWorker } from './delivery.ts'
export type {
  ActiveAlert,
  AlertAction,
  AlertEngine,
  AlertEngineEvents,
  AlertEngineOptions,
  AlertEngineStats,
  ChannelConfig,
  ChannelEntry,
  ChannelRoute,
  EvaluationResult,
} from './engine.ts'
export { createAlertEngine } from './engine.ts'
export type { Condition, ConditionResult } from './expression/condition.ts'
export { compileCondition } from './expression/condition.ts'
export type { LabelMatcher } from './expression/parse.ts'
export { ExpressionError } from './expression/parse.ts'
export type { AlertRuleOptions, CompiledRule, RuleAction } from './rule.ts'
export { compileRules } from './rule.ts'
export type { InhibitRule, Silence, SilenceOptions } from './silence.ts'
export { isSilenceStoreError, SilenceStoreError } from './silence-sync.ts'
