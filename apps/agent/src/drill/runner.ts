import { errorMessage, type HealingRecord } from '@noa/core'
import type { AgentConfig, AgentService } from '../config/schema.ts'
import type { FaultContext, FaultDriver, Injection } from './fault.ts'
import { type DrillEvent, measureDrill } from './measure.ts'
import type { DrillItem } from './plan.ts'
import { firstCheckWithinMs } from './proxy-faults.ts'
import { inFlight, signsOf } from './signs.ts'
import type { DrillFault, DrillResult } from './types.ts'

/** Events one drill keeps at most; the rest are counted in the result's detail. */
export const MAX_DRILL_EVENTS = 20_000

/** How long a drill keeps watching after noa escalated, for a repair that comes anyway. */
export const ESCALATED_GRACE_MS = 15_000

/** Where a drill stands, for the progress line. */
export interface DrillProgress {
  index: number
  total: number
  item: DrillItem
  phase: 'waiting for healthy' | 'waiting for the flapping window' | 'injected' | 'restoring'
  elapsedMs: number
}

export interface RunDrillsOptions {
  items: readonly DrillItem[]
  ctx: FaultContext
  drivers: Partial<Record<DrillFault, FaultDriver>>
  signal: AbortSignal
  /** Longest a drill waits for repair or escalation. @default three first checks of the scope plus 30 s */
  timeoutMs?: number
  /** How long a drill keeps watching after the repair, for late second actions. @default 1000 */
  settleMs?: number
  progress?: (progress: DrillProgress) => void
  /** Each result as it is known. */
  result?: (result: DrillResult) => void
}

