import type { AlertRecord, HealingRecord } from '@noa/core'
import type { AgentConfig } from '../config/schema.ts'
import type { AlertsBody, HealingBody, HealthBody } from '../http/api-types.ts'
import type { AgentClient } from './agent-client.ts'
import type { FaultDriver } from './fault.ts'
import type { DrillEvent } from './measure.ts'
import { crash } from './process-faults.ts'
import { withDependents } from './runner.ts'
import { acted } from './signs.ts'
import { holdStore, unholdable } from './store-hold.ts'

/**
 * How long the drill waits for the agent to see its store down once held: a few of its writes
 * (each waits for the busy or query timeout, 5 s and 15 s by default) must fail first.
 */
export const STORE_SEEN_DOWN_MS = 45_000
/** How long, once the store is released, the drill waits for what noa did meanwhile to reach it. */
export const STORE_CATCH_UP_MS = 30_000

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms))

/** Whether the agent's store takes writes, from `GET /api/health`; undefined when the agent does not answer. */
async function storeOk(api: AgentClient): Promise<boolean | undefined> {
  const answer = await api.get<Partial<HealthBody>>('/api/health').catch(() => undefined)
  return answer?.status === 200 ? answer.body.store?.ok : undefined
}

/**
 * What noa did during the drill that its store does not hold (yet): each healing that acted in
 * scope, with the outcome the event stream last showed, and each alert in scope at the state it
 * last reached. Read through the agent's API, which reads the store.
 */
async function missingFromStore(
  api: AgentClient,
  events: readonly DrillEvent[],
  scope: ReadonlySet<string>,
): Promise<string[]> {
  const healings = new Map<string, HealingRecord>()
  const alerts = new Map<string, Extract<DrillEvent, { type: 'alert' }>>()
  for (const e of events) {
    if (e.type === 'healing' && scope.has(e.record.service)) healings.set(e.record.id, e.record)
    if (e.type === 'alert' && e.service !== undefined && scope.has(e.service)) alerts.set(e.fingerprint, e)
  }
  const missing: string[] = []
  const stored = new Map<string, HealingRecord>()
  for (const service of new Set([...healings.values()].map((r) => r.service))) {
    const answer = await api.get<HealingBody>(`/api/healing?service=${encodeURIComponent(service)}&limit=50`)
    for (const r of answer.body.healings ?? []) stored.set(r.id, r)
  }
  for (const record of [...healings.values()].filter(acted)) {
    const kept = stored.get(record.id)
    if (kept?.outcome !== record.outcome)
      missing.push(
        `healing ${record.id} of ${record.service} (${record.strategy}, ${record.outcome}): ${kept ? `stored as ${kept.outcome}` : 'not stored'}`,
      )
  }
  if (alerts.size > 0) {
    const answer = await api.get<AlertsBody>('/api/alerts?limit=500')
    const byFingerprint = new Map<string, AlertRecord>(
      (answer.body.alerts ?? []).map((a) => [a.fingerprint, a]),
    )
    for (const [fingerprint, seen] of alerts) {
      const kept = byFingerprint.get(fingerprint)
      if (kept?.state !== seen.state || kept.updatedAt < seen.at)
        missing.push(
          `alert ${seen.rule}/${seen.service} (${seen.state}): ${kept ? `stored as ${kept.state}` : 'not stored'}`,
        )
    }
  }
  return missing
}

/**
 * store-down: the agent's store is taken away from outside (see {@link holdStore}); once the
 * agent reports it down (`GET /api/health`, store.ok false), the service is crashed (SIGKILL,
 * as the crash drill does) and the drill follows noa detecting, alerting and healing it without
 * its store. The store is released when the service is healthy again (or the drill gives up);
 * the drill then waits for every healing and alert of the drill to be in the store, read back
 * through the agent's API: one that is not there in {@link STORE_CATCH_UP_MS} makes a healed
 * drill failed, naming what was lost.
 */
export const storeDown: FaultDriver = {
  targets: (service) => [service.name],
  unfit(service, ctx) {
    return unholdable(ctx.config.store) ?? crash.unfit(service, ctx)
  },
  async inject(service, ctx) {
    const heldAt = Date.now()
    const hold = await holdStore(ctx.config.store, ctx.baseDir)
    const undo = ctx.restorer.add(`store-down: ${hold.what}`, () => hold.release())
    let seenDownMs: number
    try {
      seenDownMs = await untilStoreDown(ctx.api, heldAt)
    } catch (error) {
      await undo()
      throw error
    }
    let injection: Awaited<ReturnType<FaultDriver['inject']>>
    try {
      injection = await crash.inject(service, ctx)
    } catch (error) {
      await undo()
      throw error
    }
    const events: DrillEvent[] = []
    const scope = new Set(withDependents(ctx.config as AgentConfig, [service.name]))
    let releasedAt: number | undefined
    return {
      ...injection,
      onEvent(event) {
        if (event.at >= heldAt) events.push(event)
      },
      async undo() {
        releasedAt ??= Date.now()
        await undo()
      },
      async verify() {
        const released = releasedAt ?? Date.now()
        const deadline = released + STORE_CATCH_UP_MS
        let backMs: number | undefined
        let missing: string[] = []
        for (;;) {
          if (backMs === undefined && (await storeOk(ctx.api))) backMs = Date.now() - released
          missing = await missingFromStore(ctx.api, events, scope).catch((e: Error) => [
            `the agent's API did not answer: ${e.message}`,
          ])
          if ((backMs !== undefined && missing.length === 0) || Date.now() > deadline) break
          await sleep(250)
        }
        const noAction =
          ctx.config.store.type === 'postgres' &&
          !events.some((e) => e.type === 'healing' && scope.has(e.record.service) && acted(e.record))
        // one agent heals a service at a time through a lease in the shared store: none is taken without it
        const held = `store held ${((released - heldAt) / 1000).toFixed(1)} s (${hold.what}), seen down by the agent after ${(seenDownMs / 1000).toFixed(1)} s${noAction ? ', no healing acted (with PostgreSQL a healing takes its lease in the store)' : ''}`
        if (backMs === undefined)
          return {
            failed: `${held}; the agent did not report its store working again within ${STORE_CATCH_UP_MS / 1000} s of the release`,
          }
        if (missing.length > 0) {
          // the result's detail is bounded (4000 characters): the first few name what was lost
          const named = missing.slice(0, 5).join('; ')
          const more = missing.length > 5 ? `; and ${missing.length - 5} more` : ''
          return {
            failed: `${held}; lost once the store was back (${STORE_CATCH_UP_MS / 1000} s after the release): ${named}${more}`,
          }
        }
        return {
          note: `${held}, working again ${(backMs / 1000).toFixed(1)} s after the release; the drill's healings and alerts are in the store`,
        }
      },
    }
  },
}

/** Waits until the agent reports its store down; how long that took from `heldAt`, in ms. */
async function untilStoreDown(api: AgentClient, heldAt: number): Promise<number> {
  for (;;) {
    if ((await storeOk(api)) === false) return Date.now() - heldAt
    if (Date.now() - heldAt > STORE_SEEN_DOWN_MS)
      throw new Error(
        `the agent did not report its store down within ${STORE_SEEN_DOWN_MS / 1000} s of holding it`,
      )
    await sleep(250)
  }
}
