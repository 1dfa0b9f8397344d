import type { AlertRecord, AlertState, ServiceName } from '@noa/core'
import type { CompiledRule } from './rule.ts'

/** The engine's state of one pending or firing alert. */
export interface Active {
  rule: CompiledRule
  fingerprint: string
  labels: Record<string, string>
  annotations: Record<string, string>
  state: 'pending' | 'firing'
  value?: number
  activeAt: number
  firedAt?: number
  /** When its firing was last announced (notification queued, actions asked); unset until then. */
  notifiedAt?: number
  /**
   * When its condition last held on real data. Data that goes missing (a first scrape after a
   * restart, a failed scrape) keeps the alert as it is for a while, not resolved at once.
   */
  heldAt: number
  /** Set for alerts of service rules only. */
  service?: ServiceName
  muted?: MuteReason
}

/**
 * Why a firing alert sends nothing and asks for nothing: a silence matches it, an inhibiting
 * alert fires, or its service is in a maintenance window (the host says which are).
 */
export type MuteReason = 'silenced' | 'inhibited' | 'maintenance'

/** The record of an alert in a state, as the alert log keeps it and the `alert` event carries it. */
export function toRecord(a: Active, state: AlertState, now: number, resolvedAt?: number): AlertRecord {
  return {
    fingerprint: a.fingerprint,
    rule: a.rule.name,
    severity: a.rule.severity,
    state,
    labels: a.labels,
    annotations: a.annotations,
    ...(a.value !== undefined ? { value: a.value } : {}),
    activeAt: a.activeAt,
    ...(a.firedAt !== undefined ? { firedAt: a.firedAt } : {}),
    ...(resolvedAt !== undefined ? { resolvedAt } : {}),
    ...(a.notifiedAt !== undefined ? { notifiedAt: a.notifiedAt } : {}),
    updatedAt: now,
  }
}
