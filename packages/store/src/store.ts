import type {
  AlertLog,
  ApprovalStore,
  CheckResult,
  HealingAudit,
  LeaseStore,
  MetricSnapshot,
  Outbox,
  ServiceName,
  SilenceStore,
  StateChange,
} from '@noa/core'
import type { StoreError } from './errors.ts'

/** The backends a store can run on; the `type` string of the store configuration. */
export type StoreType = 'memory' | 'sqlite' | 'postgres'

/** Label set of a series, e.g. `{ service: 'api', method: 'GET' }`. */
export type Labels = Record<string, string>

/** One sample to append: a series (name + labels) and its value at a time. */
export interface SampleInput {
  name: string
  /** @default {} */
  labels?: Labels
  value: number
  /** Epoch ms. */
  at: number
}

/** A stored sample, as `recent()` answers it. */
export interface Sample {
  name: string
  labels: Labels
  value: number
  at: number
}

/** A series: a name and a label set, stored once and referenced by id. */
export interface Series {
  id: number
  name: string
  labels: Labels
}

/** One label condition, as in PromQL: `=`, `!=`, `=~` (full-match regex), `!~`. */
export interface LabelMatcher {
  label: string
  op: '=' | '!=' | '=~' | '!~'
  value: string
}

/** Selects series by name and labels: a plain object means equality on every key. */
export interface SeriesSelector {
  name: string
  labels?: Labels | readonly LabelMatcher[]
}

/**
 * How the samples of one step are folded into one point. `rate` is per second, for counters
 * (resets handled). `count` is how many samples the step holds: with `avg` it weighs steps
 * when averaging over several (a day the agent ran for an hour is not worth a whole day).
 */
export type Aggregation = 'avg' | 'min' | 'max' | 'last' | 'rate' | 'count'

/** Where a range query reads from: raw samples, 1-minute or 1-hour rollups, or the best fit for the step. */
export type Resolution = 'auto' | 'raw' | '1m' | '1h'

/** A range query over one or more series. */
export interface RangeQuery extends SeriesSelector {
  /** Epoch ms, inclusive; aligned down to a multiple of `step`, so every step is read whole. */
  start: number
  /** Epoch ms, exclusive. */
  end: number
  /** Step in ms; points are aligned to multiples of it (from the Unix epoch). */
  step: number
  /** @default 'avg' */
  aggregation?: Aggregation
  /** @default 'auto' (the coarsest rollup that divides the step, raw for what is not rolled up yet) */
  resolution?: Resolution
}

/** The answer for one series: `[stepStart, value]` pairs, oldest first, steps without data left out. */
export interface SeriesPoints {
  series: Series
  points: Array<[number, number]>
}

/** Samples: series stored once, values appended in batches, ranges aggregated per step. */
export interface SampleStore {
  /** Appends a batch in one transaction; a sample with the same series and time replaces the older one. */
  append(samples: readonly SampleInput[]): Promise<void>
  /** Points per step for every series that matches, ordered by series id. */
  range(query: RangeQuery): Promise<SeriesPoints[]>
  /** The latest `n` samples, newest first, of the series that match `selector` (all when omitted). */
  recent(n: number, selector?: SeriesSelector): Promise<Sample[]>
  /** Series known to the store, filtered by `selector`. */
  series(selector?: Partial<SeriesSelector>): Promise<Series[]>
}

/** The seed's JSON metric entry, one per collection round. */
export interface SnapshotStore {
  append(snapshot: MetricSnapshot): Promise<void>
  /** The latest `n` snapshots, oldest first (the order a chart draws them), for /api/metrics/recent. */
  recent(n: number): Promise<MetricSnapshot[]>
  /** Snapshots with `start <= timestamp < end`, oldest first. */
  range(start: number, end: number): Promise<MetricSnapshot[]>
}

/** Query of check results or state changes, newest first. */
export interface CheckQuery {
  service?: ServiceName
  /** Epoch ms, inclusive. */
  since?: number
  /** Epoch ms, exclusive. */
  until?: number
  /** @default 100 */
  limit?: number
}

/** Health check results and state changes per service. */
export interface CheckStore {
  append(result: CheckResult): Promise<void>
  appendChange(change: StateChange): Promise<void>
  /** Results, newest first. */
  results(query?: CheckQuery): Promise<CheckResult[]>
  /** State changes, newest first. */
  changes(query?: CheckQuery): Promise<StateChange[]>
  /** The latest result of each service, by service name. */
  latest(): Promise<CheckResult[]>
}

/** How one drilled fault ended: healed, escalated to a person as it should be, or failed. */
export type DrillOutcome = 'healed' | 'escalated' | 'failed'

/** One fault a drill injected into one service, and what noa did about it (times in ms from the fault). */
export interface DrillResultRecord {
  /** The fault's name, e.g. `crash`, `hang`, `dependency-down`. */
  fault: string
  service: string
  outcome: DrillOutcome
  /** Fault -> state change; null when it was not detected. */
  detectMs: number | null
  /** Fault -> alert sent; null when none was. */
  alertMs: number | null
  /** Fault -> healthy again; null when it did not recover. */
  repairMs: number | null
  /** The healing actions taken, in order. */
  actions: string[]
  /** Actions taken twice for the one fault. */
  doubleActions: number
  /** Alerts that fired during the drill about something the drill did not break. */
  falseAlerts: number
  /** Which round of the run, from 1. */
  round: number
  detail?: string
}

