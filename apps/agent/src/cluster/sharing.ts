import type { CheckResult, Clock, LeaseStore, Logger } from '@noa/core'
import { errorMessage } from '@noa/core'
import type { HealthMonitor } from '@noa/health'
import type { Registry } from '@noa/metrics'
import type { CheckStore } from '@noa/store'
import { shareOf } from './ownership.ts'

/** Options of {@link CheckSharing}. */
export interface CheckSharingOptions {
  leases: LeaseStore
  /** The shared store's check results: where the other agents' results are read. */
  checks: CheckStore
  health: HealthMonitor
  agentId: string
  /** A member that has not renewed within this is gone: its services move. */
  ttlMs: number
  /**
   * Services every agent checks itself, outside the shares: those it supervises (each agent
   * runs its own copy, so each must watch and restart its own). @default none
   */
  pinned?: (service: string) => boolean
  clock: Clock
  logger: Logger
}

const MEMBER = 'member:'
/** How far back each mirror reads again, for results written late by a batching store. */
const MIRROR_OVERLAP_MS = 10_000
/** Results one mirror reads at most. */
const MIRROR_LIMIT = 50_000

/**
 * Several agents on one PostgreSQL store share the checks of a fleet. Each is a member while
 * it renews its `member:<id>` lease; each service is checked by one live member, chosen by
 * rendezvous hashing over the members, so every agent agrees without talking. When a member
 * dies its lease runs out and the others take its services at their next renewal (within the
 * TTL); when one joins it takes its share at once and the others drop it at their next
 * renewal. Every agent still sees the whole fleet: the results of the services it does not
 * check are read from the store and applied to its monitor, so rules, the API and the
 * dashboard are the same on every agent.
 */
export class CheckSharing {
  readonly #o: CheckSharingOptions
  #members: string[] = []
  #share = new Set<string>()
  #mirroredUpTo: number | undefined

  constructor(options: CheckSharingOptions) {
    this.#o = options
  }

  /** How often the membership is renewed and read, in ms. */
  get renewEvery(): number {
    return Math.max(100, Math.floor(this.#o.ttlMs / 3))
  }

  /** The live members, this one included. */
  get members(): readonly string[] {
    return this.#members
  }

  /** How many services this agent checks itself. */
  get checkedHere(): number {
    return this.#share.size
  }

  /** Whether this agent checks (and heals) the service. */
  owns(service: string): boolean {
    return this.#share.has(service)
  }

  /** Joins (or renews) and takes this agent's share of the services. */
  async renew(): Promise<void> {
    const { leases, agentId, ttlMs, clock, logger, health } = this.#o
    const now = clock.now()
    let members: string[]
    try {
      await leases.acquireLease(`${MEMBER}${agentId}`, agentId, ttlMs, now)
      members = (await leases.heldLeases(MEMBER, now)).map((l) => l.holder)
    } catch (e) {
      // Without the store no one can agree on shares: keep the last one until it answers, or,
      // before the first, check everything (a service checked twice beats one checked by none).
      logger.warn('cannot renew the membership of the shared checks', { error: errorMessage(e) })
      if (this.#members.length > 0) return
      members = [agentId]
    }
    if (!members.includes(agentId)) members.push(agentId)
    members.sort()
    if (members.join('\u0000') === this.#members.join('\u0000')) return
    this.#members = members
    this.reshare()
    logger.info('the shared checks changed hands', {
      members: members.length,
      checkedHere: this.#share.size,
      services: health.services.length,
    })
  }

  /** Recomputes the share for a new set of services (a reload). */
  reshare(): void {
    const { agentId, health, pinned } = this.#o
    const names = health.services.map((s) => s.name)
    const shared = pinned ? names.filter((name) => !pinned(name)) : names
    this.#share = shareOf(agentId, shared, this.#members)
    if (pinned) for (const name of names) if (pinned(name)) this.#share.add(name)
    health.checkOnly(this.#share)
  }

  /**
   * Applies the other agents' results of the services this agent does not check, oldest
   * first, through this monitor's thresholds: each result, not only the latest, so that three
   * failures in a row are three here too. The first call reads the latest result of each.
   */
  async mirror(): Promise<void> {
    const { checks, health, clock, logger } = this.#o
    let results: CheckResult[]
    try {
      results =
        this.#mirroredUpTo === undefined
          ? await checks.latest()
          : // Results are written in batches: re-reading a little overlap catches late ones.
            (
              await checks.results({ since: this.#mirroredUpTo - MIRROR_OVERLAP_MS, limit: MIRROR_LIMIT })
            ).reverse()
    } catch (e) {
      logger.warn('cannot read the results of the other agents', { error: errorMessage(e) })
      return
    }
    if (results.length >= MIRROR_LIMIT)
      logger.warn('more results than one mirror reads: the oldest were skipped', { limit: MIRROR_LIMIT })
    const known = new Set(health.services.map((s) => s.name))
    let upTo = this.#mirroredUpTo ?? clock.now()
    for (const result of results) {
      upTo = Math.max(upTo, result.at)
      // observe() takes only what is newer than the service's latest result.
      if (!this.#share.has(result.service) && known.has(result.service)) health.observe(result)
    }
    this.#mirroredUpTo = upTo
  }

  /** Leaves the group at once, so the others take its services without waiting for the TTL. */
  async leave(): Promise<void> {
    const { leases, agentId, logger } = this.#o
    await leases
      .releaseLease(`${MEMBER}${agentId}`, agentId)
      .catch((e) => logger.warn('cannot leave the shared checks', { error: errorMessage(e) }))
  }
}

/** The agent's own gauges of the shared checks. */
export function registerSharingMetrics(registry: Registry, sharing: CheckSharing): void {
  registry.gauge({
    name: 'noa_cluster_members',
    help: 'Live agents sharing the checks of the fleet, this one included',
    collect: (gauge) => gauge.set(sharing.members.length),
  })
  registry.gauge({
    name: 'noa_checks_here',
    help: 'Services this agent checks itself; the others are checked by the other agents',
    collect: (gauge) => gauge.set(sharing.checkedHere),
  })
}
