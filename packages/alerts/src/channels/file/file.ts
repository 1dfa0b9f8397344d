import { appendFile, mkdir, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { errorMessage } from '@noa/core'
import { z } from 'zod'
import type { Channel, ChannelDeps } from '../../channel.ts'
import { parseChannelOptions } from '../../options.ts'

/** Options of the file channel (the seed's `{ "path": "./logs/alerts", "rotation": "daily", "maxFiles": 30 }`). */
export const fileOptionsSchema = z.strictObject({
  type: z.literal('file'),
  /** Folder of the files. @default './logs/alerts' */
  path: z.string().min(1).default('./logs/alerts'),
  /** One file per UTC day, named `alerts-YYYY-MM-DD.jsonl`. @default 'daily' */
  rotation: z.literal('daily').default('daily'),
  /** Files kept; older ones are deleted when a new day starts. @default 30 */
  maxFiles: z.number().int().positive().default(30),
})

export type FileOptions = z.input<typeof fileOptionsSchema>

const FILE_NAME = /^alerts-\d{4}-\d{2}-\d{2}\.jsonl$/

/**
 * Appends each alert as one JSON line to `<path>/alerts-<UTC date>.jsonl`, rotating daily
 * and keeping `maxFiles` files.
 *
 * @example
 * ```ts
 * createFileChannel({ type: 'file', path: './logs/alerts', maxFiles: 30 }, deps)
 * ```
 */
export function createFileChannel(options: unknown, deps: ChannelDeps, path = 'channel'): Channel {
  const o = parseChannelOptions(fileOptionsSchema, options, path)
  let currentDay: string | undefined
  const prune = async () => {
    const files = (await readdir(o.path)).filter((f) => FILE_NAME.test(f)).sort()
    for (const old of files.slice(0, Math.max(0, files.length - o.maxFiles)))
      await rm(join(o.path, old), { force: true })
  }
  return {
    type: 'file',
    async send(n) {
      const day = new Date(deps.clock.now()).toISOString().slice(0, 10)
      const lines = n.alerts
        .map((a) =>
          JSON.stringify({
            time: new Date(deps.clock.now()).toISOString(),
            receiver: n.receiver,
            groupKey: n.groupKey,
            ...a,
          }),
        )
        .join('\n')
      try {
        if (day !== currentDay) await mkdir(o.path, { recursive: true })
        await appendFile(join(o.path, `alerts-${day}.jsonl`), `${lines}\n`)
        if (day !== currentDay) {
          currentDay = day
          await prune()
        }
        return { ok: true }
      } catch (error) {
        return { ok: false, retryable: true, error: `cannot write alert file: ${errorMessage(error)}` }
      }
    },
  }
}