/** One drill run (`noa drill`): when it started and finished (epoch ms) and every result. */
export interface DrillRecord {
  id: string
  startedAt: number
  finishedAt: number
  results: DrillResultRecord[]
}

/** Where a page of drills starts: after this run, in the newest-first order. */
export interface DrillCursor {
  startedAt: number
  id: string
}

/** Query of drill runs, newest first (`startedAt`, then `id`, both descending). */
export interface DrillQuery {
  /** @default 100 */
  limit?: number
  /** Only the runs after this one in the list: pass the last run of the previous page. */
  before?: DrillCursor
}

/**
 * The drill runs noa was put through, kept for the Drills page. A run is refused (with the
 * field named) when it has more than more results or a longer string than `DRILL_LIMITS` allows.
 *
 * @example
 * ```ts
 * await store.drills.saveDrill({ id: 'drl_1', startedAt, finishedAt, results })
 * const [latest] = await store.drills.drills({ limit: 1 })
 * ```
 */
export interface DrillStore {
  /** Stores a run, replacing the one with the same id. */
  saveDrill(run: DrillRecord): Promise<void>
  /** The run with this id, or undefined. */
  getDrill(id: string): Promise<DrillRecord | undefined>
  /** Runs newest first. */
  drills(query?: DrillQuery): Promise<DrillRecord[]>
}

/** The last beat of a push check, as any agent sharing the store took it. */
export interface StoredBeat {
  /** Epoch ms when it came. */
  at: number
  status: 'up' | 'down'
  /** The job's words, at most 200 characters. */
  message?: string
}

/**
 * The last beat per push check, keyed by the SHA-256 of its token (never the token): a beat
 * taken by one agent is seen by the agent that checks the service, and after a restart.
 * Expired with the check results.
 */
export interface BeatStore {
  /** Keeps the beat unless a later one is stored already. */
  saveBeat(key: string, beat: StoredBeat): Promise<void>
  lastBeat(key: string): Promise<StoredBeat | undefined>
}

/**
 * A maintenance window as the stores keep it: a time span during which the named services
 * (and those carrying one of the tags) are worked on by people, so noa neither notifies nor
 * heals them. Who opened it, when and why, and who ended it early, are its audit.
 */
export interface MaintenanceWindowRecord {
  id: string
  /** Services by name. */
  services: string[]
  /** Services carrying any of these tags. */
  tags: string[]
  /** Epoch ms, inclusive. */
  startsAt: number
  /** Epoch ms, exclusive: when it was planned to end. */
  endsAt: number
  reason: string
  /** Who opened it (the API token's holder). */
  createdBy: string
  createdAt: number
  /** When a person ended it before `endsAt`. */
  endedEarlyAt?: number
  endedBy?: string
}

/** Query of maintenance windows, latest start first (then id, descending). */
export interface MaintenanceWindowQuery {
  /** Only windows that end after this time (epoch ms; an early end counts): open and upcoming ones. */
  endsAfter?: number
  /** Only windows over at this time (epoch ms): their end, or early end, is at or before it. */
  endedAt?: number
  /** @default 100 */
  limit?: number
}

/**
 * Maintenance windows opened through the API, kept so they survive a restart and are seen by
 * every agent on one store. A window over its bounds (`MAINTENANCE_WINDOW_LIMITS`) is refused.
 *
 * @example
 * ```ts
 * await store.maintenanceWindows.saveWindow(window)
 * const open = await store.maintenanceWindows.windows({ endsAfter: Date.now() })
 * ```
 */
export interface MaintenanceWindowStore {
  /** Stores a window, replacing the one with the same id (an early end is a save). */
  saveWindow(window: MaintenanceWindowRecord): Promise<void>
  getWindow(id: string): Promise<MaintenanceWindowRecord | undefined>
  windows(query?: MaintenanceWindowQuery): Promise<MaintenanceWindowRecord[]>
}

/** Where an incident stands: open, acknowledged by a person, or resolved. */
export type IncidentState = 'open' | 'acknowledged' | 'resolved'

/** What an incident timeline entry is about. */
export type IncidentEventKind =
  | 'state'
  | 'alert'
  | 'notification'
  | 'healing'
  | 'approval'
  | 'maintenance'
  | 'acknowledged'
  | 'note'
  | 'resolved'

/** One entry of an incident's timeline: when (epoch ms), what, and who when a person did it. */
export interface IncidentEvent {
  at: number
  kind: IncidentEventKind
  text: string
  /** The person (the API token's holder) for acknowledgements and notes. */
  by?: string
  /** What it refers to: an alert fingerprint, a healing or approval id, a channel. */
  ref?: string
}

/**
 * One service's episode away from healthy, with its timeline: opened when the service left
 * healthy (or a critical alert about it fired), resolved when it is healthy again and its
 * alerts resolved.
 */
