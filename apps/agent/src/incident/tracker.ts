import type { Notification } from '@noa/alerts'
import type { AlertRecord, Approval, Clock, HealingRecord, HealingStep, HealthState, Logger } from '@noa/core'
import { createEmitter, createId, type Emitter, errorMessage, isDown, type Subscribable } from '@noa/core'
import type { Incident, IncidentEvent, IncidentQuery, IncidentStore } from '@noa/store'
import { appendBounded, clip, graver, personEvents } from './timeline.ts'
import { IncidentWriter } from './writer.ts'

/** What happened to an incident, as the `incident` event says. */
export type IncidentChange = 'opened' | 'updated' | 'resolved'

/** Events of the tracker. */
export interface IncidentTrackerEvents {
  incident: { change: IncidentChange; incident: Incident; event: IncidentEvent }
}

/** An event to record in a service's open incident (`record`), e.g. a maintenance window starting. */
export type IncidentEventInput = Omit<IncidentEvent, 'at'> & { at?: number }

/** Why an acknowledgement or a note was refused. */
export type IncidentRefusal = 'unknown' | 'resolved' | 'acknowledged' | 'full'

/** Counters of the tracker, for the agent's metrics. */
export interface IncidentTrackerStats {
  /** Incidents open (or acknowledged) now. */
  open: number
  /** Incidents not opened because `maxOpen` were open, since start. */
  refused: number
  /** Timeline events elided to keep incidents within `maxEvents`, since start. */
  elided: number
  /** Writes of incidents the store refused or failed, since start (the incident stays in memory). */
  saveFailures: number
}

/** What the tracker reads and where it keeps incidents. */
export interface IncidentTrackerOptions {
  store: IncidentStore
  clock: Clock
  logger: Logger
  /**
   * A service's state, whether it is critical, and when its latest check result came (epoch
   * ms); undefined for a service noa does not know.
   */
  service(name: string): { state: HealthState; critical: boolean; checkedAt?: number } | undefined
  /** Whether an alert about the service fires now (an incident resolves only once none does). */
  firing(service: string): boolean
  /**
   * A service that leaves healthy again this soon after its incident resolved continues that
   * incident (flapping) instead of opening another. @default 300000
   */
  reopenWindowMs?: number
  /** Events kept per incident: the first and the latest, the others counted by a marker. @default 200 */
  maxEvents?: number
  /** Incidents open at once; more are refused, counted and logged. @default 1000 */
  maxOpen?: number
}

/**
 * Incidents, one per service episode: opened when a service leaves healthy, its supervised
 * process exits or a critical alert about it fires; resolved when it is healthy again and its
 * alerts have resolved. Everything the agent's pipeline does meanwhile (state changes, alerts,
 * notifications, healing steps, approvals, maintenance, a person's acknowledgement and notes)
 * goes into its timeline, bounded. A service that leaves healthy again within the reopen window
 * continues its incident. Incidents are saved to the store on every change, so an open one
 * survives a restart and is continued, not opened twice. An acknowledged incident holds its
 * alerts' reminders (`holds`).
 */
export class IncidentTracker {
  readonly #options: IncidentTrackerOptions
  readonly #reopenWindowMs: number
  readonly #maxEvents: number
  readonly #maxOpen: number
  /** Open and acknowledged incidents by service. */
  readonly #open = new Map<string, Incident>()
  /** Incidents resolved within the reopen window, by service. */
  readonly #recent = new Map<string, Incident>()
  /**
   * When each open incident's latest fault was seen (a fall, an exit, a critical alert): it
   * resolves only on a check result newer than that. A process exit and its restart happen
   * between two checks; the state still says healthy from before the exit.
   */
  readonly #faultAt = new Map<string, number>()
  readonly #writer: IncidentWriter
  readonly #events: Emitter<IncidentTrackerEvents>
  readonly #stats = { refused: 0, elided: 0 }

  constructor(options: IncidentTrackerOptions) {
    this.#options = options
    this.#reopenWindowMs = options.reopenWindowMs ?? 300_000
    this.#maxEvents = Math.max(4, options.maxEvents ?? 200)
    this.#maxOpen = options.maxOpen ?? 1000
    this.#events = createEmitter<IncidentTrackerEvents>({ logger: options.logger, name: 'incidents' })
    this.#writer = new IncidentWriter(options.store, options.logger)
  }

