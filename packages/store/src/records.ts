import type {
  AlertRecord,
  Approval,
  ApprovalDecision,
  CheckResult,
  Delivery,
  NewDelivery,
  Silence,
} from '@noa/core'
import { createId } from '@noa/core'
import { StoreError } from './errors.ts'
import type { CheckQuery, DrillCursor, DrillRecord, Incident, IncidentCursor, StoredBeat } from './store.ts'

/** Default `limit` of list queries, from @noa/core's ListQuery. */
export const DEFAULT_LIMIT = 100

/** A list limit checked and defaulted; bad values are refused with the value found. */
export function limitOf(query: { limit?: number } | undefined): number {
  const limit = query?.limit ?? DEFAULT_LIMIT
  if (!Number.isInteger(limit) || limit < 0)
    throw new StoreError(`limit must be a whole number >= 0, got ${String(limit)}`)
  return limit
}

/** The `n` of a `recent(n)`: a whole number >= 0, refused otherwise. */
export function countOf(n: number): number {
  if (!Number.isInteger(n) || n < 0)
    throw new StoreError(`recent(n): n must be a whole number >= 0, got ${String(n)}`)
  return n
}

/** A deep copy, so callers never share objects with the store. */
export function copy<T>(value: T): T {
  return structuredClone(value)
}

/** New outbox rows: pending, no attempt, due at once. */
export function newDeliveries(items: readonly NewDelivery[]): Delivery[] {
  return items.map((item, i) => {
    if (typeof item.channel !== 'string' || item.channel === '')
      throw new StoreError(`enqueue: items[${i}].channel must be a non-empty string`)
    if (typeof item.idempotencyKey !== 'string')
      throw new StoreError(`enqueue: items[${i}].idempotencyKey must be a string`)
    if (!Number.isFinite(item.createdAt))
      throw new StoreError(`enqueue: items[${i}].createdAt must be epoch ms`)
    return {
      id: createId('dlv', item.createdAt),
      channel: item.channel,
      idempotencyKey: item.idempotencyKey,
      payload: copy(item.payload),
      createdAt: item.createdAt,
      status: 'pending',
      attempts: 0,
      nextAttemptAt: item.createdAt,
    }
  })
}

/** The approval after a decision. */
export function decided(approval: Approval, decision: ApprovalDecision): Approval {
  const next: Approval = { ...approval, status: decision.status, decidedAt: decision.at }
  if (decision.by !== undefined) next.decidedBy = decision.by
  if (decision.comment !== undefined) next.comment = decision.comment
  return next
}

/** The time an alert record's state took effect, for its history. */
export function alertStateAt(alert: AlertRecord): number {
  return alert.updatedAt
}

/** True when a check result passes a query's service and time filters. */
export function inCheckQuery(q: CheckQuery | undefined, service: string, at: number): boolean {
  if (q?.service !== undefined && q.service !== service) return false
  if (q?.since !== undefined && at < q.since) return false
  if (q?.until !== undefined && at >= q.until) return false
  return true
}

/** Refuses a check result that cannot be stored, naming the field. */
export function checkResult(result: CheckResult, what = 'result'): void {
  if (typeof result?.service !== 'string' || result.service === '')
    throw new StoreError(`${what}.service must be a non-empty string`)
  if (!Number.isFinite(result.at))
    throw new StoreError(`${what}.at must be epoch ms, got ${String(result.at)}`)
}

/** Milliseconds of an ISO timestamp, refused when it does not parse. */
export function snapshotTime(timestamp: unknown): number {
  const t = typeof timestamp === 'string' ? Date.parse(timestamp) : Number.NaN
  if (Number.isNaN(t))
    throw new StoreError(`snapshot.timestamp must be an ISO 8601 time, got ${JSON.stringify(timestamp)}`)
  return t
}

const MATCHER_OPS = ['=', '!=', '=~', '!~'] as const

