import type { IncidentBody, IncidentState, IncidentsBody } from '../http/api-types.ts'
import { alive, type Located, readInfo } from './paths.ts'

/** Where the running agent answers and how to write to it. */
export interface AgentEndpoint {
  url: string
  token?: string
  out: (line: string) => void
  err: (line: string) => void
}

const STATES = ['open', 'acknowledged', 'resolved'] as const

/** The running agent's base URL, or undefined (with the reason printed) when none runs. */
export function runningAgent(located: Located, err: (line: string) => void): string | undefined {
  const info = readInfo(located.baseDir)
  if (info && alive(info.pid)) return `http://${info.host}:${info.port}`
  err('noa: no agent is running here; incidents are kept by a running agent (`noa start`)')
  return undefined
}

const when = (at: number) => new Date(at).toISOString().replace('T', ' ').slice(0, 19)

/** `noa incidents [--state s] [--service name] [--json]`: the latest incidents, one line each. */
export async function listIncidents(
  to: AgentEndpoint,
  options: { state?: string; service?: string; json?: boolean },
): Promise<number> {
  if (options.state !== undefined && !(STATES as readonly string[]).includes(options.state)) {
    to.err(`noa: --state must be one of ${STATES.join(', ')}; found ${JSON.stringify(options.state)}`)
    return 2
  }
  const query = new URLSearchParams({ limit: '50' })
  if (options.state) query.set('state', options.state as IncidentState)
  if (options.service) query.set('service', options.service)
  const res = await fetch(`${to.url}/api/incidents?${query}`)
  const body = (await res.json()) as IncidentsBody & { error?: string }
  if (!res.ok) {
    to.err(`noa: the agent answered ${res.status}: ${body.error ?? 'no incidents'}`)
    return 1
  }
  if (options.json) {
    to.out(JSON.stringify(body.incidents, null, 2))
    return 0
  }
  if (body.incidents.length === 0) to.out('no incidents')
  for (const i of body.incidents)
    to.out(
      `${i.id}  ${i.state.padEnd(12)} ${i.severity.padEnd(8)} ${when(i.openedAt)}  ${i.service}: ${i.title}${i.acknowledgedBy ? ` (ack: ${i.acknowledgedBy})` : ''}`,
    )
  return 0
}

/** `noa ack <id> [--note text]`: acknowledges an incident, so its reminders stop. */
export async function ackIncident(to: AgentEndpoint, id: string, note: string | undefined): Promise<number> {
  if (!to.token) {
    to.err('noa: set NOA_API_TOKEN to acknowledge an incident')
    return 1
  }
  const res = await fetch(`${to.url}/api/incidents/${encodeURIComponent(id)}/ack`, {
    method: 'POST',
    headers: { authorization: `Bearer ${to.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(note ? { note } : {}),
  })
  const body = (await res.json()) as Partial<IncidentBody> & { error?: string }
  if (!res.ok || !body.incident) {
    to.err(`noa: the agent answered ${res.status}: ${body.error ?? 'not acknowledged'}`)
    return 1
  }
  to.out(
    `${body.incident.id}: acknowledged by ${body.incident.acknowledgedBy}; reminders stop until it resolves`,
  )
  return 0
}
