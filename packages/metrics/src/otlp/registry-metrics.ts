import { yieldToLoop } from '@noa/core'
import { DROPPED_SAMPLES_METRIC, type Registry } from '../registry.ts'
import type { OtlpMetric } from './model.ts'

/** Series read between two turns of the event loop: a large registry does not hold it. */
const SLICE = 2_000

/**
 * A registry's metrics as OTLP metrics, read from the metrics themselves (no text written and
 * parsed back) after running their collect callbacks: counters as monotonic cumulative sums
 * named without `_total`, histograms as explicit-bucket histograms, summaries and gauges, each
 * cumulative point started at its series' creation; the SDK's dropped-recordings counter too,
 * started at `startMs`.
 */
export async function registryOtlpMetrics(
  registry: Registry,
  timeMs: number,
  startMs: number,
): Promise<OtlpMetric[]> {
  await registry.collect()
  const out: OtlpMetric[] = []
  let read = 0
  for (const metric of registry.list()) {
    const m = metric.toOtlp(timeMs)
    if (m.data.points.length > 0) out.push(m)
    read += m.data.points.length
    if (read >= SLICE) {
      read = 0
      await yieldToLoop()
    }
  }
  const dropped = registry.droppedSamples()
  if (dropped.length > 0)
    out.push({
      name: DROPPED_SAMPLES_METRIC.slice(0, -'_total'.length),
      description:
        'Recordings dropped by the metrics SDK instead of throwing into the service, by metric and reason.',
      unit: '',
      data: {
        kind: 'sum',
        monotonic: true,
        points: dropped.map((d) => ({
          attributes: { metric: d.metric, reason: d.reason },
          timeMs,
          startMs,
          value: d.count,
        })),
      },
    })
  return out
}
