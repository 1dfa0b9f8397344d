import type { Registry } from '@noa/metrics'
import { MAX_FLEET_SERIES } from '../own-metrics.ts'
import type { SloTracker } from './tracker.ts'

/**
 * The SLO gauges on the agent's /metrics, read from the tracker's last computation when
 * scraped (never a store query): `noa_slo_error_budget_remaining_ratio{service,slo}` and
 * `noa_slo_burn_rate{service,slo,window}`. A window without data has no series.
 */
export function registerSloMetrics(registry: Registry, tracker: SloTracker): void {
  registry.gauge({
    name: 'noa_slo_error_budget_remaining_ratio',
    help: 'Fraction of the error budget left over the SLO window (1 untouched, 0 or less spent)',
    labelNames: ['service', 'slo'],
    maxSeries: MAX_FLEET_SERIES,
    collect: (gauge) => {
      gauge.reset()
      for (const s of tracker.list())
        for (const slo of s.slos)
          if (slo.budgetRemaining !== undefined)
            gauge.set({ service: s.service, slo: slo.slo }, slo.budgetRemaining)
    },
  })
  registry.gauge({
    name: 'noa_slo_burn_rate',
    help: 'Error-budget burn rate over the window (1 spends the budget in exactly the SLO window)',
    labelNames: ['service', 'slo', 'window'],
    maxSeries: MAX_FLEET_SERIES,
    collect: (gauge) => {
      gauge.reset()
      for (const s of tracker.list())
        for (const slo of s.slos)
          for (const [window, value] of Object.entries(slo.burnRates))
            gauge.set({ service: s.service, slo: slo.slo, window }, value)
    },
  })
}
