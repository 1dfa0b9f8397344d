import type { Clock, Logger, MetricSnapshot, SystemSection } from '@noa/core'
import { errorMessage, yieldToLoop } from '@noa/core'
import type { HealthMonitor } from '@noa/health'
import type { ProcessCollector, SystemCollector } from '@noa/metrics'
import type { JsonlArchive, SampleInput, Store } from '@noa/store'
import type { AgentConfig } from '../config/schema.ts'
import type { OwnMetrics } from '../own-metrics.ts'
import { latencySloSamples } from '../slo/latency-samples.ts'
import { applicationOf, delta, mergeTotals, type ScrapedSample, type ScrapeTotals } from './figures.ts'
import { createLimitReport, type LimitReport, scrapeTargetOf } from './limits.ts'
import { type ScrapeDropped, scrape } from './scrape.ts'

/** Services a round reads, and samples it stores, before it lets the event loop run. */
const SLICE = 1000

/** The names of the derived series recorded every metrics round (the dashboard charts them). */
export const DERIVED_SERIES = [
  'noa_cpu_usage_percent',
  'noa_memory_usage_percent',
  'noa_error_rate',
  'noa_latency_avg_ms',
  'noa_latency_p95_ms',
  'noa_latency_p99_ms',
  'noa_requests_per_second',
] as const

/**
 * The sample the round adds for rules for every scraped service: `noa_scrape_limited{service,
 * reason} 1` per reason when its scrape was over a limit this round, else
 * `noa_scrape_limited{service} 0`. A rule such as `noa_scrape_limited > 0` then fires once while
 * any service is over its limits, and resolves in the first round where none is (the 0s keep the
 * condition known, so it does not wait out the lookback of absent data).
 */
export const SCRAPE_LIMITED_SAMPLE = 'noa_scrape_limited'

/** What one round collected. */
export interface Collected {
  snapshot: MetricSnapshot
  samples: SampleInput[]
  scraped: ScrapedSample[]
  /** The services whose scrape was over a limit this round, with what each reason left out. */
  limited: Record<string, ScrapeDropped>
}

/** What a metrics round reads from and writes to. */
export interface MetricsRoundDeps {
  config: AgentConfig
  store: Store
  archive: JsonlArchive | undefined
  health: HealthMonitor
  system: SystemCollector
  process: ProcessCollector
  metrics: OwnMetrics
  clock: Clock
  logger: Logger
}

/**
 * One metrics round every `collectInterval`: system and process collectors, every service's
 * /metrics, derived series, all stored, archived and kept as the latest snapshot.
 *
 * The first round after the agent starts is a priming one: its CPU usage spans the agent's
 * own start (and whatever ran before it, such as a build), and a service's first scrape has no
 * earlier one to take a rate from. Both are left out of that round, so no rule judges them.
 */
export class MetricsRound {
  #deps: MetricsRoundDeps
  readonly #previous = new Map<string, ScrapeTotals>()
  readonly #report: LimitReport
  #latest: Collected | undefined
  #primed = false

  constructor(deps: MetricsRoundDeps) {
    this.#deps = deps
    this.#report = createLimitReport(deps.metrics, deps.logger)
  }

  /** Takes a reloaded configuration's services (and metrics settings) from the next round on. */
  useConfig(config: AgentConfig): void {
    this.#deps = { ...this.#deps, config }
  }

  /** Time between rounds (`metrics.collectInterval`), ms. */
  get intervalMs(): number {
    return this.#deps.config.metrics.collectInterval
  }

  /** The latest snapshot, if a round has run. */
  get latest(): MetricSnapshot | undefined {
    return this.#latest?.snapshot
  }

  /** What the latest round collected (remote write sends it), if a round has run. */
  get collected(): Collected | undefined {
    return this.#latest
  }

  /** The samples scraped in the latest round, for selectors in rules. */
  get samples(): readonly ScrapedSample[] {
    return this.#latest?.scraped ?? []
  }

