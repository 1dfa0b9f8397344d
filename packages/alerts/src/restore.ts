import type { AlertLog, AlertRecord, Logger } from '@noa/core'
import { errorMessage } from '@noa/core'
import type { Active } from './active.ts'
import type { CompiledRule } from './rule.ts'

/** What a restart gets back from the alert log. */
export interface RestoredState {
  /** Pending and firing alerts, with their activeAt, firedAt and notifiedAt. */
  active: Active[]
  /** Latest notification time by fingerprint, resolved alerts included, so cooldowns outlive a restart. */
  lastNotifiedAt: Map<string, number>
  /** Reads of the alert log that failed. */
  failures: number
}

const LIMIT = 10_000

/**
 * Reads back what the alert log holds, as Prometheus restores its `for` state: a pending
 * alert keeps its activeAt (its `for` progress), a firing one its firedAt and whether and
 * when it was announced, so a restart during an outage sends nothing new. Alerts whose rule
 * is gone are left out. A read that fails is logged and the rest is restored.
 */
export async function restoreAlerts(options: {
  alertLog: AlertLog
  rules: readonly CompiledRule[]
  now: number
  logger: Logger
}): Promise<RestoredState> {
  const { alertLog, rules, now, logger } = options
  const byName = new Map(rules.map((r) => [r.name, r]))
  const maxCooldown = Math.max(0, ...rules.map((r) => r.cooldown))
  const state: RestoredState = { active: [], lastNotifiedAt: new Map(), failures: 0 }
  const read = async (query: Parameters<AlertLog['alerts']>[0]): Promise<AlertRecord[]> => {
    try {
      return await alertLog.alerts({ ...query, limit: LIMIT })
    } catch (error) {
      state.failures++
      logger.error('cannot restore alerts', { state: query?.state, error: errorMessage(error) })
      return []
    }
  }
  const [pending, firing, resolved] = await Promise.all([
    read({ state: 'pending' }),
    read({ state: 'firing' }),
    // Only those recent enough for a cooldown to still run.
    maxCooldown > 0 ? read({ state: 'resolved', since: now - maxCooldown }) : [],
  ])
  for (const r of resolved)
    if (r.notifiedAt !== undefined) state.lastNotifiedAt.set(r.fingerprint, r.notifiedAt)
  for (const r of [...pending, ...firing]) {
    const rule = byName.get(r.rule)
    if (!rule) continue
    const firingNow = r.state === 'firing'
    state.active.push({
      rule,
      fingerprint: r.fingerprint,
      labels: r.labels,
      annotations: r.annotations,
      state: firingNow ? 'firing' : 'pending',
      ...(r.value !== undefined ? { value: r.value } : {}),
      activeAt: r.activeAt ?? r.updatedAt,
      // The restart is not the data going missing: the staleness window starts now.
      heldAt: now,
      ...(firingNow ? { firedAt: r.firedAt ?? r.updatedAt } : {}),
      // Unset when it was never announced (muted, or inside a cooldown): announced once it may be.
      ...(firingNow && r.notifiedAt !== undefined ? { notifiedAt: r.notifiedAt } : {}),
      ...(rule.scope === 'service' && r.labels.service ? { service: r.labels.service } : {}),
    })
    if (r.notifiedAt !== undefined) state.lastNotifiedAt.set(r.fingerprint, r.notifiedAt)
  }
  return state
}
