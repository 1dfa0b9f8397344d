// What bench/scale.ts reads of the agent's /metrics: checks done and the lateness histogram.

/** The agent's counters the scale bench follows. */
export interface Counts {
  /** Sum of noa_check_results_total over every state (noa_checks_total per service stops at its series limit). */
  checks: number
  /** noa_check_lateness_seconds buckets, cumulative, in `le` order. */
  lateness: Array<{ le: number; count: number }>
}

/** Reads the counters from Prometheus text exposition. */
export function readCounts(text: string): Counts {
  let checks = 0
  const lateness: Array<{ le: number; count: number }> = []
  for (const line of text.split('\n')) {
    if (line.startsWith('noa_check_results_total{')) checks += Number(line.slice(line.lastIndexOf(' ') + 1))
    else if (line.startsWith('noa_check_lateness_seconds_bucket{')) {
      const le = /le="([^"]+)"/.exec(line)?.[1] ?? '+Inf'
      lateness.push({
        le: le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le),
        count: Number(line.slice(line.lastIndexOf(' ') + 1)),
      })
    }
  }
  return { checks, lateness }
}

/** The q-quantile of cumulative buckets, interpolated within a bucket (Prometheus' histogram_quantile). */
export function histogramQuantile(q: number, buckets: Array<{ le: number; count: number }>): number {
  const total = buckets.at(-1)?.count ?? 0
  if (total === 0) return Number.NaN
  const rank = q * total
  let lower = 0
  let below = 0
  for (const b of buckets) {
    if (b.count >= rank) {
      if (!Number.isFinite(b.le)) return lower
      return lower + ((b.le - lower) * (rank - below)) / Math.max(1, b.count - below)
    }
    lower = b.le
    below = b.count
  }
  return lower
}