/** Refuses a silence that cannot be stored or matched later, naming the field. */
export function checkSilence(silence: Silence): void {
  const where = 'saveSilence: silence'
  if (typeof silence?.id !== 'string' || silence.id === '')
    throw new StoreError(`${where}.id must be a non-empty string`)
  for (const key of ['startsAt', 'endsAt'] as const)
    if (!Number.isFinite(silence[key]))
      throw new StoreError(`${where}.${key} must be epoch ms, got ${String(silence[key])}`)
  if (!Array.isArray(silence.matchers)) throw new StoreError(`${where}.matchers must be a list of matchers`)
  for (const [i, m] of silence.matchers.entries()) {
    if (typeof m?.label !== 'string' || typeof m.value !== 'string')
      throw new StoreError(`${where}.matchers[${i}] must have a string label and value`)
    if (!(MATCHER_OPS as readonly string[]).includes(m.op))
      throw new StoreError(
        `${where}.matchers[${i}].op must be one of ${MATCHER_OPS.join(', ')}, got ${JSON.stringify(m.op)}`,
      )
  }
  if (typeof silence.comment !== 'string') throw new StoreError(`${where}.comment must be a string`)
}

/** The `activeAt` of a silences query, refused when it is not a time. */
export function activeAtOf(query: { activeAt?: number } | undefined): number | undefined {
  const at = query?.activeAt
  if (at !== undefined && !Number.isFinite(at))
    throw new StoreError(`silences: activeAt must be epoch ms, got ${String(at)}`)
  return at
}

/** Bounds of a drill run the stores keep: a run over them is refused, naming the field. */
export const DRILL_LIMITS = Object.freeze({
  /** Results in one run. */
  results: 1000,
  /** Characters of an id, a fault name, a service name and an action. */
  id: 128,
  fault: 64,
  service: 256,
  action: 256,
  /** Actions in one result. */
  actions: 100,
  /** Characters of a result's detail. */
  detail: 4000,
})

const DRILL_OUTCOMES = ['healed', 'escalated', 'failed'] as const

/** Refuses a drill run that cannot be stored or is over its bounds, naming the field. */
export function checkDrill(run: DrillRecord): void {
  const where = 'saveDrill: run'
  const text = (value: unknown, path: string, max: number, empty = false) => {
    if (typeof value !== 'string' || (!empty && value === ''))
      throw new StoreError(`${where}.${path} must be a ${empty ? '' : 'non-empty '}string`)
    if (value.length > max)
      throw new StoreError(`${where}.${path} must be at most ${max} characters, got ${value.length}`)
  }
  const count = (value: unknown, path: string) => {
    if (!Number.isInteger(value) || (value as number) < 0)
      throw new StoreError(`${where}.${path} must be a whole number >= 0, got ${String(value)}`)
  }
  text(run?.id, 'id', DRILL_LIMITS.id)
  for (const key of ['startedAt', 'finishedAt'] as const)
    if (!Number.isFinite(run[key]))
      throw new StoreError(`${where}.${key} must be epoch ms, got ${String(run[key])}`)
  if (run.finishedAt < run.startedAt) throw new StoreError(`${where}.finishedAt must not be before startedAt`)
  if (!Array.isArray(run.results)) throw new StoreError(`${where}.results must be a list of results`)
  if (run.results.length > DRILL_LIMITS.results)
    throw new StoreError(
      `${where}.results must hold at most ${DRILL_LIMITS.results} results, got ${run.results.length}`,
    )
  for (const [i, r] of run.results.entries()) {
    const at = `results[${i}]`
    if (typeof r !== 'object' || r === null) throw new StoreError(`${where}.${at} must be a result`)
    text(r.fault, `${at}.fault`, DRILL_LIMITS.fault)
    text(r.service, `${at}.service`, DRILL_LIMITS.service)
    if (!(DRILL_OUTCOMES as readonly string[]).includes(r.outcome))
      throw new StoreError(
        `${where}.${at}.outcome must be one of ${DRILL_OUTCOMES.join(', ')}, got ${JSON.stringify(r.outcome)}`,
      )
    for (const key of ['detectMs', 'alertMs', 'repairMs'] as const) {
      const ms = r[key]
      if (ms !== null && !(Number.isFinite(ms) && ms >= 0))
        throw new StoreError(`${where}.${at}.${key} must be ms >= 0 or null, got ${String(ms)}`)
    }
    if (!Array.isArray(r.actions) || r.actions.length > DRILL_LIMITS.actions)
      throw new StoreError(`${where}.${at}.actions must be a list of at most ${DRILL_LIMITS.actions} actions`)
    for (const [j, action] of r.actions.entries()) text(action, `${at}.actions[${j}]`, DRILL_LIMITS.action)
    count(r.doubleActions, `${at}.doubleActions`)
    count(r.falseAlerts, `${at}.falseAlerts`)
    count(r.round, `${at}.round`)
    if (r.detail !== undefined) text(r.detail, `${at}.detail`, DRILL_LIMITS.detail, true)
  }
}

