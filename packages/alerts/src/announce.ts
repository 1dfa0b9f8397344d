import type { AlertRecord, HealingTrigger, ServiceName } from '@noa/core'
import type { Active } from './active.ts'
import { toRecord } from './active.ts'
import type { Dispatcher } from './dispatch.ts'
import type { InhibitRule } from './silence.ts'
import { matchesAll } from './silence.ts'
import type { SilenceSync } from './silence-sync.ts'

/** Asked of the host by a firing alert: the engine never heals by itself. */
export type AlertAction =
  | { kind: 'heal'; trigger: HealingTrigger; service?: ServiceName; alert: AlertRecord }
  | { kind: 'gc'; service?: ServiceName; alert: AlertRecord }

/** Options of {@link createAnnouncer}. */
export interface AnnouncerOptions {
  dispatcher: Pick<Dispatcher, 'queue'>
  silences: Pick<SilenceSync, 'mutes'>
  inhibitRules: readonly InhibitRule[]
  /** Whether the alert's labels name a service in a maintenance window now. @default never */
  maintenance?: (labels: Readonly<Record<string, string>>, now: number) => boolean
  repeatIntervalMs: number
  /**
   * Whether the repeats of a firing alert are held (a person acknowledged its incident): its
   * repeat is not sent while this answers true; its resolution still is. @default never
   */
  holdRepeat?: (alert: AlertRecord) => boolean
  /** Called once per repeat interval for each repeat held, so holding is counted, not silent. */
  held?: (alert: AlertRecord) => void
  /** Called with each action a newly announced alert asks for. */
  act: (action: AlertAction) => void
}

/** The stage after evaluation: decides which firing alerts are muted and which are announced now. */
export interface Announcer {
  /** Mutes, announces and repeats the firing alerts; returns those announced now (their notifiedAt is set). */
  run(active: ReadonlyMap<string, Active>, now: number): Active[]
  /** Latest notification time by fingerprint, kept after an alert resolves so its cooldown holds. */
  readonly lastNotifiedAt: Map<string, number>
}

/**
 * A firing alert is muted while a silence matches it, its service is in maintenance or an
 * inhibiting alert fires; muted
 * alerts send nothing and ask for nothing. Otherwise it is announced once (a notification
 * queued, its actions asked for) unless its rule's cooldown since the last notification of
 * the same alert still runs, then repeated every `repeatIntervalMs` (and never more often
 * than the cooldown) while it fires.
 */
export function createAnnouncer(options: AnnouncerOptions): Announcer {
  const { dispatcher, silences, inhibitRules, repeatIntervalMs, act, holdRepeat, held } = options
  const lastNotifiedAt = new Map<string, number>()
  // When each held repeat was last counted: one count per interval, not one per evaluation.
  const heldAt = new Map<string, number>()

  const muteReason = (a: Active, active: ReadonlyMap<string, Active>, now: number): Active['muted'] => {
    if (silences.mutes(a.labels, now)) return 'silenced'
    if (options.maintenance?.(a.labels, now)) return 'maintenance'
    for (const rule of inhibitRules) {
      if (!matchesAll(a.labels, rule.target)) continue
      for (const source of active.values()) {
        if (source === a || source.state !== 'firing' || !matchesAll(source.labels, rule.source)) continue
        if (rule.equal.every((l) => (source.labels[l] ?? '') === (a.labels[l] ?? ''))) return 'inhibited'
      }
    }
    return undefined
  }

  const ask = (a: Active, now: number) => {
    const alert = toRecord(a, 'firing', now)
    for (const action of a.rule.actions) {
      if (action.type === 'notify') continue
      act(
        action.type === 'heal'
          ? { kind: 'heal', trigger: action.trigger, ...(a.service ? { service: a.service } : {}), alert }
          : { kind: 'gc', ...(a.service ? { service: a.service } : {}), alert },
      )
    }
  }

  return {
    lastNotifiedAt,
    run(active, now) {
      const announced: Active[] = []
      for (const fp of heldAt.keys()) if (!active.has(fp)) heldAt.delete(fp)
      // The time goes into the alert's record, so a restart sends nothing new.
      const announce = (a: Active) => {
        a.notifiedAt = now
        lastNotifiedAt.set(a.fingerprint, now)
        announced.push(a)
        dispatcher.queue(a, 'firing', now)
      }
      for (const a of active.values()) {
        if (a.state !== 'firing') continue
        a.muted = muteReason(a, active, now)
        if (a.muted) continue
        const last = lastNotifiedAt.get(a.fingerprint)
        if (a.notifiedAt !== undefined) {
          const repeat = Math.max(repeatIntervalMs, a.rule.cooldown)
          const since = Math.max(last ?? 0, heldAt.get(a.fingerprint) ?? 0)
          if (repeatIntervalMs === 0 || last === undefined || now - since < repeat) continue
          const record = holdRepeat ? toRecord(a, 'firing', now) : undefined
          if (record && holdRepeat?.(record)) {
            heldAt.set(a.fingerprint, now)
            held?.(record)
          } else announce(a)
          continue
        }
        if (last !== undefined && now - last < a.rule.cooldown) continue
        announce(a)
        ask(a, now)
      }
      return announced
    },
  }
}
