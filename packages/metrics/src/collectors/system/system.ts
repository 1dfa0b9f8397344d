import { readFile } from 'node:fs/promises'
import os from 'node:os'
import { type Clock, errorMessage, type Logger, noopLogger, type SystemSection, systemClock } from '@noa/core'
import si from 'systeminformation'
import type { Collector } from '../../collector.ts'
import type { Gauge } from '../../gauge.ts'
import type { Registry } from '../../registry.ts'

/** Options of {@link createSystemCollector}. */
export interface SystemCollectorOptions {
  /** Mount point whose disk is reported. @default '/' (the first filesystem when '/' is absent) */
  diskMount?: string
  /** Disk sizes are re-read at most this often (they change slowly, and `df` is a process spawn). @default 60000 */
  diskRefreshMs?: number
  /**
   * The first collection waits at most this long for the slow first reads (disk sizes, and network
   * counters where /proc/net/dev is absent); what is not ready yet comes with the next collection.
   * @default 200
   */
  firstReadBudgetMs?: number
  /** A reading younger than this is reused, so gauges refreshed in one scrape share one reading. @default 1000 */
  reuseMs?: number
  /** Prefix of the gauge names. @default 'noa_system_' */
  prefix?: string
  clock?: Clock
  logger?: Logger
}

interface CpuTimes {
  idle: number
  total: number
}

interface NetCounters {
  rx: number
  tx: number
  at: number
}

/** The system collector: a {@link Collector} of the snapshot's `system` section. */
export interface SystemCollector extends Collector<SystemSection> {}

function cpuTimes(): CpuTimes[] {
  return os.cpus().map(({ times }) => ({
    idle: times.idle,
    total: times.user + times.nice + times.sys + times.idle + times.irq,
  }))
}

function osCpuInfo(): { model: string; speed: number; count: number } {
  const cpus = os.cpus()
  return {
    model: cpus[0]?.model.trim() ?? 'unknown',
    speed: (cpus[0]?.speed ?? 0) / 1000,
    count: cpus.length,
  }
}

/** Byte counters per interface from /proc/net/dev (Linux): a file read instead of si's first-call probing. */
async function procNetDev(): Promise<
  Array<{ iface: string; rx_bytes: number; tx_bytes: number }> | undefined
> {
  let text: string
  try {
    text = await readFile('/proc/net/dev', 'utf8')
  } catch {
    return undefined
  }
  const rows: Array<{ iface: string; rx_bytes: number; tx_bytes: number }> = []
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':')
    if (colon < 0) continue
    const fields = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
    const rx = Number(fields[0])
    const tx = Number(fields[8])
    if (Number.isFinite(rx) && Number.isFinite(tx))
      rows.push({ iface: line.slice(0, colon).trim(), rx_bytes: rx, tx_bytes: tx })
  }
  return rows
}

function round(value: number, digits = 2): number {
  const f = 10 ** digits
  return Math.round(value * f) / f
}

/**
 * Reads CPU, memory, disk, network, uptime and load average, through systeminformation and
 * node:os. One collection takes a few milliseconds once warm (about 100 ms the first time):
 *
 * - cached for the process lifetime: CPU model, count and speed (`si.cpu()`);
 * - cached and refreshed in the background: disk sizes (`si.fsSize()`, every 60 s) — the stale
 *   value is served while the refresh runs, so no collection waits for it after the first;
 * - read each time: CPU usage (from `os.cpus()` time deltas since the last collection, since
 *   boot on the first), memory (`si.mem()`), network byte counters (`si.networkStats('*')`, the
 *   per-second rates are deltas over the collector's clock), interface addresses, uptime and
 *   load average (`node:os`).
 *
 * @example
 * ```ts
 * const system = createSystemCollector()
 * system.register(registry) // noa_system_cpu_usage_ratio, noa_system_memory_used_bytes, ...
 * const section = await system.collect() // { cpu: { usage: { average: 12.5, perCore: [...] } }, ... }
 * ```
 */
