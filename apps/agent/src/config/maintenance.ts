import type { ConfigIssue } from '@noa/core'
import { z } from 'zod'
import { parseCron } from '../maintenance/cron.ts'
import { WEEKDAY_NAMES } from '../maintenance/schedule.ts'
import { isTimeZone } from '../maintenance/zone.ts'

const MINUTE = 60_000
const DAY = 86_400_000

/** Longest a maintenance window (or one opening of a recurring one) may last: a week. */
export const MAINTENANCE_MAX_DURATION_MS = 7 * DAY
/** Most windows one config file may hold. */
export const MAINTENANCE_CONFIG_MAX = 200

const names = (max: number) => z.array(z.string().min(1).max(256)).max(max)

/**
 * One maintenance window of the config file: one-off (`endsAt`, with `startsAt`), or recurring
 * (`cron`, or `weekly` days at a time, each for `duration` ms, in `timeZone`). It covers the
 * services it names and those carrying one of its tags. Inside it, no alert about those
 * services is notified and noa does not heal them; their checks still run.
 */
export const maintenanceWindowConfigSchema = z
  .strictObject({
    /** Names the window in the API and in logs (`config:<id>`). */
    id: z
      .string()
      .regex(
        /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/,
        'letters, digits, `_`, `.` and `-`, at most 64, not starting with a sign',
      ),
    /** Services covered, by name. @default [] */
    services: names(1000).default([]),
    /** Services carrying any of these tags are covered too. @default [] */
    tags: names(100).default([]),
    /** Why: shown on the dashboard and in logs. */
    reason: z.string().min(1).max(2000),
    /** One-off: when it opens, epoch ms. @default 0 (open from the start) */
    startsAt: z.number().int().min(0).optional(),
    /** One-off: when it ends, epoch ms. */
    endsAt: z.number().int().min(1).optional(),
    /** Recurring: a five-field cron expression (minute hour day-of-month month day-of-week), read in `timeZone`. */
    cron: z.string().min(1).max(200).optional(),
    /** Recurring: on these days at `at` (HH:MM), read in `timeZone`. */
    weekly: z
      .strictObject({
        days: z.array(z.enum(WEEKDAY_NAMES)).min(1).max(7),
        at: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM, 00:00 to 23:59'),
      })
      .optional(),
    /** Recurring: how long each opening lasts, ms (1 minute to 7 days). */
    duration: z.number().int().min(MINUTE).max(MAINTENANCE_MAX_DURATION_MS).optional(),
    /** IANA time zone of `cron` and `weekly`, e.g. `Europe/Berlin`. @default 'UTC' */
    timeZone: z.string().min(1).max(64).default('UTC'),
  })
  .superRefine((w, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message })
    const kinds = [w.endsAt !== undefined, w.cron !== undefined, w.weekly !== undefined].filter(
      Boolean,
    ).length
    if (kinds !== 1)
      issue('endsAt', 'a window is one-off (`endsAt`) or recurring (`cron` or `weekly`): exactly one of them')
    if (w.services.length === 0 && w.tags.length === 0)
      issue('services', 'name at least one service or tag the window covers')
    if (w.endsAt !== undefined) {
      if (w.duration !== undefined)
        issue('duration', '`duration` goes with `cron` or `weekly`; a one-off window has `endsAt`')
      if (w.endsAt <= (w.startsAt ?? 0)) issue('endsAt', `must be after startsAt; found ${w.endsAt}`)
    } else {
      if (w.startsAt !== undefined) issue('startsAt', '`startsAt` goes with `endsAt` (a one-off window)')
      if (kinds === 1 && w.duration === undefined)
        issue('duration', 'a recurring window needs `duration` (ms)')
    }
    if (w.cron !== undefined)
      try {
        parseCron(w.cron)
      } catch (error) {
        issue('cron', (error as Error).message)
      }
    if (!isTimeZone(w.timeZone)) issue('timeZone', `unknown IANA time zone ${JSON.stringify(w.timeZone)}`)
  })

/** The `maintenance` section: windows with unique ids. */
export const maintenanceConfigSchema = z
  .array(maintenanceWindowConfigSchema)
  .max(MAINTENANCE_CONFIG_MAX)
  .superRefine((list, ctx) => {
    const seen = new Set<string>()
    list.forEach((w, i) => {
      if (seen.has(w.id))
        ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `id ${JSON.stringify(w.id)} is used twice` })
      seen.add(w.id)
    })
  })

export type MaintenanceWindowConfig = z.output<typeof maintenanceWindowConfigSchema>

/** Windows that name a service the config does not have, or a tag no service carries. */
export function maintenanceConfigIssues(
  windows: readonly MaintenanceWindowConfig[],
  services: readonly { name: string; tags?: readonly string[] }[],
): ConfigIssue[] {
  const known = new Set(services.map((s) => s.name))
  const tags = new Set(services.flatMap((s) => s.tags ?? []))
  const issues: ConfigIssue[] = []
  windows.forEach((w, i) => {
    w.services.forEach((name, j) => {
      if (!known.has(name))
        issues.push({
          path: `maintenance.${i}.services.${j}`,
          message: `unknown service ${JSON.stringify(name)}`,
        })
    })
    w.tags.forEach((tag, j) => {
      if (!tags.has(tag))
        issues.push({
          path: `maintenance.${i}.tags.${j}`,
          message: `no service has the tag ${JSON.stringify(tag)}`,
        })
    })
  })
  return issues
}