  /** `incident` events: opened, updated (an event appended), resolved. */
  get on(): Subscribable<IncidentTrackerEvents>['on'] {
    return this.#events.on
  }

  /** Reads back the incidents left open (and those resolved within the reopen window) by the last run. */
  async start(): Promise<void> {
    const { store, clock, logger } = this.#options
    try {
      const [open, acknowledged, resolved] = await Promise.all([
        store.incidents({ state: 'open', limit: this.#maxOpen }),
        store.incidents({ state: 'acknowledged', limit: this.#maxOpen }),
        store.incidents({ state: 'resolved', limit: 100 }),
      ])
      // Newest first: the newest open incident of a service is the one continued.
      for (const incident of [...open, ...acknowledged].sort((a, b) => b.openedAt - a.openedAt))
        if (!this.#open.has(incident.service) && this.#open.size < this.#maxOpen)
          this.#open.set(incident.service, incident)
      const since = clock.now() - this.#reopenWindowMs
      for (const incident of resolved)
        if ((incident.resolvedAt ?? 0) >= since && !this.#recent.has(incident.service))
          this.#recent.set(incident.service, incident)
      if (this.#open.size > 0) logger.info('incidents restored', { open: this.#open.size })
    } catch (error) {
      logger.error('cannot read the open incidents back; new ones will be opened', {
        error: errorMessage(error),
      })
    }
  }

  /** Waits for the writes in flight. */
  stop(): Promise<void> {
    return this.#writer.idle()
  }

  stats(): IncidentTrackerStats {
    return { open: this.#open.size, ...this.#stats, saveFailures: this.#writer.failures }
  }

  // ---- what the pipeline reports

  /** A service's state changed (the health monitor's `change`). */
  stateChanged(change: {
    service: string
    from: HealthState
    to: HealthState
    at: number
    result?: { message?: string }
  }): void {
    const why = change.result?.message ? `: ${change.result.message}` : ''
    const event: IncidentEvent = {
      at: change.at,
      kind: 'state',
      text: clip(`${change.from} -> ${change.to}${why}`),
    }
    if (isDown(change.to)) {
      const critical = this.#options.service(change.service)?.critical ?? true
      this.#openOrAppend(change.service, event, {
        title: clip(`${change.service} is ${change.to}${why}`, 512),
        severity: critical ? 'critical' : 'warning',
      })
      return
    }
    if (this.#append(change.service, event) && change.to === 'healthy') this.#settle(change.service)
  }

  /** A check result: a healthy one may resolve the service's incident (no state change follows a quick restart). */
  checked(result: { service: string; state: HealthState }): void {
    if (result.state === 'healthy' && this.#open.has(result.service)) this.#settle(result.service)
  }

  /** A supervised process exited: its service left healthy, whatever the next check says. */
  processExited(exit: { service: string; code: number | null; signal: string | null; at?: number }): void {
    // An adopted process's parent was an earlier agent: how it ended is not known.
    const how = exit.signal ? ` (signal ${exit.signal})` : exit.code !== null ? ` (code ${exit.code})` : ''
    const critical = this.#options.service(exit.service)?.critical ?? true
    this.#openOrAppend(
      exit.service,
      { at: exit.at ?? this.#options.clock.now(), kind: 'state', text: `process exited${how}` },
      { title: `${exit.service}: process exited${how}`, severity: critical ? 'critical' : 'warning' },
    )
  }

  /** An alert changed state (the alert engine's `alert`): firing and resolved ones go in. */
  alertChanged(alert: AlertRecord): void {
    const service = alert.labels.service
    if (!service || (alert.state !== 'firing' && alert.state !== 'resolved')) return
    const summary = alert.annotations.summary ? `: ${alert.annotations.summary}` : ''
    const event: IncidentEvent = {
      at: alert.updatedAt,
      kind: 'alert',
      text: clip(`${alert.rule} ${alert.state} (${alert.severity})${summary}`),
      ref: alert.fingerprint,
    }
    if (alert.state === 'firing' && alert.severity === 'critical') {
      this.#openOrAppend(service, event, {
        title: clip(alert.annotations.summary ?? `${alert.rule} (${service})`, 512),
        severity: alert.severity,
      })
      return
    }
    if (!this.#append(service, event)) return
    const open = this.#open.get(service)
    if (open && alert.state === 'firing') open.severity = graver(open.severity, alert.severity)
    if (alert.state === 'resolved') this.#settle(service)
  }

  /** A notification was handed to a channel: recorded in the incident of each service it is about. */
  notified(n: Notification): void {
    const services = new Set<string>()
    for (const a of n.alerts) if (a.labels.service) services.add(a.labels.service)
    const names = [...new Set(n.alerts.map((a) => a.labels.alertname ?? 'alert'))].join(', ')
    for (const service of services)
      this.#append(service, {
        at: this.#options.clock.now(),
        kind: 'notification',
        text: clip(`${n.status} notification to ${n.receiver}: ${names}`),
        ref: n.receiver,
      })
  }

  /** A healing started, took a step or finished (the healing engine's events). */
  healing(phase: 'started' | 'step' | 'finished', record: HealingRecord, step?: HealingStep): void {
    const text =
      phase === 'started'
        ? `${record.strategy} started (${record.trigger})${record.dryRun ? ', dry run' : ''}`
        : phase === 'step' && step
          ? `${step.name} ${step.ok ? 'ok' : 'failed'}${step.error ? `: ${step.error}` : ''}`
          : `${record.strategy} ${record.outcome}${record.reason ? `: ${record.reason}` : ''}`
    const at = phase === 'step' && step ? step.endedAt : (record.endedAt ?? record.startedAt)
    if (
      this.#append(record.service, { at, kind: 'healing', text: clip(text), ref: record.id }) &&
      phase === 'finished'
    )
      this.#settle(record.service)
  }

  /** An approval was requested or decided. */
  approval(approval: Approval): void {
    const text =
      approval.status === 'pending'
        ? `approval requested: ${approval.action} (${approval.reason})`
        : `${approval.action} ${approval.status}${approval.comment ? `: ${approval.comment}` : ''}`
    this.#append(approval.service, {
      at: approval.decidedAt ?? approval.requestedAt,
      kind: 'approval',
      text: clip(text),
      ref: approval.id,
      ...(approval.decidedBy ? { by: approval.decidedBy } : {}),
    })
  }

  /**
   * Records an event in the service's open incident, for parts that come later (a maintenance
   * window starting or ending: `record(service, { kind: 'maintenance', text })`). Returns the
   * incident's id, or undefined when the service has no open incident (nothing is recorded).
   */
  record(service: string, input: IncidentEventInput): string | undefined {
    const event: IncidentEvent = {
      at: input.at ?? this.#options.clock.now(),
      kind: input.kind,
      text: clip(input.text),
      ...(input.by ? { by: input.by } : {}),
      ...(input.ref ? { ref: input.ref } : {}),
    }
    return this.#append(service, event) ? this.#open.get(service)?.id : undefined
  }

  // ---- what a person does

  /**
   * Marks an incident acknowledged by `by`, with an optional note: its alerts' reminders are
   * held until it resolves. Refused when unknown, resolved or already acknowledged.
   */
  async acknowledge(id: string, by: string, note?: string): Promise<Incident | IncidentRefusal> {
    const incident = await this.#find(id)
    if (!incident) return 'unknown'
    if (incident.state === 'resolved') return 'resolved'
    if (incident.state === 'acknowledged') return 'acknowledged'
    const at = this.#options.clock.now()
    incident.state = 'acknowledged'
    incident.acknowledgedAt = at
    incident.acknowledgedBy = by
    const event: IncidentEvent = {
      at,
      kind: 'acknowledged',
      text: clip(note?.trim() || `acknowledged by ${by}`),
      by,
    }
    this.#changed(incident, 'updated', event)
    return incident
  }

  /** Adds a person's note to an incident (open or resolved). Refused when unknown or when its notes are full. */
  async note(id: string, by: string, text: string): Promise<Incident | IncidentRefusal> {
    const incident = await this.#find(id)
    if (!incident) return 'unknown'
    if (personEvents(incident) >= Math.floor(this.#maxEvents / 2)) return 'full'
    this.#changed(incident, 'updated', { at: this.#options.clock.now(), kind: 'note', text: clip(text), by })
    return incident
  }

  // ---- what is read

  /** Whether the reminders of this alert are held: its service's incident is acknowledged. */
  holds(alert: AlertRecord): boolean {
    const service = alert.labels.service
    return service !== undefined && this.#open.get(service)?.state === 'acknowledged'
  }

  /** The open (or acknowledged) incident of a service. */
  openFor(service: string): Incident | undefined {
    return this.#open.get(service)
  }

  /** One incident, the live one when it is open. */
  async get(id: string): Promise<Incident | undefined> {
    return this.#live(id) ?? (await this.#options.store.getIncident(id))
  }

  /** Incidents newest first, from the store, each replaced by its live copy (which may be a write ahead). */
  async list(query: IncidentQuery): Promise<Incident[]> {
    const stored = await this.#options.store.incidents(query)
    // A change a write has not reached yet: an incident whose live state left the filter is left out.
    return stored
      .map((i) => this.#live(i.id) ?? i)
      .filter((i) => query.state === undefined || i.state === query.state)
  }

  // ---- inside

  #live(id: string): Incident | undefined {
    for (const map of [this.#open, this.#recent]) for (const i of map.values()) if (i.id === id) return i
    return undefined
  }

  async #find(id: string): Promise<Incident | undefined> {
    return this.#live(id) ?? (await this.#options.store.getIncident(id))
  }

  /** Opens an incident for the service, continues the one it has, or reopens one that just resolved. */
  #openOrAppend(service: string, event: IncidentEvent, first: { title: string; severity: string }): void {
    this.#faultAt.set(service, Math.max(this.#faultAt.get(service) ?? 0, event.at))
    const open = this.#open.get(service)
    if (open) {
      open.severity = graver(open.severity, first.severity)
      this.#changed(open, 'updated', event)
      return
    }
    const now = this.#options.clock.now()
    const recent = this.#recent.get(service)
    if (this.#open.size >= this.#maxOpen) {
      this.#faultAt.delete(service)
      this.#stats.refused++
      if (this.#stats.refused === 1 || this.#stats.refused % 1000 === 0)
        this.#options.logger.warn('too many open incidents; a new one was not opened', {
          service,
          maxOpen: this.#maxOpen,
          refused: this.#stats.refused,
        })
      return
    }
    if (recent && now - (recent.resolvedAt ?? 0) <= this.#reopenWindowMs) {
      // Flapping: the same episode goes on.
      this.#recent.delete(service)
      recent.state = recent.acknowledgedAt !== undefined ? 'acknowledged' : 'open'
      delete recent.resolvedAt
      recent.severity = graver(recent.severity, first.severity)
      this.#open.set(service, recent)
      this.#stats.elided += appendBounded(
        recent,
        { at: event.at, kind: 'state', text: 'reopened: left healthy again soon after resolving' },
        this.#maxEvents,
      )
      this.#changed(recent, 'updated', event)
      return
    }
    this.#recent.delete(service)
    const incident: Incident = {
      id: createId('inc', now),
      service,
      title: first.title,
      severity: first.severity,
      state: 'open',
      openedAt: event.at,
      events: [],
    }
    this.#open.set(service, incident)
    this.#changed(incident, 'opened', event)
  }

  /** Appends to the service's open incident; false when it has none. */
  #append(service: string, event: IncidentEvent): boolean {
    const open = this.#open.get(service)
    if (!open) return false
    this.#changed(open, 'updated', event)
    return true
  }

  /** Resolves the service's incident once it is healthy and no alert about it fires. */
  #settle(service: string): void {
    const open = this.#open.get(service)
    if (!open) return
    const now = this.#options.service(service)
    if (now?.state !== 'healthy' || (now.checkedAt ?? 0) < (this.#faultAt.get(service) ?? 0)) return
    if (this.#options.firing(service)) return
    this.#faultAt.delete(service)
    const at = this.#options.clock.now()
    open.state = 'resolved'
    open.resolvedAt = at
    this.#open.delete(service)
    this.#recent.set(service, open)
    this.#changed(open, 'resolved', { at, kind: 'resolved', text: 'healthy again and its alerts resolved' })
    // The window is short: what is older than it is dropped as others resolve.
    for (const [name, i] of this.#recent)
      if (at - (i.resolvedAt ?? 0) > this.#reopenWindowMs) this.#recent.delete(name)
  }

  #changed(incident: Incident, change: IncidentChange, event: IncidentEvent): void {
    this.#stats.elided += appendBounded(incident, event, this.#maxEvents)
    this.#writer.save(incident)
    this.#events.emit('incident', { change, incident, event })
  }
}
