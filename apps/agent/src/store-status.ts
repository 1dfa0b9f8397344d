import { basename, isAbsolute, resolve } from 'node:path'
import type { AgentFacts, AlertEngine } from '@noa/alerts'
import type { Clock, Logger } from '@noa/core'
import type { Registry } from '@noa/metrics'
import { openStore, type Store, type StoreConfig, type StoreRecovery, withPendingRecords } from '@noa/store'
import type { AgentConfig } from './config/schema.ts'
import type { StoreStatus } from './http/api-types.ts'

/** How long after a start that replaced a corrupt store the `store-recovered` alert stays. */
const RECOVERED_ALERT_MS = 3_600_000

/** What happened to the store as it was opened. */
export interface StoreOpening {
  fellBack: boolean
  recovery?: StoreRecovery
}

/**
 * Opens the configured store, relative paths against `baseDir`. A SQLite store that cannot be
 * opened falls back to memory (so the agent still watches and notifies) and a corrupt one is
 * moved aside and replaced: both are kept in `opening` for the store rules to alert on. The
 * healings and alerts the store cannot take while it is down are kept and written once it is
 * back (see withPendingRecords).
 */
export async function openAgentStore(
  config: AgentConfig,
  baseDir: string,
  log: Logger,
): Promise<{ store: Store; opening: StoreOpening }> {
  const storeConfig =
    config.store.type === 'sqlite' && config.store.path !== ':memory:' && !isAbsolute(config.store.path)
      ? { ...config.store, path: resolve(baseDir, config.store.path) }
      : config.store
  const opening: StoreOpening = { fellBack: false }
  const store = await openStore(storeConfig as StoreConfig, {
    fallbackToMemory: config.store.type !== 'postgres',
    logger: log,
    onFallback: (error) => {
      opening.fellBack = true
      log.error('store unavailable, using memory', { error: error.message })
    },
    onRecovered: (recovery) => {
      opening.recovery = recovery
      log.error('store failed its integrity check: moved aside, a fresh one created', {
        movedTo: basename(recovery.movedTo),
        error: recovery.error.message,
      })
    },
  })
  // what noa does while its store is down (healings, alerts) is written once it is back
  return { store: withPendingRecords(store, { logger: log }), opening }
}

/** Reads the store's state and the facts the store rules see; all from memory. */
export class StoreWatch {
  readonly #store: Store
  readonly #alerts: AlertEngine
  readonly #opening: StoreOpening
  readonly #clock: Clock

  constructor(store: Store, alerts: AlertEngine, opening: StoreOpening, clock: Clock) {
    this.#store = store
    this.#alerts = alerts
    this.#opening = opening
    this.#clock = clock
  }

  /** The store's write buffer: what waits and what was given up. */
  stats(): { buffered: number; dropped: number } {
    return this.#store.stats()
  }

  status(): StoreStatus {
    const health = this.#store.health()
    const outboxFailing = !this.#alerts.stats().outboxAvailable
    const recovery = this.#opening.recovery
    return {
      type: this.#store.type,
      ok: health.ok && !outboxFailing && !this.#opening.fellBack,
      inMemoryFallback: this.#opening.fellBack,
      ...(health.failingSince === undefined ? {} : { failingSince: health.failingSince }),
      ...(health.lastError === undefined ? {} : { lastError: health.lastError }),
      failedWrites: health.failedWrites,
      outboxFailing,
      ...(recovery ? { recovered: { movedTo: basename(recovery.movedTo), at: recovery.at } } : {}),
    }
  }

  facts(): AgentFacts {
    const status = this.status()
    const recovered = status.recovered
    return {
      storeUnavailable: !status.ok,
      storeRecovered: recovered !== undefined && this.#clock.now() - recovered.at < RECOVERED_ALERT_MS,
    }
  }
}

/** `noa_store_up`, `noa_store_recovered` and `noa_store_failed_writes`, read when /metrics is scraped. */
export function registerStoreMetrics(registry: Registry, watch: StoreWatch): void {
  registry.gauge({
    name: 'noa_store_up',
    help: "1 while noa's store can be written (and is not a stand-in in memory)",
    collect: (gauge) => gauge.set(watch.status().ok ? 1 : 0),
  })
  registry.gauge({
    name: 'noa_store_recovered',
    help: 'Set to 1 for an hour after a corrupt store was moved aside and a fresh one created',
    collect: (gauge) => gauge.set(watch.facts().storeRecovered ? 1 : 0),
  })
  registry.gauge({
    name: 'noa_store_pending_writes',
    help: 'Writes waiting: the next batch of check results, or the retry buffer of a PostgreSQL outage',
    collect: (gauge) => gauge.set(watch.stats().buffered),
  })
  registry.gauge({
    name: 'noa_store_dropped_writes',
    help: 'Writes given up because the store could not keep up (its bounded buffer was full) since the agent started',
    collect: (gauge) => gauge.set(watch.stats().dropped),
  })
  registry.gauge({
    name: 'noa_store_failed_writes',
    help: 'Writes the store refused since the agent started',
    collect: (gauge) => gauge.set(watch.status().failedWrites),
  })
}
