import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { statfs } from 'node:fs/promises'
import os, { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FakeClock, type Logger } from '@noa/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { parseExposition } from '../../exposition/parse.ts'
import { Registry } from '../../registry.ts'
import { backgroundReading, createSystemCollector, parseMeminfo } from './system.ts'

// Records whether systeminformation is imported: on Linux the collector reads /proc and statfs
// itself and must not load it (about 11 MB of RSS).
const loaded = vi.hoisted(() => ({ systeminformation: 0 }))
vi.mock('systeminformation', async (original) => {
  loaded.systeminformation++
  return original()
})

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function fakeProcfs(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'noa-procfs-'))
  dirs.push(dir)
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true })
    writeFileSync(join(dir, name), text)
  }
  return dir
}

const NET_DEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo: 1000      10    0    0    0     0          0         0     2000      20    0    0    0     0       0          0
  noa0: 5000      50    0    0    0     0          0         0     7000      70    0    0    0     0       0          0
`

describe('createSystemCollector (this machine)', () => {
  it('should read CPU, memory, disk, network, uptime and load average', async () => {
    // A generous first-read budget: this test is about the readings, and on a loaded machine the
    // first disk read can take longer than the default 200 ms (whose cut-off is tested below).
    const system = createSystemCollector({ firstReadBudgetMs: 30_000 })
    const s = await system.collect()
    expect(s.cpu?.count).toBe(os.cpus().length)
    expect(s.cpu?.usage?.perCore).toHaveLength(os.cpus().length)
    for (const v of [s.cpu?.usage?.average, ...(s.cpu?.usage?.perCore ?? [])]) {
      expect(v).toBeGreaterThanOrEqual(0)
      expect(v).toBeLessThanOrEqual(100)
    }
    expect(typeof s.cpu?.model).toBe('string')
    expect(s.cpu?.speed).toBeGreaterThanOrEqual(0)
    expect(s.memory?.total).toBe(os.totalmem())
    expect(s.memory!.used! + s.memory!.free!).toBe(s.memory!.total)
    expect(s.memory?.usagePercent).toBeGreaterThan(0)
    expect(s.disk?.total).toBeGreaterThan(0)
    expect(s.disk?.available).toBeGreaterThanOrEqual(0)
    expect(s.disk?.usagePercent).toBeGreaterThanOrEqual(0)
    const lo = s.network?.interfaces?.find((i) => i.name === 'lo')
    expect(lo?.ipv4).toContain('127.0.0.1')
    const external = Object.entries(os.networkInterfaces()).find(([, a]) => a?.some((x) => !x.internal))
    if (external !== undefined) {
      const ipv4 = external[1]?.find((a) => a.family === 'IPv4')?.address
      expect(s.network?.interfaces?.find((i) => i.name === external[0])?.ipv4).toContain(ipv4)
    }
    expect(s.uptime).toBeGreaterThan(0)
    expect(s.loadAverage).toHaveLength(3)
  })

  it('should give per-second network rates from the second reading on', async () => {
    const clock = new FakeClock()
    const system = createSystemCollector({ clock, reuseMs: 0 })
    const first = await system.collect()
    expect(first.network?.interfaces?.every((i) => i.rxBytesPerSec === undefined)).toBe(true)
    await clock.advance(1000)
    const second = await system.collect()
    const lo = second.network?.interfaces?.find((i) => i.name === 'lo')
    expect(lo?.rxBytesPerSec).toBeGreaterThanOrEqual(0)
    expect(lo?.txBytesPerSec).toBeGreaterThanOrEqual(0)
  })

  it('should share one reading between the gauges of a scrape and reuse cached disk and interfaces', async () => {
    const clock = new FakeClock()
    const system = createSystemCollector({ clock })
    const a = system.collect()
    expect(system.collect()).toBe(a)
    await a
    await clock.advance(5000)
    const b = system.collect()
    expect(b).not.toBe(a)
    expect((await b).disk).toEqual((await a).disk)
    system.stop()
  })

  it('should publish node-exporter-like gauges that the OpenMetrics parser accepts', async () => {
    const registry = new Registry()
    createSystemCollector().register(registry)
    const text = await registry.metrics('openmetrics')
    const result = parseExposition(text, { format: 'openmetrics' })
    if (!result.ok) throw new Error(`${result.error.line}: ${result.error.message}`)
    const names = result.families.map((f) => f.name)
    expect(names).toEqual([
      'noa_system_cpu_usage_ratio',
      'noa_system_cpu_info',
      'noa_system_cpus',
      'noa_system_cpu_frequency_hertz',
      'noa_system_memory_total_bytes',
      'noa_system_memory_used_bytes',
      'noa_system_memory_free_bytes',
      'noa_system_memory_usage_ratio',
      'noa_system_disk_total_bytes',
      'noa_system_disk_used_bytes',
      'noa_system_disk_available_bytes',
      'noa_system_disk_usage_ratio',
      'noa_system_network_receive_bytes_per_second',
      'noa_system_network_transmit_bytes_per_second',
      'noa_system_network_address_info',
      'noa_system_uptime_seconds',
      'noa_system_load1',
      'noa_system_load5',
      'noa_system_load15',
    ])
    const memory = result.families.find((f) => f.name === 'noa_system_memory_total_bytes')
    expect(memory?.unit).toBe('bytes')
    expect(memory?.samples[0]?.value).toBe(os.totalmem())
    const cpu = result.families.find((f) => f.name === 'noa_system_cpu_usage_ratio')
    expect(cpu?.samples.map((s) => s.labels.cpu)).toEqual(['all', ...os.cpus().map((_, i) => String(i))])
    expect(text).toContain(
      'noa_system_network_address_info{interface="lo",family="ipv4",address="127.0.0.1"} 1\n',
    )
  })

  it('should report the disk as df does, from statfs of the watched path', async () => {
    const s = await createSystemCollector({ firstReadBudgetMs: 30_000 }).collect()
    const fs = await statfs('/')
    expect(s.disk?.total).toBe(fs.blocks * fs.bsize)
    expect(s.disk?.available).toBeLessThanOrEqual(fs.bfree * fs.bsize)
    expect(s.disk!.used! + s.disk!.available!).toBeLessThanOrEqual(s.disk!.total!)
  })

  it('should report the filesystem of the nearest existing parent of a missing path', async () => {
    const warnings: string[] = []
    const logger: Logger = { debug() {}, info() {}, error() {}, warn: (m) => warnings.push(m) }
    const system = createSystemCollector({ diskMount: '/no/such/mount', logger, firstReadBudgetMs: 30_000 })
    const s = await system.collect()
    const root = await statfs('/')
    expect(s.disk?.total).toBe(root.blocks * root.bsize)
    expect(warnings).toEqual([])
  })

  it('should read memory and network counters from the procfs it is given', async () => {
    const procfs = fakeProcfs({
      meminfo: 'MemTotal:        1000 kB\nMemFree:          100 kB\nMemAvailable:     400 kB\n',
      'net/dev': NET_DEV,
    })
    const clock = new FakeClock()
    const system = createSystemCollector({ procfs, clock, reuseMs: 0 })
    const first = await system.collect()
    expect(first.memory).toEqual({ total: 1_024_000, used: 614_400, free: 409_600, usagePercent: 60 })
    expect(first.network?.interfaces?.find((i) => i.name === 'noa0')).toEqual({
      name: 'noa0',
      ipv4: [],
      ipv6: [],
    })
    writeFileSync(join(procfs, 'net', 'dev'), NET_DEV.replace('5000', '15000').replace('7000', '9000'))
    await clock.advance(2000)
    const noa0 = (await system.collect()).network?.interfaces?.find((i) => i.name === 'noa0')
    expect(noa0).toMatchObject({ rxBytesPerSec: 5000, txBytesPerSec: 1000 })
    expect(loaded.systeminformation).toBe(0)
  })

  it('should fall back to systeminformation where procfs is absent', async () => {
    const system = createSystemCollector({ procfs: '/no/such/procfs', firstReadBudgetMs: 30_000 })
    const s = await system.collect()
    expect(loaded.systeminformation).toBe(1)
    expect(s.memory?.total).toBe(os.totalmem())
    expect(s.network?.interfaces?.find((i) => i.name === 'lo')).toBeDefined()
  })
})

describe('parseMeminfo', () => {
  it('should read MemTotal and MemAvailable in bytes, estimating MemAvailable on kernels before 3.14', () => {
    expect(parseMeminfo('MemTotal:  2048 kB\nMemFree:  512 kB\nMemAvailable:  1024 kB\n')).toEqual({
      total: 2_097_152,
      available: 1_048_576,
    })
    expect(
      parseMeminfo(
        'MemTotal:  2048 kB\nMemFree:  512 kB\nBuffers:  128 kB\nCached:  256 kB\nSwapCached:  1 kB\n',
      ),
    ).toEqual({ total: 2_097_152, available: 917_504 })
    expect(parseMeminfo('nothing here')).toBeUndefined()
  })
})

describe('backgroundReading', () => {
  const options = (clock: FakeClock, errors: unknown[] = []) => ({
    clock,
    refreshMs: 10_000,
    budgetMs: 200,
    onError: (e: unknown) => errors.push(e),
  })

  it('should give up on a slow first read after the budget and serve it once it has come', async () => {
    const clock = new FakeClock()
    let answer: (v: number) => void = () => undefined
    const read = vi.fn(() => new Promise<number>((r) => (answer = r)))
    const reading = backgroundReading(read, options(clock))
    const first = reading()
    await clock.advance(200)
    expect(await first).toBeUndefined()
    const second = reading() // waits the budget again: still no value
    await clock.advance(200)
    expect(await second).toBeUndefined()
    expect(read).toHaveBeenCalledTimes(1) // one read in flight, however long it takes
    answer(42)
    await clock.advance(0)
    expect(await reading()).toBe(42)
  })

  it('should serve the last value while a stale one is refreshed, and keep it when a refresh fails', async () => {
    const clock = new FakeClock()
    const errors: unknown[] = []
    const values = [async () => 1, async () => Promise.reject(new Error('hung mount')), async () => 3]
    const read = vi.fn(() => values.shift()!())
    const reading = backgroundReading(read, options(clock, errors))
    expect(await reading()).toBe(1)
    await clock.advance(10_000)
    expect(await reading()).toBe(1) // stale: served, refresh started
    await clock.advance(0)
    expect(errors).toHaveLength(1)
    expect(await reading()).toBe(1)
    await clock.advance(10_000)
    await reading()
    await clock.advance(0)
    expect(await reading()).toBe(3)
    expect(read).toHaveBeenCalledTimes(3)
  })
})
