import { parseExposition } from '../exposition/parse.ts'
import type { Registry } from '../registry.ts'
import { otlpMetricsOf } from './from-families.ts'
import type { OtlpMetric } from './model.ts'

/**
 * A registry's metrics as OTLP metrics, read through its OpenMetrics exposition with `_created`
 * (so each counter's and histogram's start time is its series' creation). Throws when the
 * registry writes what noa cannot parse back, which is a bug.
 */
export async function registryOtlpMetrics(
  registry: Registry,
  timeMs: number,
  startMs: number,
): Promise<OtlpMetric[]> {
  const text = await registry.metrics('openmetrics', { created: true })
  const parsed = parseExposition(text, { format: 'openmetrics', maxLength: Number.POSITIVE_INFINITY })
  if (!parsed.ok)
    throw new Error(`registry exposition unreadable at line ${parsed.error.line}: ${parsed.error.message}`)
  return otlpMetricsOf(parsed.families, { timeMs, startMs })
}
