import { readFile, statfs } from 'node:fs/promises'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { type Clock, errorMessage, type Logger, noopLogger, type SystemSection, systemClock } from '@noa/core'
import type { Collector } from '../../collector.ts'
import type { Gauge } from '../../gauge.ts'
import type { Registry } from '../../registry.ts'

/** Options of {@link createSystemCollector}. */
export interface SystemCollectorOptions {
  /**
   * A path on the filesystem whose size is reported (a mount point or any path below one). A
   * path that does not exist reports the filesystem of its nearest existing parent. @default '/'
   */
  diskMount?: string
  /**
   * Disk sizes are re-read at most this often, in the background: a read that hangs (a dead
   * network mount) never holds up a collection, which keeps the last value. @default 10000
   */
  diskRefreshMs?: number
  /**
   * The first collection waits at most this long for the slow first reads (disk sizes, and network
   * counters where /proc/net/dev is absent); what is not ready yet comes with the next collection.
   * @default 200
   */
  firstReadBudgetMs?: number
  /** A reading younger than this is reused, so gauges refreshed in one scrape share one reading. @default 1000 */
  reuseMs?: number
  /**
   * Where Linux's procfs is, for memory (`meminfo`) and network counters (`net/dev`): for example
   * `/host/proc` in a container that mounts the host's /proc there. Where these files are absent
   * (macOS, Windows), systeminformation reads them. @default '/proc'
   */
  procfs?: string
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

function cpuTimes(cpus: os.CpuInfo[]): CpuTimes[] {
  return cpus.map(({ times }) => ({
    idle: times.idle,
    total: times.user + times.nice + times.sys + times.idle + times.irq,
  }))
}

// systeminformation is the fallback where Linux's /proc is absent (macOS, Windows, BSDs). It is
// imported on first use only: loading its modules costs about 11 MB of RSS, which a daemon on
// Linux, reading /proc and statfs directly, does not pay.
type SystemInformation = typeof import('systeminformation')
let systemInformation: Promise<SystemInformation> | undefined
const si = (): Promise<SystemInformation> =>
  (systemInformation ??= import('systeminformation').then((m) => m.default ?? m))

async function procFile(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch {
    return undefined
  }
}

/** statfs(2) of `path`, or of its nearest existing parent when it does not exist. */
async function statfsNearest(path: string) {
  for (let at = path; ; ) {
    try {
      return await statfs(at)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      const parent = dirname(at)
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === at) throw error
      at = parent
    }
  }
}

/** Total and available memory from /proc/meminfo (Linux), in bytes. */
export function parseMeminfo(text: string): { total: number; available: number } | undefined {
  const kb = (key: string) => {
    const match = new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)
    return match === null ? undefined : Number(match[1]) * 1024
  }
  const total = kb('MemTotal')
  if (total === undefined) return undefined
  // MemAvailable exists since Linux 3.14; before it, free + buffers + page cache is the estimate.
  const available = kb('MemAvailable') ?? (kb('MemFree') ?? 0) + (kb('Buffers') ?? 0) + (kb('Cached') ?? 0)
  return { total, available: Math.min(available, total) }
}

/** Byte counters per interface from /proc/net/dev (Linux): a file read instead of si's first-call probing. */
async function procNetDev(
  procfs: string,
): Promise<Array<{ iface: string; rx_bytes: number; tx_bytes: number }> | undefined> {
  const text = await procFile(join(procfs, 'net', 'dev'))
  if (text === undefined) return undefined
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

/** Resolves with the reading, or with undefined once `budgetMs` has passed on `clock`. */
function withinBudget<T>(
  clock: Clock,
  budgetMs: number,
  reading: Promise<T | undefined>,
): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = clock.setTimeout(() => resolve(undefined), budgetMs)
    void reading.then((value) => {
      timer.cancel()
      resolve(value)
    })
  })
}

/**
 * A reading kept for `refreshMs` and refreshed in the background once stale: callers get the
 * last value at once, and one read at a time is in flight however long it takes. The first
 * call waits for the first read at most `budgetMs`. A failed read keeps the last value.
 * @internal exported for tests
 */