/** The `before` of a drills query, refused when it is not a run's place in the list. */
export function drillCursorOf(query: { before?: DrillCursor } | undefined): DrillCursor | undefined {
  const before = query?.before
  if (before === undefined) return undefined
  if (!Number.isFinite(before?.startedAt) || typeof before.id !== 'string')
    throw new StoreError('drills: before must be { startedAt: epoch ms, id: string }')
  return before
}

/** True when run `a` comes after cursor `b` in the newest-first order (`startedAt`, then `id`, descending). */
export function drillAfter(a: DrillCursor, b: DrillCursor): boolean {
  return a.startedAt < b.startedAt || (a.startedAt === b.startedAt && a.id < b.id)
}

/** Newest-first order of drill runs: `startedAt`, then `id`, descending (ids compared by code unit). */
export function drillOrder(a: DrillCursor, b: DrillCursor): number {
  return b.startedAt - a.startedAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)
}

const MAX_BEAT_KEY = 128
/** The longest beat message kept. */
export const MAX_BEAT_MESSAGE = 200

/** Refuses a beat that could not be read back. */
export function checkBeat(key: string, beat: StoredBeat): void {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_BEAT_KEY)
    throw new StoreError(`a beat key is 1 to ${MAX_BEAT_KEY} characters`)
  if (!Number.isFinite(beat?.at)) throw new StoreError(`beat.at must be epoch ms, got ${String(beat?.at)}`)
  if (beat.status !== 'up' && beat.status !== 'down')
    throw new StoreError(`beat.status must be up or down, got ${JSON.stringify(beat.status)}`)
}

/** Bounds of an incident the stores keep: one over them is refused, naming the field. */
export const INCIDENT_LIMITS = Object.freeze({
  /** Characters of an id, a service name, a title and a severity. */
  id: 128,
  service: 256,
  title: 512,
  severity: 32,
  /** Events in one timeline (the agent keeps far fewer: the first and the latest). */
  events: 1000,
  /** Characters of an event's text, its `by` and its `ref`. */
  text: 4000,
  by: 200,
  ref: 256,
})

const INCIDENT_STATES = ['open', 'acknowledged', 'resolved'] as const
const INCIDENT_EVENT_KINDS = [
  'state',
  'alert',
  'notification',
  'healing',
  'approval',
  'maintenance',
  'acknowledged',
  'note',
  'resolved',
] as const

