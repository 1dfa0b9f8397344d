import type { AlertEngine } from '@noa/alerts'
import type { Registry } from '@noa/metrics'

/**
 * What channels do beyond their deliveries, on `/metrics`: `noa_channel_events_total{channel,event}`
 * from each channel's own counts (the alertmanager channel's `resends`, `resendFailures` and
 * `notKept`: firing alerts it could not keep alive there).
 */
export function registerChannelMetrics(registry: Registry, alerts: AlertEngine): void {
  registry.counter({
    name: 'noa_channel_events_total',
    help: "Channels' own events beyond deliveries, by channel and event (alertmanager: resends, resendFailures, notKept)",
    labelNames: ['channel', 'event'],
    maxSeries: 200,
    collect: (counter) => {
      for (const [channel, counts] of Object.entries(alerts.stats().channels))
        for (const [event, value] of Object.entries(counts)) {
          const labels = { channel, event }
          counter.inc(labels, value - (counter.get(labels) ?? 0))
        }
    },
  })
}
