import type { Registry } from '@noa/metrics'
import { type OtlpMetric, registryOtlpMetrics } from '@noa/metrics/otlp'
import type { RemoteWriteInput } from '@noa/metrics/remote-write'
import type { Collected } from './round.ts'

/**
 * What one metrics round sends by remote write: the agent's own metrics (its registry, read
 * directly at `now`, as the samples /metrics shows), then the round's samples (derived series,
 * CPU and memory, at the round's time) and each service's scraped metrics (labelled `service`).
 * A round sample with the name of a registry sample (`noa_service_up`) is left out: the same
 * series twice, at two times, would be refused by the receiver as out of order.
 */
export async function remoteWriteSamples(
  registry: Registry,
  collected: Pick<Collected, 'samples' | 'scraped' | 'snapshot'>,
  now: number,
): Promise<RemoteWriteInput[]> {
  const values: RemoteWriteInput[] = []
  const own = new Set<string>()
  for (const metric of await registryOtlpMetrics(registry, now, now)) pushSamples(values, own, metric, now)
  const at = Date.parse(collected.snapshot.timestamp)
  for (const s of collected.samples)
    if (!own.has(s.name)) values.push({ name: s.name, labels: s.labels ?? {}, value: s.value, at: s.at })
  for (const s of collected.scraped) values.push({ name: s.name, labels: s.labels, value: s.value, at })
  return values
}

/** A registry metric as the Prometheus samples its exposition shows (`_total`, `_bucket`...). */
function pushSamples(values: RemoteWriteInput[], names: Set<string>, m: OtlpMetric, at: number): void {
  const add = (name: string, labels: Record<string, string>, value: number) => {
    names.add(name)
    values.push({ name, labels, value, at })
  }
  const data = m.data
  switch (data.kind) {
    case 'gauge':
      for (const p of data.points) add(m.name, p.attributes, p.value)
      return
    case 'sum':
      for (const p of data.points) add(`${m.name}_total`, p.attributes, p.value)
      return
    case 'histogram':
      for (const p of data.points) {
        let cumulative = 0
        p.counts.forEach((count, i) => {
          cumulative += count
          const le = i < p.bounds.length ? String(p.bounds[i]) : '+Inf'
          add(`${m.name}_bucket`, { ...p.attributes, le }, cumulative)
        })
        add(`${m.name}_sum`, p.attributes, p.sum ?? 0)
        add(`${m.name}_count`, p.attributes, p.count)
      }
      return
    case 'summary':
      for (const p of data.points) {
        for (const q of p.quantiles) add(m.name, { ...p.attributes, quantile: String(q.quantile) }, q.value)
        add(`${m.name}_sum`, p.attributes, p.sum)
        add(`${m.name}_count`, p.attributes, p.count)
      }
      return
  }
}
