import type { LogLevel } from '@noa/core'
import { levelEnabled } from '@noa/core'
import { z } from 'zod'
import type { Channel, ChannelDeps, NotificationAlert } from '../../channel.ts'
import { alertTitle } from '../../channel.ts'
import { parseChannelOptions } from '../../options.ts'

/** Options of the console channel (the seed's `{ "console": { "enabled": true, "logLevel": "info" } }`). */
export const consoleOptionsSchema = z.strictObject({
  type: z.literal('console'),
  /** Lowest level printed: critical alerts are `error`, warnings `warn`, info `info`. @default 'info' */
  logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /** `text` lines for people, or one JSON object per line. @default 'text' */
  format: z.enum(['text', 'json']).default('text'),
})

export type ConsoleOptions = z.input<typeof consoleOptionsSchema>

const LEVEL_OF: Record<string, LogLevel> = { critical: 'error', warning: 'warn', info: 'info' }

function levelOf(alert: NotificationAlert): LogLevel {
  return LEVEL_OF[alert.labels.severity ?? ''] ?? 'info'
}

/**
 * Prints each alert as one line, at once when the engine flushes (a `direct` channel: never
 * through the outbox, so it prints even when the disk is full):
 * `2025-10-22T22:00:00.000Z [ALERT] FIRING critical service-down (api): Service api is down`.
 *
 * @example
 * ```ts
 * createConsoleChannel({ type: 'console', logLevel: 'warn' }, deps)
 * ```
 */
export function createConsoleChannel(options: unknown, deps: ChannelDeps, path = 'channel'): Channel {
  const o = parseChannelOptions(consoleOptionsSchema, options, path)
  const write = deps.write ?? ((line: string) => process.stdout.write(`${line}\n`))
  return {
    type: 'console',
    // Written at flush time, not through the outbox: stdout needs no disk.
    direct: true,
    async send(n) {
      for (const alert of n.alerts) {
        const level = levelOf(alert)
        if (!levelEnabled(level, o.logLevel)) continue
        const time = alert.status === 'resolved' ? alert.endsAt : alert.startsAt
        if (o.format === 'json') write(JSON.stringify({ time, level, receiver: n.receiver, ...alert }))
        else {
          const summary = alert.annotations.summary ? `: ${alert.annotations.summary}` : ''
          write(
            `${time} [ALERT] ${alert.status.toUpperCase()} ${alert.labels.severity ?? ''} ${alertTitle(alert)}${summary}`,
          )
        }
      }
      return { ok: true }
    },
  }
}