  /**
   * What the limits left out of the service's scrape in the latest round, by reason
   * (`series_limit`, `label_value_length`, `body_too_large`, ...); undefined when that scrape
   * was within every limit. The agent's facts read it to alert once on a hostile service.
   */
  scrapeLimited(service: string): Readonly<ScrapeDropped> | undefined {
    const limited = this.#latest?.limited
    return limited && Object.hasOwn(limited, service) ? limited[service] : undefined
  }

  /** Collects one snapshot without storing it (`noa metrics once`), everything it can read. */
  collect(): Promise<Collected> {
    return this.#collect(false)
  }

  async #collect(continuous: boolean): Promise<Collected> {
    const { config, clock, health } = this.#deps
    const now = clock.now()
    const priming = continuous && !this.#primed
    if (continuous) this.#primed = true
    const cats = config.metrics.categories
    let [system, proc] = await Promise.all([
      cats.system ? this.#deps.system.collect() : Promise.resolve({} as SystemSection),
      this.#deps.process.collect(),
    ])
    // A copy, not a change: the collector may hand the same section out again.
    if (priming && system.cpu) {
      const { usage: _spansTheStart, ...cpu } = system.cpu
      system = { ...system, cpu }
    }
    const snapshot: MetricSnapshot = {
      timestamp: new Date(now).toISOString(),
      system,
      application: cats.application ? { process: proc } : {},
      business: {},
      custom: {},
    }
    const samples: SampleInput[] = []
    const { scraped, limited } = await this.#scrapeAll(snapshot, samples, now, continuous)
    const cpu = system.cpu?.usage?.average
    const memory = system.memory?.usagePercent
    if (cpu !== undefined) samples.push({ name: 'noa_cpu_usage_percent', value: cpu, at: now })
    if (memory !== undefined) samples.push({ name: 'noa_memory_usage_percent', value: memory, at: now })
    // One service at a time, in slices: at 10,000 services a read of the whole fleet at once held
    // the event loop for tens of ms every round.
    const services = health.services
    for (let i = 0; i < services.length; i++) {
      if (i > 0 && i % SLICE === 0) await yieldToLoop()
      const name = services[i]!.name
      let state: string
      try {
        state = health.status(name).state
      } catch {
        continue // removed by a reload during the round
      }
      // Not checked yet (the agent just started): no sample, rather than a 0 that would count
      // as downtime on the status page's uptime after every restart.
      if (state === 'unknown') continue
      samples.push({
        name: 'noa_service_up',
        labels: { service: name },
        value: state === 'healthy' ? 1 : 0,
        at: now,
      })
    }
    return { snapshot, samples, scraped, limited }
  }

  /** One round: collect, store, archive, and keep it as the latest. */
  async run(): Promise<MetricSnapshot> {
    const { store, archive, metrics, logger } = this.#deps
    const collected = await this.#collect(true)
    this.#latest = collected
    metrics.rounds.inc()
    const writes = [store.snapshots.append(collected.snapshot), this.#appendSamples(collected.samples)]
    if (archive) writes.push(archive.append(collected.snapshot))
    for (const s of await Promise.allSettled(writes))
      if (s.status === 'rejected') logger.warn('cannot store metrics', { error: errorMessage(s.reason) })
    return collected.snapshot
  }

  /**
   * Stores the round's samples `SLICE` at a time, letting the event loop run in between: the
   * SQLite store writes a batch in one synchronous transaction, and 10,000 services' samples in
   * one batch held it for 20-30 ms. Stops at the first batch that fails.
   */
  async #appendSamples(samples: readonly SampleInput[]): Promise<void> {
    const { store } = this.#deps
    for (let i = 0; i < samples.length; i += SLICE) {
      if (i > 0) await yieldToLoop()
      await store.samples.append(samples.slice(i, i + SLICE))
    }
  }

  async #scrapeAll(
    snapshot: MetricSnapshot,
    samples: SampleInput[],
    now: number,
    continuous: boolean,
  ): Promise<{ scraped: ScrapedSample[]; limited: Record<string, ScrapeDropped> }> {
    const { config, metrics, logger } = this.#deps
    const cats = config.metrics.categories
    const targets = config.services.flatMap((s) => {
      const target = scrapeTargetOf(s, config.metrics)
      return target ? [{ name: s.name, latencySlo: s.slo?.latency, ...target }] : []
    })
    const limited: Record<string, ScrapeDropped> = {}
    if (targets.length === 0) return { scraped: [], limited }
    const results = await Promise.all(targets.map((t) => scrape(t.url, t.timeoutMs, now, t.limits)))
    const scraped: ScrapedSample[] = []
    const business = new Map<string, number>()
    const totals: ScrapeTotals[] = []
    const deltas: ScrapeTotals[] = []
    const services: NonNullable<MetricSnapshot['services']> = {}
    targets.forEach((s, i) => {
      const r = results[i]!
      if (Object.keys(r.dropped).length > 0) {
        limited[s.name] = r.dropped
        this.#report.report(s.name, r.dropped, s.limits)
        for (const reason of Object.keys(r.dropped))
          scraped.push({ name: SCRAPE_LIMITED_SAMPLE, labels: { service: s.name, reason }, value: 1 })
      } else scraped.push({ name: SCRAPE_LIMITED_SAMPLE, labels: { service: s.name }, value: 0 })
      if (!r.ok || !r.totals) {
        metrics.scrapeErrors.inc({ service: s.name })
        logger.debug('scrape failed', { service: s.name, error: r.error })
        return
      }
      if (s.latencySlo) samples.push(...latencySloSamples(s.name, s.latencySlo, r.samples, now))
      const before = this.#previous.get(s.name)
      this.#previous.set(s.name, r.totals)
      if (cats.business)
        for (const [k, v] of Object.entries(r.business)) business.set(k, (business.get(k) ?? 0) + v)
      for (const sample of r.samples)
        scraped.push({ ...sample, labels: { ...sample.labels, service: s.name } })
      // A first scrape has nothing to take a rate from: totals since the service started are no rate.
      if (continuous && !before) {
        services[s.name] = cats.business ? { business: r.business } : {}
        return
      }
      const d = delta(r.totals, before)
      const seconds = before && d !== r.totals ? (r.totals.at - before.at) / 1000 : 0
      const app = applicationOf(d, seconds, r.totals)
      totals.push(r.totals)
      deltas.push(d)
      services[s.name] = cats.business ? { ...app, business: r.business } : app
      derived(samples, now, app, { service: s.name })
    })
    snapshot.services = services
    // The fleet's business figures: each service's are bounded, so their sum is.
    if (business.size > 0) snapshot.business = Object.fromEntries(business)
    if (cats.application && totals.length > 0) {
      const seconds = config.metrics.collectInterval / 1000
      const fleet = applicationOf(mergeTotals(deltas, now), seconds, mergeTotals(totals, now))
      snapshot.application = { ...snapshot.application, ...fleet }
      derived(samples, now, fleet, {})
    }
    return { scraped, limited }
  }
}

function derived(
  out: SampleInput[],
  at: number,
  app: MetricSnapshot['application'],
  labels: Record<string, string>,
): void {
  const push = (name: string, value: number | undefined) => {
    if (value !== undefined && Number.isFinite(value)) out.push({ name, labels, value, at })
  }
  push('noa_error_rate', app.requests?.errorRate)
  push('noa_requests_per_second', app.throughput?.requestsPerSecond)
  push('noa_latency_avg_ms', app.latency?.average)
  push('noa_latency_p95_ms', app.latency?.p95)
  push('noa_latency_p99_ms', app.latency?.p99)
}
