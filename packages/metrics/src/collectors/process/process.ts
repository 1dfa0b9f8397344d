import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks'
import type { ApplicationSection } from '@noa/core'
import type { Collector } from '../../collector.ts'
import type { Registry } from '../../registry.ts'

/** The `process` part of the snapshot's application section. */
export type ProcessSection = NonNullable<ApplicationSection['process']>

/** Options of {@link createProcessCollector}. */
export interface ProcessCollectorOptions {
  /**
   * Sampling resolution of the event-loop delay monitor, in ms. Each sample wakes the event
   * loop, which is what the monitor costs an otherwise idle process: about 0.66 % of one core
   * at 10 ms, 0.37 % at 20 ms and 0.08 % at 100 ms (2 cores, Node 20). A block of the loop
   * longer than the resolution shows in full in the maximum whatever the resolution. @default 100
   */
  eventLoopResolutionMs?: number
  /**
   * The names the metrics are registered under: noa's own (`noa_process_heap_used_bytes`, ...) or
   * prom-client's default-metric names (`process_resident_memory_bytes`, `nodejs_heap_size_used_bytes`,
   * ...), so dashboards and rules written for prom-client work unchanged. With `'prom-client'` only
   * the readings prom-client also has are registered. @default 'noa'
   */
  naming?: ProcessMetricNaming
  /** Prefix of the metric names. @default 'noa_process_' (naming 'noa'), '' (naming 'prom-client') */
  prefix?: string
}

/** Which names {@link createProcessCollector} registers its metrics under. */
export type ProcessMetricNaming = 'noa' | 'prom-client'

type Reading = ProcessSection & { eventLoopLagMax: number; gcCount: number }

interface ProcessSeries {
  kind: 'gauge' | 'counter'
  /** Name after the prefix with noa's naming. */
  noa?: string
  /** Name with prom-client's naming, when prom-client has the same reading. */
  promClient?: string
  help: string
  unit?: string
  value: (p: Reading) => number
}

const PROCESS_SERIES: readonly ProcessSeries[] = [
  { kind: 'gauge', noa: 'pid', help: 'Process id.', value: (p) => p.pid ?? 0 },
  {
    kind: 'gauge',
    noa: 'uptime_seconds',
    help: 'Time since the process started.',
    unit: 'seconds',
    value: (p) => p.uptime ?? 0,
  },
  {
    kind: 'gauge',
    promClient: 'process_start_time_seconds',
    help: 'Start time of the process since unix epoch in seconds.',
    unit: 'seconds',
    value: (p) => Math.round(Date.now() / 1000 - (p.uptime ?? 0)),
  },
  {
    kind: 'gauge',
    noa: 'heap_used_bytes',
    promClient: 'nodejs_heap_size_used_bytes',
    help: 'V8 heap in use.',
    unit: 'bytes',
    value: (p) => p.heapUsed ?? 0,
  },
  {
    kind: 'gauge',
    noa: 'heap_total_bytes',
    promClient: 'nodejs_heap_size_total_bytes',
    help: 'V8 heap reserved.',
    unit: 'bytes',
    value: (p) => p.heapTotal ?? 0,
  },
  {
    kind: 'gauge',
    noa: 'resident_memory_bytes',
    promClient: 'process_resident_memory_bytes',
    help: 'Resident set size.',
    unit: 'bytes',
    value: (p) => p.rss ?? 0,
  },
  {
    kind: 'gauge',
    noa: 'external_memory_bytes',
    promClient: 'nodejs_external_memory_bytes',
    help: 'Memory of C++ objects bound to JavaScript objects.',
    unit: 'bytes',
    value: (p) => p.external ?? 0,
  },
  {
    kind: 'gauge',
    noa: 'event_loop_lag_seconds',
    promClient: 'nodejs_eventloop_lag_mean_seconds',
    help: 'Mean event-loop delay since the previous reading.',
    unit: 'seconds',
    value: (p) => (p.eventLoopLag ?? 0) / 1000,
  },
  {
    // prom-client times one setImmediate at scrape time; the mean since the previous scrape is
    // the steadier reading of the same delay.
    kind: 'gauge',
    promClient: 'nodejs_eventloop_lag_seconds',
    help: 'Lag of event loop in seconds.',
    unit: 'seconds',
    value: (p) => (p.eventLoopLag ?? 0) / 1000,
  },
  {
    kind: 'gauge',
    noa: 'event_loop_lag_max_seconds',
    promClient: 'nodejs_eventloop_lag_max_seconds',
    help: 'Longest event-loop delay since the previous reading.',
    unit: 'seconds',
    value: (p) => p.eventLoopLagMax / 1000,
  },
  {
    kind: 'counter',
    noa: 'cpu_user_seconds_total',
    promClient: 'process_cpu_user_seconds_total',
    help: 'User CPU time spent.',
    unit: 'seconds',
    value: (p) => p.cpuUser ?? 0,
  },
  {
    kind: 'counter',
    noa: 'cpu_system_seconds_total',
    promClient: 'process_cpu_system_seconds_total',
    help: 'System CPU time spent.',
    unit: 'seconds',
    value: (p) => p.cpuSystem ?? 0,
  },
  {
    kind: 'counter',
    promClient: 'process_cpu_seconds_total',
    help: 'Total user and system CPU time spent in seconds.',
    unit: 'seconds',
    value: (p) => (p.cpuUser ?? 0) + (p.cpuSystem ?? 0),
  },
  {
    kind: 'counter',
    noa: 'gc_pause_seconds_total',
    help: 'Time spent in garbage collection pauses.',
    unit: 'seconds',
    value: (p) => (p.gcPause ?? 0) / 1000,
  },
  { kind: 'counter', noa: 'gc_runs_total', help: 'Garbage collections seen.', value: (p) => p.gcCount },
]

