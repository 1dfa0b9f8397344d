import { statfsSync } from 'node:fs'
import os from 'node:os'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import type { ApplicationSection, SystemSection } from '@noa/core'

// @noa/metrics has no system/process collector yet: these read node:os and process directly.

type CpuTimes = { idle: number; total: number }
const times = (): CpuTimes[] =>
  os.cpus().map((c) => {
    const t = c.times
    return { idle: t.idle, total: t.user + t.nice + t.sys + t.idle + t.irq }
  })
const round = (v: number, digits = 1) => Math.round(v * 10 ** digits) / 10 ** digits

/** System and process figures in the seed's shape, CPU usage measured between two calls. */
export class SystemCollector {
  #cpu = times()
  #procCpu = process.cpuUsage()
  #procAt = performance.now()
  readonly #loop = monitorEventLoopDelay({ resolution: 20 })
  readonly #diskPath: string

  constructor(diskPath = process.cwd()) {
    this.#diskPath = diskPath
    this.#loop.enable()
  }

  /** The `system` section: CPU since the previous call, memory, disk, network, load. */
  system(): SystemSection {
    const now = times()
    const perCore = now.map((t, i) => {
      const before = this.#cpu[i] ?? { idle: 0, total: 0 }
      const total = t.total - before.total
      return total > 0 ? round(100 * (1 - (t.idle - before.idle) / total)) : 0
    })
    this.#cpu = now
    const cpus = os.cpus()
    const total = os.totalmem()
    const free = os.freemem()
    const section: SystemSection = {
      cpu: {
        usage: { average: round(perCore.reduce((a, b) => a + b, 0) / Math.max(1, perCore.length)), perCore },
        count: cpus.length,
        model: cpus[0]?.model ?? 'unknown',
        speed: cpus[0]?.speed ?? 0,
      },
      memory: { total, used: total - free, free, usagePercent: round((100 * (total - free)) / total) },
      network: {
        interfaces: Object.entries(os.networkInterfaces()).map(([name, addrs]) => ({
          name,
          ipv4: (addrs ?? []).filter((a) => a.family === 'IPv4').map((a) => a.address),
          ipv6: (addrs ?? []).filter((a) => a.family === 'IPv6').map((a) => a.address),
        })),
      },
      uptime: Math.round(os.uptime()),
      loadAverage: os.loadavg().map((l) => round(l, 2)) as [number, number, number],
    }
    try {
      const fs = statfsSync(this.#diskPath)
      const diskTotal = fs.blocks * fs.bsize
      const available = fs.bavail * fs.bsize
      const used = diskTotal - fs.bfree * fs.bsize
      section.disk = {
        total: diskTotal,
        used,
        available,
        usagePercent: diskTotal > 0 ? round((100 * used) / diskTotal) : 0,
      }
    } catch {
      // no disk figures on a filesystem statfs cannot read
    }
    return section
  }

  /** The agent's own process: memory, CPU share since the previous call, event loop lag. */
  process(): NonNullable<ApplicationSection['process']> & { cpuPercent: number } {
    const mem = process.memoryUsage()
    const cpu = process.cpuUsage(this.#procCpu)
    const at = performance.now()
    const elapsedMs = at - this.#procAt
    this.#procCpu = process.cpuUsage()
    this.#procAt = at
    const lag = this.#loop.mean / 1e6
    this.#loop.reset()
    return {
      pid: process.pid,
      uptime: round(process.uptime(), 0),
      heapUsed: mem.heapUsed,
      heapTotal: mem.heapTotal,
      rss: mem.rss,
      external: mem.external,
      cpuUser: cpu.user / 1000,
      cpuSystem: cpu.system / 1000,
      cpuPercent: elapsedMs > 0 ? round((100 * (cpu.user + cpu.system)) / 1000 / elapsedMs, 2) : 0,
      eventLoopLag: Number.isFinite(lag) ? round(lag, 2) : 0,
    }
  }

  close(): void {
    this.#loop.disable()
  }
}