/** `names` and every service that depends on one of them, directly or not. */
export function withDependents(config: AgentConfig, names: readonly string[]): string[] {
  const scope = new Set(names)
  for (let grew = true; grew; ) {
    grew = false
    for (const s of config.services)
      if (!scope.has(s.name) && s.dependsOn.some((d) => scope.has(d))) {
        scope.add(s.name)
        grew = true
      }
  }
  return [...scope]
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((ok) => {
    const onAbort = () => {
      clearTimeout(timer)
      ok()
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      ok()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })

/**
 * Runs the drills one after the other against the agent: before each, waits until every service
 * it may touch is healthy; injects the fault; follows the agent's events until the faulted
 * services are healthy again (and the fault has done all it meant to), noa escalated, the time
 * is up or the run is aborted; undoes the fault; measures. A drill that cannot start is a
 * `failed` result saying why. Stops at the first abort, with the results so far.
 */
export async function runDrills(options: RunDrillsOptions): Promise<DrillResult[]> {
  const { ctx, signal } = options
  const results: DrillResult[] = []
  let events: DrillEvent[] = []
  let dropped = 0
  let injection: Injection | undefined
  let previous: AgentService[] = []
  const onEvent = (event: DrillEvent) => {
    if (events.length < MAX_DRILL_EVENTS) events.push(event)
    else dropped++
    injection?.onEvent?.(event)
  }
  let stream = await ctx.api.follow(onEvent)
  try {
    for (const [index, item] of options.items.entries()) {
      if (signal.aborted) break
      // a leader-kill may have killed the agent of the stream (its watchdog brought it back)
      if (!stream.open) stream = await ctx.api.follow(onEvent)
      const started = Date.now()
      const progress = (phase: DrillProgress['phase']) =>
        options.progress?.({
          index,
          total: options.items.length,
          item,
          phase,
          elapsedMs: Date.now() - started,
        })
      const driver = options.drivers[item.fault]!
      const service = ctx.config.services.find((s) => s.name === item.service)!
      const faulted = driver.targets(service, ctx.config)
      const scope = withDependents(ctx.config, [...faulted, service.name])
      const services = scope.map((name) => ctx.config.services.find((s) => s.name === name)!)
      // the last drill's services calm down first, so its late alerts are not this drill's
      const calm = [...new Set([...services, ...previous])]
      previous = services
      const waitMs = options.timeoutMs ?? 3 * Math.max(...services.map(firstCheckWithinMs)) + 30_000
      const failed = (detail: string): DrillResult => ({
        fault: item.fault,
        service: item.service,
        outcome: 'failed',
        detectMs: null,
        alertMs: null,
        repairMs: null,
        actions: [],
        doubleActions: 0,
        falseAlerts: 0,
        round: item.round,
        detail,
      })

      progress('waiting for healthy')
      const notHealthy = await untilHealthy(ctx, calm, waitMs, signal)
      if (signal.aborted) break
      let result: DrillResult
      if (!notHealthy) {
        const faultedServices = faulted.map((name) => ctx.config.services.find((s) => s.name === name)!)
        await untilCalm(ctx, faultedServices, signal, () => progress('waiting for the flapping window'))
        if (signal.aborted) break
      }
      if (notHealthy) result = failed(`not healthy before the drill: ${notHealthy}`)
      else {
        events = []
        dropped = 0
        try {
          injection = await options.drivers[item.fault]!.inject(service, ctx)
        } catch (error) {
          injection = undefined
          result = failed(`could not inject the fault: ${errorMessage(error)}`)
        }
        if (injection) {
          const current = injection
          progress('injected')
          const gaveUp = await follow(
            item.fault,
            current,
            () => current.events?.() ?? events,
            ctx,
            services,
            waitMs,
            options,
            signal,
            () => progress('injected'),
          )
          progress('restoring')
          injection = undefined
          const restoreError = await current.undo().then(
            () => undefined,
            (e) => errorMessage(e),
          )
          result = measureDrill({
            fault: item.fault,
            service: item.service,
            round: item.round,
            faultAt: current.faultAt,
            faulted: current.faulted,
            scope,
            injections: current.injections(),
            events: current.events?.() ?? events,
            ...(gaveUp ? { gaveUp } : {}),
          })
          // what only shows once the fault is undone (a record lost while the store was down,
          // no leader found to kill); not after Ctrl-C, which ends the run at once
          const verified = restoreError || signal.aborted ? {} : ((await current.verify?.()) ?? {})
          if (verified.failed) result = { ...result, outcome: 'failed' }
          const notes = [
            current.note?.(),
            result.detail,
            verified.failed ?? verified.note,
            result.outcome === 'healed' ? undefined : current.escalated?.(),
            dropped > 0 ? `${dropped} events over ${MAX_DRILL_EVENTS} not kept` : undefined,
            restoreError ? `could not restore: ${restoreError}` : undefined,
          ].filter(Boolean)
          if (notes.length > 0) result = { ...result, detail: notes.join('; ') }
        }
      }
      results.push(result!)
      options.result?.(result!)
    }
  } finally {
    stream.close()
  }
  return results
}

/** Follows one injected fault; returns why it gave up, or undefined when it ended on its own. */
async function follow(
  fault: DrillFault,
  injection: Injection,
  events: () => DrillEvent[],
  ctx: FaultContext,
  services: AgentService[],
  waitMs: number,
  options: RunDrillsOptions,
  signal: AbortSignal,
  tick: () => void,
): Promise<string | undefined> {
  let deadline = injection.faultAt + waitMs
  let escalatedAt: number | undefined
  const scope = new Set(services.map((s) => s.name))
  while (!signal.aborted) {
    if (Date.now() > deadline)
      return escalatedAt === undefined ? `waited ${Math.round(waitMs / 1000)} s` : undefined
    const seen = events().filter((e) => e.at >= injection.faultAt)
    if (
      escalatedAt === undefined &&
      (seen.some((e) => e.type === 'escalation' && scope.has(e.service)) || injection.escalated?.())
    ) {
      // noa asked a person (or waits for an approval the drill cannot give); it may still heal
      // on its own (a retry after backoff): watch a while longer
      escalatedAt = Date.now()
      deadline = Math.min(deadline, escalatedAt + ESCALATED_GRACE_MS)
    }
    if (
      repaired(fault, seen, injection.faulted) &&
      (injection.settled?.() ?? true) &&
      !healingInFlight(seen, scope)
    ) {
      const api = injection.api?.() ?? ctx.api
      if ((await untilHealthy({ ...ctx, api }, services, 0, signal)) === undefined) {
        await sleep(options.settleMs ?? 1000, signal)
        return undefined
      }
    }
    injection.tick?.()
    tick()
    await sleep(100, signal)
  }
  return 'interrupted'
}

/** State changes a drill makes at least (down, then healthy again), which must not make a service flap. */
const DRILL_CHANGES = 2

/**
 * Waits until the services can take a drill without flapping: noa holds the state of a service
 * with `flapping.limit` changes within `flapping.windowMs`, and a drill on it would see nothing.
 * The agent's own count decides, as it includes the changes it held and the ones before this
 * run; earlier changes leave the window within `windowMs`.
 */
async function untilCalm(
  ctx: FaultContext,
  services: readonly AgentService[],
  signal: AbortSignal,
  waiting: () => void,
): Promise<void> {
  for (const service of services) {
    const deadline = Date.now() + service.flapping.windowMs + 1000
    while (!signal.aborted && Date.now() < deadline) {
      const status = await ctx.api.status(service.name)
      if (!status || status.recentChanges + DRILL_CHANGES < service.flapping.limit) break
      waiting()
      await sleep(500, signal)
    }
  }
}

/** The fault was seen on every faulted service, and is over on each (see signs.ts). */
function repaired(fault: DrillFault, events: DrillEvent[], faulted: readonly string[]): boolean {
  const signs = signsOf(fault)
  return faulted.every((service) => {
    const seen = signs.seen(events, service)
    return seen !== undefined && signs.over(events, service, seen) !== undefined
  })
}

/**
 * A healing in scope started and has not ended (a restart still verifying its service). The
 * drill waits for it: its outcome belongs to this drill, and a next fault injected under it
 * would fail its verification and count against the service's restart budget.
 */
function healingInFlight(events: DrillEvent[], scope: ReadonlySet<string>): boolean {
  const last = new Map<string, HealingRecord>()
  for (const e of events)
    if (e.type === 'healing' && scope.has(e.record.service)) last.set(e.record.id, e.record)
  for (const record of last.values()) if (inFlight(record)) return true
  return false
}

/** Waits up to `ms` until the agent sees every service healthy; the ones it does not, otherwise. */
async function untilHealthy(
  ctx: FaultContext,
  services: AgentService[],
  ms: number,
  signal: AbortSignal,
): Promise<string | undefined> {
  const deadline = Date.now() + ms
  for (;;) {
    const states = await Promise.all(
      services.map(async (s) => [s.name, await ctx.api.status(s.name)] as const),
    )
    // a flapping service's state is held by noa: a drill on it would measure nothing
    const down = states.filter(([, status]) => status?.state !== 'healthy' || status.flapping)
    if (down.length === 0) return undefined
    if (Date.now() >= deadline || signal.aborted)
      return down
        .map(
          ([name, status]) =>
            `${name} ${status ? `${status.state}${status.flapping ? ', flapping' : ''}` : 'unknown to the agent'}`,
        )
        .join(', ')
    await sleep(200, signal)
  }
}