/** The process collector: a {@link Collector} of the snapshot's `application.process`. */
export interface ProcessCollector extends Collector<ProcessSection> {}

/**
 * Reads this Node.js process: pid, uptime (s), heap used/total, rss and external memory (bytes),
 * user and system CPU time (s, cumulative), event-loop lag (mean delay in ms since the previous
 * collection beyond the sampling interval, from `perf_hooks.monitorEventLoopDelay`: about 0 when idle) and GC pause (total ms since start, from a
 * `PerformanceObserver` on 'gc' entries). Call `stop()` to release the monitor and the observer.
 *
 * @example
 * ```ts
 * const proc = createProcessCollector()
 * proc.register(registry) // noa_process_heap_used_bytes, noa_process_event_loop_lag_seconds, ...
 * const { heapUsed, eventLoopLag } = await proc.collect()
 * ```
 */
export function createProcessCollector(options: ProcessCollectorOptions = {}): ProcessCollector {
  const naming = options.naming ?? 'noa'
  const prefix = options.prefix ?? (naming === 'noa' ? 'noa_process_' : '')
  const resolutionMs = options.eventLoopResolutionMs ?? 100
  const delay = monitorEventLoopDelay({ resolution: resolutionMs })
  delay.enable()
  let gcPauseMs = 0
  let gcCount = 0
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gcPauseMs += entry.duration
      gcCount++
    }
  })
  observer.observe({ entryTypes: ['gc'] })
  let lagMs = 0
  let lagMaxMs = 0

  const read = (): Reading => {
    // The histogram is in ns; it is reset each reading so the lag covers the last interval.
    // It records the time between two ticks of its timer, which includes the timer's own
    // interval: an idle loop reads `resolutionMs`. The lag is what comes on top of it.
    if (delay.count > 0) {
      lagMs = Math.max(0, delay.mean / 1e6 - resolutionMs)
      lagMaxMs = Math.max(0, delay.max / 1e6 - resolutionMs)
      delay.reset()
    }
    const memory = process.memoryUsage()
    const cpu = process.cpuUsage()
    return {
      pid: process.pid,
      uptime: process.uptime(),
      heapUsed: memory.heapUsed,
      heapTotal: memory.heapTotal,
      rss: memory.rss,
      external: memory.external,
      cpuUser: cpu.user / 1e6,
      cpuSystem: cpu.system / 1e6,
      eventLoopLag: lagMs,
      eventLoopLagMax: lagMaxMs,
      gcPause: gcPauseMs,
      gcCount,
    }
  }

  let last: { at: number; value: Reading } | undefined
  const shared = () => {
    const now = performance.now()
    if (last === undefined || now - last.at > 200) last = { at: now, value: read() }
    return last.value
  }

  return {
    name: 'process',
    async collect() {
      const { eventLoopLagMax: _max, gcCount: _count, ...section } = read()
      return section
    },
    register(registry: Registry) {
      for (const series of PROCESS_SERIES) {
        const base = naming === 'prom-client' ? series.promClient : series.noa
        if (base === undefined) continue
        const name = prefix + base
        const value = series.value
        const unit = series.unit === undefined ? {} : { unit: series.unit }
        if (series.kind === 'gauge') {
          registry.gauge({ name, help: series.help, ...unit, collect: (gauge) => gauge.set(value(shared())) })
          continue
        }
        // Cumulative readings as counters: each scrape adds what was spent since the previous one.
        let last = 0
        registry.counter({
          name,
          help: series.help,
          ...unit,
          collect: (counter) => {
            const now = value(shared())
            if (now > last) counter.inc(now - last)
            last = Math.max(last, now)
          },
        })
      }
    },
    stop() {
      delay.disable()
      observer.disconnect()
    },
  }
}