export function createSystemCollector(options: SystemCollectorOptions = {}): SystemCollector {
  const clock = options.clock ?? systemClock
  const logger = options.logger ?? noopLogger
  const diskMount = options.diskMount ?? '/'
  const diskRefreshMs = options.diskRefreshMs ?? 60_000
  const reuseMs = options.reuseMs ?? 1000
  const budgetMs = options.firstReadBudgetMs ?? 200
  const prefix = options.prefix ?? 'noa_system_'

  let lastCpu = cpuTimes()
  let lastNet = new Map<string, NetCounters>()
  let cpuInfo: { model: string; speed: number; count: number } | undefined
  si.cpu()
    .then((c) => {
      const fallback = osCpuInfo()
      cpuInfo = {
        model: `${c.manufacturer} ${c.brand}`.trim() || fallback.model,
        speed: c.speed || fallback.speed,
        count: c.cores || fallback.count,
      }
    })
    .catch((error) => warn('cpu', error))
  const warned = new Set<string>()
  const warn = (what: string, error: unknown) => {
    if (warned.has(what)) return
    warned.add(what)
    logger.warn(`metrics: system reading "${what}" failed`, { error: errorMessage(error) })
  }

  // Resolves with the reading, or with undefined once the first-read budget is spent.
  function withinBudget<T>(reading: Promise<T | undefined>): Promise<T | undefined> {
    return new Promise((resolve) => {
      const timer = clock.setTimeout(() => resolve(undefined), budgetMs)
      void reading.then((value) => {
        timer.cancel()
        resolve(value)
      })
    })
  }

  // A cached reading refreshed in the background once stale.
  function cached<T>(what: string, refreshMs: number, read: () => Promise<T>) {
    let value: T | undefined
    let readAt = Number.NEGATIVE_INFINITY
    let inflight: Promise<T | undefined> | undefined
    const refresh = () => {
      inflight ??= read()
        .then((v) => {
          value = v
          readAt = clock.monotonic()
          return v
        })
        .catch((error) => {
          warn(what, error)
          readAt = clock.monotonic()
          return value
        })
        .finally(() => {
          inflight = undefined
        })
      return inflight
    }
    return async (): Promise<T | undefined> => {
      if (value === undefined && readAt === Number.NEGATIVE_INFINITY) return withinBudget(refresh())
      if (clock.monotonic() - readAt >= refreshMs) void refresh()
      return value
    }
  }

  const disk = cached('disk', diskRefreshMs, async () => {
    const all = await si.fsSize()
    const fs = all.find((f) => f.mount === diskMount) ?? all[0]
    if (fs === undefined) return undefined
    const total = fs.size
    const available = fs.available
    const used = fs.used
    return { total, used, available, usagePercent: round(total > 0 ? (used / (used + available)) * 100 : 0) }
  })
  // node:os lists every address of every interface in microseconds (si.networkInterfaces() takes
  // about 75 ms and keeps one address per family), so addresses are read fresh each time.
  const interfaces = async () =>
    Object.entries(os.networkInterfaces()).map(([name, addresses]) => ({
      name,
      ipv4: (addresses ?? []).filter((a) => a.family === 'IPv4').map((a) => a.address),
      ipv6: (addresses ?? []).filter((a) => a.family === 'IPv6').map((a) => a.address),
    }))

  async function readCpu(): Promise<NonNullable<SystemSection['cpu']>> {
    // node:os answers at once; si.cpu() (about 30 ms) refines model and speed when it has answered.
    const info = cpuInfo ?? osCpuInfo()
    const now = cpuTimes()
    const perCore = now.map((t, i) => {
      const before = lastCpu[i] ?? { idle: 0, total: 0 }
      let total = t.total - before.total
      let idle = t.idle - before.idle
      if (total <= 0) {
        total = t.total
        idle = t.idle
      }
      return round(total > 0 ? (1 - idle / total) * 100 : 0)
    })
    lastCpu = now
    const average = round(perCore.reduce((a, b) => a + b, 0) / Math.max(perCore.length, 1))
    return {
      usage: { average, perCore },
      count: info.count || now.length,
      model: info.model,
      speed: info.speed,
    }
  }

  async function readMemory(): Promise<SystemSection['memory']> {
    const m = await si.mem()
    const used = m.total - m.available
    return { total: m.total, used, free: m.available, usagePercent: round((used / m.total) * 100) }
  }

  async function readNetwork(): Promise<SystemSection['network']> {
    const [list, stats] = await Promise.all([
      interfaces(),
      procNetDev().then(
        async (rows) =>
          rows ??
          (await withinBudget(
            si.networkStats('*').catch((e) => {
              warn('network', e)
              return []
            }),
          )) ??
          [],
      ),
    ])
    const at = clock.monotonic()
    const next = new Map<string, NetCounters>()
    const rates = new Map<string, { rx: number; tx: number }>()
    for (const s of stats) {
      next.set(s.iface, { rx: s.rx_bytes, tx: s.tx_bytes, at })
      const before = lastNet.get(s.iface)
      const seconds = before === undefined ? 0 : (at - before.at) / 1000
      if (before !== undefined && seconds > 0) {
        rates.set(s.iface, {
          rx: round(Math.max(0, s.rx_bytes - before.rx) / seconds),
          tx: round(Math.max(0, s.tx_bytes - before.tx) / seconds),
        })
      }
    }
    lastNet = next
    const names = new Set([...(list ?? []).map((i) => i.name), ...next.keys()])
    return {
      interfaces: [...names].map((name) => {
        const addresses = list?.find((i) => i.name === name)
        const rate = rates.get(name)
        return {
          name,
          ipv4: addresses?.ipv4 ?? [],
          ipv6: addresses?.ipv6 ?? [],
          ...(rate === undefined ? {} : { rxBytesPerSec: rate.rx, txBytesPerSec: rate.tx }),
        }
      }),
    }
  }

  async function settle<T>(what: string, read: () => Promise<T>): Promise<T | undefined> {
    try {
      return await read()
    } catch (error) {
      warn(what, error)
      return undefined
    }
  }

  let latest: { at: number; value: Promise<SystemSection> } | undefined

  async function readAll(): Promise<SystemSection> {
    const [cpu, memory, diskValue, network] = await Promise.all([
      settle('cpu', readCpu),
      settle('memory', readMemory),
      disk(),
      settle('network', readNetwork),
    ])
    const [l1, l5, l15] = os.loadavg() as [number, number, number]
    const section: SystemSection = {
      uptime: Math.round(os.uptime()),
      loadAverage: [round(l1), round(l5), round(l15)],
    }
    if (cpu !== undefined) section.cpu = cpu
    if (memory !== undefined) section.memory = memory
    if (diskValue !== undefined) section.disk = diskValue
    if (network !== undefined) section.network = network
    return section
  }

  const collector: SystemCollector = {
    name: 'system',
    collect() {
      const now = clock.monotonic()
      if (latest === undefined || now - latest.at >= reuseMs) latest = { at: now, value: readAll() }
      return latest.value
    },
    register(registry: Registry) {
      const g = (name: string, help: string, unit: string | undefined, value: (s: SystemSection) => number) =>
        registry.gauge({
          name: prefix + name,
          help,
          ...(unit === undefined ? {} : { unit }),
          collect: async (gauge) => gauge.set(value(await collector.collect())),
        })
      const labelled = <L extends string>(
        name: string,
        help: string,
        labelNames: L[],
        set: (s: SystemSection, gauge: Gauge<L>) => void,
      ) =>
        registry.gauge<L>({
          name: prefix + name,
          help,
          labelNames,
          collect: async (gauge) => {
            const section = await collector.collect()
            gauge.reset()
            set(section, gauge)
          },
        })
      labelled(
        'cpu_usage_ratio',
        'CPU busy time over the last interval, 0..1, per core and overall ("all").',
        ['cpu'],
        (s, gauge) => {
          if (s.cpu?.usage?.average !== undefined) gauge.set({ cpu: 'all' }, s.cpu.usage.average / 100)
          s.cpu?.usage?.perCore?.forEach((v, i) => {
            gauge.set({ cpu: String(i) }, v / 100)
          })
        },
      )
      labelled('cpu_info', 'CPU model, always 1.', ['model'], (s, gauge) =>
        gauge.set({ model: s.cpu?.model ?? 'unknown' }, 1),
      )
      g('cpu_count', 'Logical CPUs.', undefined, (s) => s.cpu?.count ?? 0)
      g(
        'cpu_frequency_hertz',
        'Nominal CPU clock speed (0 when the machine does not say).',
        'hertz',
        (s) => (s.cpu?.speed ?? 0) * 1e9,
      )
      for (const [key, help] of [
        ['total', 'Physical memory.'],
        ['used', 'Memory in use (total minus available).'],
        ['free', 'Memory available to new work without swapping.'],
      ] as const) {
        g(`memory_${key}_bytes`, help, 'bytes', (s) => s.memory?.[key] ?? Number.NaN)
      }
      g(
        'memory_usage_ratio',
        'Used over total memory, 0..1.',
        undefined,
        (s) => (s.memory?.usagePercent ?? Number.NaN) / 100,
      )
      for (const [key, help] of [
        ['total', 'Size of the watched filesystem.'],
        ['used', 'Used space of the watched filesystem.'],
        ['available', 'Space available to unprivileged users.'],
      ] as const) {
        g(`disk_${key}_bytes`, help, 'bytes', (s) => s.disk?.[key] ?? Number.NaN)
      }
      g(
        'disk_usage_ratio',
        'Used over usable space of the watched filesystem, 0..1.',
        undefined,
        (s) => (s.disk?.usagePercent ?? Number.NaN) / 100,
      )
      labelled(
        'network_receive_bytes_per_second',
        'Bytes received per second since the last reading.',
        ['interface'],
        (s, gauge) => {
          for (const i of s.network?.interfaces ?? [])
            if (i.rxBytesPerSec !== undefined) gauge.set({ interface: i.name }, i.rxBytesPerSec)
        },
      )
      labelled(
        'network_transmit_bytes_per_second',
        'Bytes sent per second since the last reading.',
        ['interface'],
        (s, gauge) => {
          for (const i of s.network?.interfaces ?? [])
            if (i.txBytesPerSec !== undefined) gauge.set({ interface: i.name }, i.txBytesPerSec)
        },
      )
      labelled(
        'network_address_info',
        'Addresses of each interface, always 1.',
        ['interface', 'family', 'address'],
        (s, gauge) => {
          for (const i of s.network?.interfaces ?? []) {
            for (const address of i.ipv4 ?? []) gauge.set({ interface: i.name, family: 'ipv4', address }, 1)
            for (const address of i.ipv6 ?? []) gauge.set({ interface: i.name, family: 'ipv6', address }, 1)
          }
        },
      )
      g('uptime_seconds', 'Time since the machine booted.', 'seconds', (s) => s.uptime ?? Number.NaN)
      for (const [i, name] of (['load1', 'load5', 'load15'] as const).entries()) {
        g(
          name,
          `Load average over ${name.slice(4)} minute(s).`,
          undefined,
          (s) => s.loadAverage?.[i] ?? Number.NaN,
        )
      }
    },
    stop() {},
  }
  return collector
}
