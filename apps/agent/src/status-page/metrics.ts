import type { Registry } from '@noa/metrics'
import type { StatusPage, StatusPageStats } from './page.ts'

const OUTCOMES: ReadonlyArray<[keyof StatusPageStats, string]> = [
  ['computed', 'ok'],
  ['failed', 'failed'],
  ['servedStale', 'stale'],
]

/**
 * The status page's own metrics: computations by outcome (`ok`, `failed`, and `stale` for an
 * answer given with an older page) and how long the last one took.
 */
export function registerStatusPageMetrics(registry: Registry, page: StatusPage): void {
  const seen: Record<string, number> = {}
  registry.counter({
    name: 'noa_status_page_computations_total',
    help: 'Computations of the public status page, by outcome (stale: an older page served after a failure)',
    labelNames: ['outcome'],
    collect: (counter) => {
      const stats = page.stats()
      for (const [key, outcome] of OUTCOMES) {
        const delta = stats[key] - (seen[key] ?? 0)
        if (delta > 0) counter.inc({ outcome }, delta)
        seen[key] = stats[key]
      }
    },
  })
  registry.gauge({
    name: 'noa_status_page_compute_seconds',
    help: 'How long the last computation of the public status page took',
    collect: (gauge) => gauge.set(page.stats().lastMs / 1000),
  })
}
