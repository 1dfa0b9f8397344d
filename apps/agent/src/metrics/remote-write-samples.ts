import { parseExposition, type Registry } from '@noa/metrics'
import type { RemoteWriteInput } from '@noa/metrics/remote-write'
import type { Collected } from './round.ts'

/** Longest exposition of the agent's registry read for remote write (a large fleet's is some MB). */
const MAX_EXPOSITION = 64 * 1024 * 1024

/**
 * What one metrics round sends by remote write: the agent's own metrics (its registry, as
 * /metrics shows them, at `now`), then the round's samples (derived series, CPU and memory, at
 * the round's time) and each service's scraped metrics (labelled `service`). A round sample with
 * the name of a registry metric (`noa_service_up`) is left out: the same series twice, at two
 * times, would be refused by the receiver as out of order.
 */
export async function remoteWriteSamples(
  registry: Registry,
  collected: Pick<Collected, 'samples' | 'scraped' | 'snapshot'>,
  now: number,
): Promise<{ values: RemoteWriteInput[]; unreadable?: string }> {
  const values: RemoteWriteInput[] = []
  const own = new Set<string>()
  const parsed = parseExposition(await registry.metrics('prometheus'), { maxLength: MAX_EXPOSITION })
  if (parsed.ok)
    for (const family of parsed.families)
      for (const s of family.samples) {
        own.add(s.name)
        values.push({ name: s.name, labels: s.labels, value: s.value, at: now })
      }
  const at = Date.parse(collected.snapshot.timestamp)
  for (const s of collected.samples)
    if (!own.has(s.name)) values.push({ name: s.name, labels: s.labels ?? {}, value: s.value, at: s.at })
  for (const s of collected.scraped) values.push({ name: s.name, labels: s.labels, value: s.value, at })
  return parsed.ok ? { values } : { values, unreadable: parsed.error.message }
}
