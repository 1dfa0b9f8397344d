import os from 'node:os'
import { FakeClock, type Logger } from '@noa/core'
import { describe, expect, it, vi } from 'vitest'
import { parseExposition } from '../../exposition/parse.ts'
import { Registry } from '../../registry.ts'
import { createSystemCollector } from './system.ts'

describe('createSystemCollector (this machine, real systeminformation)', () => {
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
      'noa_system_cpu_count',
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

  it('should not wait past the first-read budget for the disk, and give it on a later collection', async () => {
    const system = createSystemCollector({ firstReadBudgetMs: 0, reuseMs: 0 })
    const first = await system.collect()
    expect(first.disk).toBeUndefined()
    expect(first.memory?.total).toBe(os.totalmem())
    await vi.waitFor(async () => expect((await system.collect()).disk?.total).toBeGreaterThan(0))
  })

  it('should fall back to the first filesystem when the mount is absent', async () => {
    const warnings: string[] = []
    const logger: Logger = { debug() {}, info() {}, error() {}, warn: (m) => warnings.push(m) }
    const system = createSystemCollector({ diskMount: '/no/such/mount', logger })
    const s = await system.collect()
    // An unknown mount falls back to the first filesystem rather than failing.
    expect(s.disk?.total).toBeGreaterThan(0)
    expect(warnings).toEqual([])
  })
})