/** Refuses an incident that cannot be stored or is over its bounds, naming the field. */
export function checkIncident(incident: Incident): void {
  const where = 'saveIncident: incident'
  const text = (value: unknown, path: string, max: number, empty = false) => {
    if (typeof value !== 'string' || (!empty && value === ''))
      throw new StoreError(`${where}.${path} must be a ${empty ? '' : 'non-empty '}string`)
    if (value.length > max)
      throw new StoreError(`${where}.${path} must be at most ${max} characters, got ${value.length}`)
  }
  const time = (value: unknown, path: string) => {
    if (!Number.isFinite(value))
      throw new StoreError(`${where}.${path} must be epoch ms, got ${String(value)}`)
  }
  text(incident?.id, 'id', INCIDENT_LIMITS.id)
  text(incident.service, 'service', INCIDENT_LIMITS.service)
  text(incident.title, 'title', INCIDENT_LIMITS.title, true)
  text(incident.severity, 'severity', INCIDENT_LIMITS.severity)
  if (!(INCIDENT_STATES as readonly string[]).includes(incident.state))
    throw new StoreError(
      `${where}.state must be one of ${INCIDENT_STATES.join(', ')}, got ${JSON.stringify(incident.state)}`,
    )
  time(incident.openedAt, 'openedAt')
  for (const key of ['resolvedAt', 'acknowledgedAt'] as const)
    if (incident[key] !== undefined) time(incident[key], key)
  if (incident.state === 'resolved' && incident.resolvedAt === undefined)
    throw new StoreError(`${where}.resolvedAt must be set when the state is resolved`)
  if (incident.acknowledgedBy !== undefined)
    text(incident.acknowledgedBy, 'acknowledgedBy', INCIDENT_LIMITS.by)
  if (!Array.isArray(incident.events)) throw new StoreError(`${where}.events must be a list of events`)
  if (incident.events.length > INCIDENT_LIMITS.events)
    throw new StoreError(
      `${where}.events must hold at most ${INCIDENT_LIMITS.events} events, got ${incident.events.length}`,
    )
  for (const [i, e] of incident.events.entries()) {
    const at = `events[${i}]`
    if (typeof e !== 'object' || e === null) throw new StoreError(`${where}.${at} must be an event`)
    time(e.at, `${at}.at`)
    if (!(INCIDENT_EVENT_KINDS as readonly string[]).includes(e.kind))
      throw new StoreError(
        `${where}.${at}.kind must be one of ${INCIDENT_EVENT_KINDS.join(', ')}, got ${JSON.stringify(e.kind)}`,
      )
    text(e.text, `${at}.text`, INCIDENT_LIMITS.text, true)
    if (e.by !== undefined) text(e.by, `${at}.by`, INCIDENT_LIMITS.by)
    if (e.ref !== undefined) text(e.ref, `${at}.ref`, INCIDENT_LIMITS.ref)
  }
}

/** The `before` of an incidents query, refused when it is not an incident's place in the list. */
export function incidentCursorOf(query: { before?: IncidentCursor } | undefined): IncidentCursor | undefined {
  const before = query?.before
  if (before === undefined) return undefined
  if (!Number.isFinite(before?.openedAt) || typeof before.id !== 'string')
    throw new StoreError('incidents: before must be { openedAt: epoch ms, id: string }')
  return before
}

/** The `state` of an incidents query, refused when it is not a state. */
export function incidentStateOf<S extends string>(state: S | undefined): S | undefined {
  if (state !== undefined && !(INCIDENT_STATES as readonly string[]).includes(state))
    throw new StoreError(
      `incidents: state must be one of ${INCIDENT_STATES.join(', ')}, got ${JSON.stringify(state)}`,
    )
  return state
}

/** Newest-first order of incidents: `openedAt`, then `id`, descending (ids compared by code unit). */
export function incidentOrder(a: IncidentCursor, b: IncidentCursor): number {
  return b.openedAt - a.openedAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)
}

/** True when incident `a` comes after cursor `b` in the newest-first order. */
export function incidentAfter(a: IncidentCursor, b: IncidentCursor): boolean {
  return a.openedAt < b.openedAt || (a.openedAt === b.openedAt && a.id < b.id)
}
