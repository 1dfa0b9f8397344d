import { errorMessage } from '@noa/core'
import type { MaintenanceWindow } from '../http/api-types.ts'
import { agentUrl, type Located } from './paths.ts'

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** `30m`, `1h30m`, `90s`, `2d` or a number of ms, as ms; undefined when it is none of these. */
export function parseDuration(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text)
  const parts = [...text.matchAll(/(\d+)(ms|s|m|h|d)/g)]
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) return undefined
  return parts.reduce((sum, p) => sum + Number(p[1]) * UNITS[p[2]!]!, 0)
}

/** What `noa maintenance` needs from the command line. */
export interface MaintenanceCommand {
  located: Located
  /** The words after `maintenance`: `start <service>...`, `list`, `end <id>`. */
  args: readonly string[]
  for?: string
  reason?: string
  tags?: readonly string[]
  json: boolean
  env: NodeJS.ProcessEnv
  out: (line: string) => void
  err: (line: string) => void
  /** @default Date.now */
  now?: () => number
}

const USAGE = `usage:
  noa maintenance start <service>... --for <30m|2h|...> --reason <why> [--tag <tag>]... [--json]
  noa maintenance list [--json]
  noa maintenance end <id> [--json]`

/**
 * `noa maintenance`: opens, lists and ends maintenance windows through the running agent's API
 * (found by its run/agent.json, or NOA_API_URL), with NOA_API_TOKEN for the writes. Exit codes:
 * 0 done, 1 the agent refused or cannot be reached, 2 usage.
 */
export async function maintenanceCommand(cmd: MaintenanceCommand): Promise<number> {
  const [sub, ...rest] = cmd.args
  const usage = (why: string) => {
    cmd.err(`noa: ${why}`)
    cmd.err(USAGE)
    return 2
  }
  if (sub !== 'start' && sub !== 'list' && sub !== 'end')
    return usage(`unknown maintenance command ${JSON.stringify(sub ?? '')}`)
  const base = agentUrl(cmd.located, cmd.env)
  if (!base) {
    cmd.err('noa: no running agent found (start one, or set NOA_API_URL)')
    return 1
  }
  const token = cmd.env.NOA_API_TOKEN
  const call = async (method: string, path: string, body?: unknown) => {
    if (method !== 'GET' && !token) throw new Error('set NOA_API_TOKEN to change maintenance windows')
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    })
    const answer = (await res.json().catch(() => ({}))) as { error?: string }
    if (!res.ok) throw new Error(`the agent answered ${res.status}: ${answer.error ?? 'no reason given'}`)
    return answer
  }
  try {
    if (sub === 'list') {
      if (rest.length > 0) return usage('list takes no arguments')
      const { maintenance } = (await call('GET', '/api/maintenance')) as { maintenance: MaintenanceWindow[] }
      if (cmd.json) cmd.out(JSON.stringify(maintenance, null, 2))
      else if (maintenance.length === 0) cmd.out('no maintenance window is open or planned')
      else for (const w of maintenance) cmd.out(describe(w))
      return 0
    }
    if (sub === 'end') {
      if (rest.length !== 1) return usage('end takes one window id')
      const { maintenance } = (await call('DELETE', `/api/maintenance/${encodeURIComponent(rest[0]!)}`)) as {
        maintenance: MaintenanceWindow
      }
      cmd.out(cmd.json ? JSON.stringify(maintenance, null, 2) : `ended ${describe(maintenance)}`)
      return 0
    }
    if (rest.length === 0 && (cmd.tags ?? []).length === 0) return usage('start needs a service (or --tag)')
    if (cmd.for === undefined) return usage('start needs --for, e.g. --for 30m')
    const duration = parseDuration(cmd.for)
    if (duration === undefined || duration <= 0)
      return usage(`--for: expected a duration such as 30m, 2h or 1h30m; found ${JSON.stringify(cmd.for)}`)
    if (!cmd.reason?.trim()) return usage('start needs --reason "<why>"')
    const now = (cmd.now ?? Date.now)()
    const { maintenance } = (await call('POST', '/api/maintenance', {
      services: rest,
      ...(cmd.tags?.length ? { tags: cmd.tags } : {}),
      endsAt: now + duration,
      reason: cmd.reason,
    })) as { maintenance: MaintenanceWindow }
    cmd.out(cmd.json ? JSON.stringify(maintenance, null, 2) : `opened ${describe(maintenance)}`)
    return 0
  } catch (error) {
    cmd.err(`noa: ${errorMessage(error)}`)
    return 1
  }
}

/** One line per window: id, state, what it covers, until when, who and why. */
function describe(w: MaintenanceWindow): string {
  const covers = [...w.services, ...w.tags.map((t) => `tag:${t}`)].join(', ')
  const when = (t: number | null) => (t === null ? '?' : new Date(t).toISOString())
  return `${w.id} [${w.state}] ${covers} ${when(w.startsAt)} -> ${when(w.endsAt)} by ${w.createdBy}: ${w.reason}${
    w.endedBy ? ` (ended by ${w.endedBy})` : ''
  }`
}
