import type { Severity } from '@noa/core'
import { ConfigError, SEVERITIES } from '@noa/core'
import type { Channel, ChannelDeps } from './channel.ts'
import { type ChannelOptions, createChannel } from './channels/registry.ts'

/** Which alerts a channel receives. */
export interface ChannelRoute {
  /** Alerts less severe than this are not sent to the channel. @default 'info' */
  minSeverity?: Severity
  /** Send `resolved` notifications. @default true */
  sendResolved?: boolean
}

/** A channel of the engine given as a built Channel, with its route. */
export type ChannelEntry = { channel: Channel } & ChannelRoute

/** A channel of the engine given as the options of one channel `type`, with its route. */
export type ChannelConfig = ChannelOptions & ChannelRoute

function isChannelEntry(value: unknown): value is ChannelEntry {
  const channel = (value as { channel?: { send?: unknown } } | null)?.channel
  return typeof channel?.send === 'function'
}

/**
 * Builds the engine's channels from its `channels` option and the route of each, adding every
 * problem found to `issues` (paths `channels.<name>...`) instead of stopping at the first.
 */
export function buildChannels(
  entries: Readonly<Record<string, ChannelEntry | ChannelConfig>>,
  deps: ChannelDeps,
  issues: Array<{ path: string; message: string }>,
): { channels: Record<string, Channel>; routes: Record<string, Required<ChannelRoute>> } {
  const channels: Record<string, Channel> = {}
  const routes: Record<string, Required<ChannelRoute>> = {}
  for (const [name, value] of Object.entries(entries)) {
    const path = `channels.${name}`
    try {
      const {
        minSeverity = 'info',
        sendResolved = true,
        ...rest
      } = (value ?? {}) as unknown as ChannelRoute & Record<string, unknown>
      if (!SEVERITIES.includes(minSeverity))
        issues.push({
          path: `${path}.minSeverity`,
          message: `expected one of ${SEVERITIES.join(', ')}; found "${minSeverity}"`,
        })
      channels[name] = isChannelEntry(value) ? value.channel : createChannel(rest, deps, path)
      routes[name] = { minSeverity, sendResolved }
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error
      issues.push(...error.issues)
    }
  }
  return { channels, routes }
}
