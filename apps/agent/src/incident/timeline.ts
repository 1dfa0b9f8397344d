import type { Incident, IncidentEvent } from '@noa/store'

/** The `ref` of the marker that stands for the events left out of a long timeline. */
export const ELIDED_REF = 'elided'

/** Longest text of one event: a check's message or a note is cut there (with an ellipsis). */
export const EVENT_TEXT_MAX = 1000

/** Events a person writes (acknowledgements, notes): never elided, so they are capped instead. */
const PERSON_KINDS: ReadonlySet<IncidentEvent['kind']> = new Set(['acknowledged', 'note'])

const SEVERITY_RANK: Record<string, number> = { critical: 3, warning: 2, info: 1 }

/** The graver of two severities (unknown ones rank lowest). */
export function graver(a: string, b: string): string {
  return (SEVERITY_RANK[b] ?? 0) > (SEVERITY_RANK[a] ?? 0) ? b : a
}

/** `text` cut to {@link EVENT_TEXT_MAX} characters. */
export function clip(text: string, max = EVENT_TEXT_MAX): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`
}

/** Whether `e` is the marker of elided events. */
export function isElidedMarker(e: IncidentEvent | undefined): boolean {
  return e?.kind === 'note' && e.ref === ELIDED_REF && e.by === undefined
}

/** How many notes and acknowledgements a person added to the timeline. */
export function personEvents(incident: Incident): number {
  let n = 0
  for (const e of incident.events) if (PERSON_KINDS.has(e.kind) && !isElidedMarker(e)) n++
  return n
}

/**
 * Appends `event` and keeps the timeline within `max` events: the first (what opened it) and
 * the latest stay; machine events in between are elided oldest first, counted by one marker
 * event right after the first (`{ kind: 'note', ref: 'elided', text: 'N events elided' }`).
 * A person's notes and acknowledgements are never elided (they are capped where added).
 * Returns how many events were elided now.
 */
export function appendBounded(incident: Incident, event: IncidentEvent, max: number): number {
  const events = incident.events
  events.push(event)
  let elided = 0
  while (events.length > max) {
    let marker = events[1] as IncidentEvent
    if (!isElidedMarker(marker)) {
      marker = { at: marker.at, kind: 'note', text: '0 events elided', ref: ELIDED_REF }
      events.splice(1, 0, marker)
    }
    // The newest event is never the one elided: it is what just happened.
    const i = events.findIndex((e, j) => j >= 2 && j < events.length - 1 && !PERSON_KINDS.has(e.kind))
    if (i < 0) break
    const [gone] = events.splice(i, 1)
    const count = Number(/^(\d+)/.exec(marker.text)?.[1] ?? 0) + 1
    marker.text = `${count} event${count === 1 ? '' : 's'} elided`
    marker.at = gone?.at ?? marker.at
    elided++
  }
  return elided
}
