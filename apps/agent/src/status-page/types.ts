/**
 * What a customer reads about one service: up, down, not known yet, or in planned maintenance
 * (a maintenance window covers it, whatever its checks say).
 */
export type PublicState = 'operational' | 'outage' | 'unknown' | 'maintenance'

/**
 * The page's verdict over every public service: an outage when any is down; `maintenance` when
 * none is and at least one is in maintenance. A service in maintenance is never counted down.
 */
export type OverallPublicState = 'operational' | 'maintenance' | 'partial_outage' | 'major_outage'

/** Uptime in percent (0..100, three decimals) per window; null when the window holds no sample. */
export interface UptimeFigures {
  '24h': number | null
  '7d': number | null
  '30d': number | null
  '90d': number | null
}

/** One day's bar: its UTC date (`YYYY-MM-DD`) and uptime in percent, null when nothing was recorded. */
export interface DayBar {
  date: string
  uptime: number | null
}

export interface PublicService {
  name: string
  state: PublicState
  uptime: UptimeFigures
  /** {@link STATUS_PAGE_DAYS} bars, oldest first, the last one today (so far). */
  days: DayBar[]
}

export interface PublicGroup {
  /** The services' `group`; null for those without one. */
  name: string | null
  services: PublicService[]
}

export interface PublicIncidentUpdate {
  at: number
  kind: string
  text: string
}

export interface PublicIncident {
  id: string
  service: string
  title: string
  severity: string
  state: 'open' | 'acknowledged' | 'resolved'
  openedAt: number
  resolvedAt?: number
  /** Oldest first, at most {@link STATUS_PAGE_LIMITS.updates}. */
  updates: PublicIncidentUpdate[]
}

/** The body of `GET /api/status-page`. */
export interface StatusPageBody {
  title: string
  description?: string
  /** When the page was computed (epoch ms); it is cached for a while. */
  generatedAt: number
  status: OverallPublicState
  /**
   * The status in words: 'All systems operational', 'Scheduled maintenance in progress',
   * 'Partial outage' or 'Major outage'.
   */
  banner: string
  groups: PublicGroup[]
  /** Recent incidents of public services, newest first. */
  incidents: PublicIncident[]
  /** Public services left out because the page holds at most {@link STATUS_PAGE_LIMITS.services}. */
  omittedServices?: number
}

/** How many days of bars the page shows (and the longest uptime window). */
export const STATUS_PAGE_DAYS = 90

/** The bounds of one page. */
export const STATUS_PAGE_LIMITS = Object.freeze({
  /** Public services on the page; more are counted in `omittedServices`. */
  services: 500,
  /** Incidents shown. */
  incidents: 20,
  /** Updates shown per incident (the newest). */
  updates: 20,
  /** Characters of an incident's title or of an update's text. */
  text: 1000,
  /** How far back incidents are shown, in days. */
  incidentDays: 30,
})