export interface Incident {
  id: string
  service: string
  title: string
  severity: string
  state: IncidentState
  /** Epoch ms. */
  openedAt: number
  resolvedAt?: number
  acknowledgedAt?: number
  acknowledgedBy?: string
  /** Oldest first. */
  events: IncidentEvent[]
}

/** Where a page of incidents starts: after this one, in the newest-first order. */
export interface IncidentCursor {
  openedAt: number
  id: string
}

/** Query of incidents, newest first (`openedAt`, then `id`, both descending). */
export interface IncidentQuery {
  service?: string
  state?: IncidentState
  /** @default 100 */
  limit?: number
  /** Only the incidents after this one in the list: pass the last one of the previous page. */
  before?: IncidentCursor
}

/**
 * Incidents and their timelines, kept whole (one row each) so an open one survives a restart.
 * An incident over its bounds (`INCIDENT_LIMITS`) is refused, naming the field.
 *
 * @example
 * ```ts
 * await store.incidents.saveIncident(incident)
 * const open = await store.incidents.incidents({ state: 'open', limit: 1000 })
 * ```
 */
export interface IncidentStore {
  /** Stores an incident, replacing the one with the same id. */
  saveIncident(incident: Incident): Promise<void>
  /** The incident with this id, or undefined. */
  getIncident(id: string): Promise<Incident | undefined>
  /** Incidents newest first. */
  incidents(query?: IncidentQuery): Promise<Incident[]>
}

/** Kinds of data with their own retention. */
export type RetentionKind =
  | 'samples'
  | 'rollups1m'
  | 'rollups1h'
  | 'snapshots'
  | 'checks'
  | 'alerts'
  | 'deliveries'
  | 'healings'
  | 'approvals'
  | 'silences'
  | 'drills'
  | 'maintenanceWindows'
  | 'incidents'

/** What one maintenance run did. */
export interface MaintenanceReport {
  /** Rollup rows written, per resolution. */
  rolledUp: { '1m': number; '1h': number }
  /** Rows deleted, per kind. */
  deleted: Record<RetentionKind, number>
  /** False when a chunk limit stopped the run before everything expired was deleted. */
  complete: boolean
}

/** Counters of writes the store could not make at once. */
export interface StoreStats {
  /** Writes waiting: PostgreSQL's retry buffer (an outage), SQLite's next batch of check results. */
  buffered: number
  /** Writes given up because the buffer was full, since the store was opened. */
  dropped: number
}

/**
 * How the store's writes are going, for the agent's health answer and its alerts. Every
 * write path updates it, including writes buffered and written later.
 *
 * @example
 * ```ts
 * const { ok, failingSince, lastError } = store.health()
 * if (!ok) logger.error('store writes failing', { since: failingSince, error: lastError })
 * ```
 */
export interface StoreHealth {
  /** False from a failed write until a write succeeds again. */
  ok: boolean
  /** Epoch ms (the store's clock) of the first failed write of the current failure; absent while ok. */
  failingSince?: number
  /**
   * Message of the latest failed write, safe to show in API answers: it never holds the file
   * path or credentials. Kept after recovery, so `failedWrites` has an explanation.
   */
  lastError?: string
  /** Write attempts the database refused since the store was opened (a failed retry of buffered writes counts once). */
  failedWrites: number
}

/**
 * What the sqlite store did when its file failed the integrity check at open (corrupt
 * pages, or not a database at all): the file was moved aside and a new, empty store
 * created in its place. The agent raises an alert with `error.message` (no path in it).
 */
export interface StoreRecovery {
  /** Where the unreadable file now is: `<file>.corrupt-<UTC time>`, its -wal and -shm beside it with the same name. */
  movedTo: string
  /** Why, as a StoreError with code `ERR_STORE_CORRUPT`; its `cause` is SQLite's error. */
  error: StoreError
  /** Epoch ms (the store's clock) of the move. */
  at: number
}

/**
 * Everything noa keeps over time, behind one interface with three backends
 * (memory, sqlite, postgres). The sub-objects implement the ports of @noa/core.
 */
export interface Store {
  readonly type: StoreType
  readonly outbox: Outbox
  readonly alerts: AlertLog
  readonly healing: HealingAudit
  readonly approvals: ApprovalStore
  readonly leases: LeaseStore
  readonly silences: SilenceStore
  readonly drills: DrillStore
  readonly maintenanceWindows: MaintenanceWindowStore
  readonly incidents: IncidentStore
  readonly samples: SampleStore
  readonly snapshots: SnapshotStore
  readonly checks: CheckStore
  readonly beats: BeatStore
  /** Rolls raw samples up (1 m, 1 h) and deletes what retention expired, in bounded chunks. */
  maintain(now?: number): Promise<MaintenanceReport>
  /** Writes what is buffered; resolves when the buffer is empty or rejects when it cannot be written now. */
  flush(): Promise<void>
  stats(): StoreStats
  /** Whether writes work now; refused input (a bad sample, a duplicate id) is not a store failure. */
  health(): StoreHealth
  /** Flushes what it can and releases files, pools and timers. Calling it twice is harmless. */
  close(): Promise<void>
}