export function backgroundReading<T>(
  read: () => Promise<T>,
  o: { clock: Clock; refreshMs: number; budgetMs: number; onError: (error: unknown) => void },
): () => Promise<T | undefined> {
  let value: T | undefined
  let readAt = Number.NEGATIVE_INFINITY
  let inflight: Promise<T | undefined> | undefined
  const refresh = () => {
    inflight ??= read()
      .then((v) => {
        value = v
        readAt = o.clock.monotonic()
        return v
      })
      .catch((error) => {
        o.onError(error)
        readAt = o.clock.monotonic()
        return value
      })
      .finally(() => {
        inflight = undefined
      })
    return inflight
  }
  return async () => {
    if (value === undefined && readAt === Number.NEGATIVE_INFINITY)
      return withinBudget(o.clock, o.budgetMs, refresh())
    if (o.clock.monotonic() - readAt >= o.refreshMs) void refresh()
    return value
  }
}

/**
 * Reads CPU, memory, disk, network, uptime and load average. On Linux everything comes from
 * node:os, /proc and statfs(2), a few file reads per collection and no process spawn; elsewhere
 * memory and network counters come from systeminformation, loaded on first use.
 *
 * - read each time: CPU usage (from `os.cpus()` time deltas since the last collection, since
 *   boot on the first), CPU model, count and speed (`os.cpus()`), memory (/proc/meminfo's
 *   MemTotal and MemAvailable), network byte counters (/proc/net/dev; the per-second rates are
 *   deltas over the collector's clock), interface addresses, uptime and load average;
 * - cached and refreshed in the background: disk sizes (`statfs` of `diskMount`, every
 *   `diskRefreshMs`), so a filesystem that hangs cannot hold up a collection.
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
  const diskRefreshMs = options.diskRefreshMs ?? 10_000
  const reuseMs = options.reuseMs ?? 1000
  const budgetMs = options.firstReadBudgetMs ?? 200
  const prefix = options.prefix ?? 'noa_system_'
  const procfs = options.procfs ?? '/proc'

  let lastCpu = cpuTimes(os.cpus())
  let lastNet = new Map<string, NetCounters>()
  const warned = new Set<string>()
  const warn = (what: string, error: unknown) => {
    if (warned.has(what)) return
    warned.add(what)
    logger.warn(`metrics: system reading "${what}" failed`, { error: errorMessage(error) })
  }

  const disk = backgroundReading(
    async () => {
      const fs = await statfsNearest(diskMount)
      const total = fs.blocks * fs.bsize
      const available = fs.bavail * fs.bsize
      const used = (fs.blocks - fs.bfree) * fs.bsize
      // As df: the share of the space usable by unprivileged users (root's reserve left out).
      const usagePercent = round(used + available > 0 ? (used / (used + available)) * 100 : 0)
      return { total, used, available, usagePercent }
    },
    { clock, refreshMs: diskRefreshMs, budgetMs, onError: (error) => warn('disk', error) },
  )
  // node:os lists every address of every interface in microseconds (si.networkInterfaces() takes
  // about 75 ms and keeps one address per family), so addresses are read fresh each time.
  const interfaces = async () =>
    Object.entries(os.networkInterfaces()).map(([name, addresses]) => ({
      name,
      ipv4: (addresses ?? []).filter((a) => a.family === 'IPv4').map((a) => a.address),
      ipv6: (addresses ?? []).filter((a) => a.family === 'IPv6').map((a) => a.address),
    }))

  async function readCpu(): Promise<NonNullable<SystemSection['cpu']>> {
    const cpus = os.cpus()
    const now = cpuTimes(cpus)
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
      count: cpus.length,
      model: cpus[0]?.model.trim() || 'unknown',
      // os.cpus() gives MHz, 0 where the machine does not say (many VMs); the section holds GHz.
      speed: (cpus[0]?.speed ?? 0) / 1000,
    }
  }

  async function readMemory(): Promise<SystemSection['memory']> {
    const text = await procFile(join(procfs, 'meminfo'))
    const m = (text === undefined ? undefined : parseMeminfo(text)) ?? (await (await si()).mem())
    const used = m.total - m.available
    return { total: m.total, used, free: m.available, usagePercent: round((used / m.total) * 100) }
  }

  async function readNetwork(): Promise<SystemSection['network']> {
    const [list, stats] = await Promise.all([
      interfaces(),
      procNetDev(procfs).then(
        async (rows) =>
          rows ??
          (await withinBudget(
            clock,
            budgetMs,
            si()
              .then((m) => m.networkStats('*'))
              .catch((e) => {
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
      g('cpus', 'Logical CPUs.', undefined, (s) => s.cpu?.count ?? 0)
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
