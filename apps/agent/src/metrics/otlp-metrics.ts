import type { MetricFamily, Registry } from '@noa/metrics'
import { type OtlpMetric, type OtlpNumberPoint, otlpMetricsOf, registryOtlpMetrics } from '@noa/metrics/otlp'
import type { FamilyHead } from './figures.ts'
import type { Collected } from './round.ts'

/**
 * What one OTLP export sends: the agent's own metrics (its registry, read at `now`, counters
 * and histograms with their series' creation as start), the latest round's derived series (CPU,
 * memory, request rates: gauges at the round's time) and each service's scraped metrics (labelled
 * `service`, typed as the service declared them, at the round's time; cumulative ones started at
 * `startMs`, the agent's start, since a scrape does not say when a counter began). A round sample
 * with the name of a registry metric (`noa_service_up`) is left out: the registry's is current.
 */
export async function otlpRoundMetrics(
  registry: Registry,
  collected: Pick<Collected, 'samples' | 'scraped' | 'snapshot'> | undefined,
  now: number,
  startMs: number,
): Promise<OtlpMetric[]> {
  const own = await registryOtlpMetrics(registry, now, startMs)
  if (!collected) return own
  const taken = new Set(own.map((m) => m.name))
  const derived = new Map<string, OtlpNumberPoint[]>()
  for (const s of collected.samples) {
    if (taken.has(s.name) || registry.get(s.name)) continue
    let points = derived.get(s.name)
    if (!points) {
      points = []
      derived.set(s.name, points)
    }
    points.push({ attributes: s.labels ?? {}, timeMs: s.at, value: s.value })
  }
  const out = [...own]
  for (const [name, points] of derived)
    out.push({ name, description: '', unit: '', data: { kind: 'gauge', points } })
  const timeMs = Date.parse(collected.snapshot.timestamp)
  out.push(...otlpMetricsOf(scrapedFamilies(collected.scraped), { timeMs, startMs }))
  return out
}

/**
 * The scraped samples regrouped into families: one per name and type across services (each
 * sample carries its `service` label), so a metric every service exposes is one OTLP metric.
 * A sample the round added itself (no family) is a gauge of its own name.
 */
function scrapedFamilies(scraped: Collected['scraped']): MetricFamily[] {
  const families = new Map<string, MetricFamily>()
  for (const s of scraped) {
    const head: FamilyHead = s.family ?? { name: s.name, type: 'gauge', help: '', unit: '' }
    const key = `${head.name}\u0000${head.type}`
    let family = families.get(key)
    if (!family) {
      family = { ...head, samples: [] }
      families.set(key, family)
    }
    family.samples.push({ name: s.name, labels: s.labels, value: s.value })
  }
  return [...families.values()]
}
