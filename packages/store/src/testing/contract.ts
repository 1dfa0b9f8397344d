import type { HealingRecord } from '@noa/core'
import type { afterEach, describe, expect, it } from 'vitest'
import type { RetentionKind, Store } from '../store.ts'
import { drillsContract } from './drills-contract.ts'
import { incidentsContract } from './incidents-contract.ts'
import { maintenanceWindowsContract } from './maintenance-windows-contract.ts'
import {
  alert,
  approval,
  DAY,
  drillRun,
  HOUR,
  healingRecord,
  MIN,
  result,
  silence,
  snapshot,
  T0,
} from './records.ts'
import { restartContract } from './restart-contract.ts'

/** The test functions the suite runs with, passed in so vitest stays out of runtime dependencies. */
export interface ContractTestApi {
  describe: typeof describe
  it: typeof it
  expect: typeof expect
  afterEach: typeof afterEach
}

/** Options the suite passes when it needs a store with short retention or small chunks. */
export interface ContractStoreOptions {
  retention?: Partial<Record<RetentionKind, number>>
  chunkSize?: number
  maxChunks?: number
}

/**
 * The behaviour every store backend must have, as one suite: run it against a backend
 * with a function that opens a fresh, empty store. The suite closes each store it opens.
 *
 * @example
 * ```ts
 * import { afterEach, describe, expect, it } from 'vitest'
 * import { createMemoryStore } from '@noa/store'
 * import { storeContract } from '@noa/store/testing'
 * storeContract('memory', async (o) => createMemoryStore(o), { describe, it, expect, afterEach })
 * ```
 */
export function storeContract(
  name: string,
  open: (options?: ContractStoreOptions) => Promise<Store>,
  t: ContractTestApi,
): void {
  const { describe, it, expect, afterEach } = t
  const opened: Store[] = []
  const fresh = async (options?: ContractStoreOptions) => {
    const s = await open(options)
    opened.push(s)
    return s
  }
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close()
  })

  describe(`Store contract (${name})`, () => {
    describe('samples', () => {
      it('should store a series once whatever the label order and answer recent() newest first', async () => {
        const store = await fresh()
        await store.samples.append([
          { name: 'http_requests_total', labels: { service: 'api', method: 'GET' }, value: 1, at: T0 },
          {
            name: 'http_requests_total',
            labels: { method: 'GET', service: 'api' },
            value: 2,
            at: T0 + 10_000,
          },
          { name: 'cpu_usage_percent', value: 45.2, at: T0 + 5_000 },
        ])
        const series = await store.samples.series()
        expect(series.map((s) => [s.name, s.labels])).toEqual([
          ['http_requests_total', { method: 'GET', service: 'api' }],
          ['cpu_usage_percent', {}],
        ])
        expect(await store.samples.recent(2)).toEqual([
          {
            name: 'http_requests_total',
            labels: { method: 'GET', service: 'api' },
            value: 2,
            at: T0 + 10_000,
          },
          { name: 'cpu_usage_percent', labels: {}, value: 45.2, at: T0 + 5_000 },
        ])
        expect(await store.samples.recent(5, { name: 'cpu_usage_percent' })).toHaveLength(1)
        expect(await store.samples.recent(0)).toEqual([])
      })

      it('should replace a sample written twice for the same series and time', async () => {
        const store = await fresh()
        await store.samples.append([{ name: 'x', value: 1, at: T0 }])
        await store.samples.append([{ name: 'x', value: 7, at: T0 }])
        expect((await store.samples.recent(10)).map((s) => s.value)).toEqual([7])
        await store.samples.append([
          { name: 'x', value: 8, at: T0 },
          { name: 'x', value: 9, at: T0 },
          { name: 'x', value: 3, at: T0 - 1 },
        ])
        expect((await store.samples.recent(10)).map((s) => s.value)).toEqual([9, 3])
      })

      it('should aggregate a range per step with avg, min, max, last', async () => {
        const store = await fresh()
        const batch = []
        for (let i = 0; i < 12; i++)
          batch.push({ name: 'cpu', labels: { host: 'a' }, value: i, at: T0 + i * 10_000 })
        await store.samples.append(batch)
        const q = { name: 'cpu', start: T0, end: T0 + 2 * MIN, step: MIN }
        const points = async (aggregation: 'avg' | 'min' | 'max' | 'last') =>
          (await store.samples.range({ ...q, aggregation }))[0]?.points
        expect(await points('avg')).toEqual([
          [T0, 2.5],
          [T0 + MIN, 8.5],
        ])
        expect(await points('min')).toEqual([
          [T0, 0],
          [T0 + MIN, 6],
        ])
        expect(await points('max')).toEqual([
          [T0, 5],
          [T0 + MIN, 11],
        ])
        expect(await points('last')).toEqual([
          [T0, 5],
          [T0 + MIN, 11],
        ])
        expect((await store.samples.range({ ...q, aggregation: 'count' }))[0]?.points).toEqual([
          [T0, 6],
          [T0 + MIN, 6],
        ])
        // A step is always read whole: the start is aligned down to a multiple of the step.
        const half = await store.samples.range({ ...q, start: T0 + 30_000 })
        expect(half[0]?.points[0]).toEqual([T0, 2.5])
      })

      it('should compute rate per second for counters across a reset', async () => {
        const store = await fresh()
        // +60 per minute, then a restart resets the counter to 0 and it grows again.
        const values = [0, 10, 20, 30, 40, 50, 60, 70, 80, 5, 15, 25]
        await store.samples.append(
          values.map((value, i) => ({ name: 'req_total', value, at: T0 + i * 10_000 })),
        )
        const [s] = await store.samples.range({
          name: 'req_total',
          start: T0,
          end: T0 + 2 * MIN,
          step: MIN,
          aggregation: 'rate',
        })
        expect(s?.points).toEqual([
          [T0, 50 / 60],
          [T0 + MIN, (10 + 10 + 5 + 10 + 10 + 10) / 60],
        ])
        const [later] = await store.samples.range({
          name: 'req_total',
          start: T0 + MIN,
          end: T0 + 2 * MIN,
          step: MIN,
          aggregation: 'rate',
        })
        expect(later?.points).toEqual([[T0 + MIN, 55 / 60]])
      })

      it('should not overstate a rate when the step is shorter than the gap between samples', async () => {
        const store = await fresh()
        // 1 per second, scraped every 10 s; then the agent was down 5 minutes (still 1 per second)
        const at = [0, 10, 20, 30, 330, 340].map((s) => T0 + s * 1000)
        await store.samples.append(at.map((t) => ({ name: 'req_total', value: (t - T0) / 1000, at: t })))
        const rate = async (start: number, end: number, step: number) =>
          (
            await store.samples.range({
              name: 'req_total',
              start,
              end,
              step,
              resolution: 'raw',
              aggregation: 'rate',
            })
          )[0]?.points
        // one-second steps: each 10 s increase spread over its 10 s, not put in one second
        expect(await rate(T0 + 10_000, T0 + 31_000, 1000)).toEqual([
          [T0 + 10_000, 1],
          [T0 + 20_000, 1],
          [T0 + 30_000, 1],
        ])
        // a minute step after the 5-minute gap: 300 over 300 s, not over the minute
        expect(await rate(T0 + 5 * MIN, T0 + 6 * MIN, MIN)).toEqual([[T0 + 5 * MIN, 1]])
      })

      it('should select series by label matchers, with labels passed as data never as SQL', async () => {
        const store = await fresh()
        const evil = "a'); DROP TABLE samples; --"
        await store.samples.append([
          { name: 'up', labels: { service: 'api' }, value: 1, at: T0 },
          { name: 'up', labels: { service: 'web' }, value: 0, at: T0 },
          { name: 'up', labels: { service: evil }, value: 1, at: T0 },
          { name: 'down', labels: { service: 'api' }, value: 1, at: T0 },
        ])
        const names = async (labels: Parameters<Store['samples']['range']>[0]['labels']) =>
          (await store.samples.range({ name: 'up', labels, start: T0, end: T0 + MIN, step: MIN })).map(
            (s) => s.series.labels.service,
          )
        expect(await names({ service: 'api' })).toEqual(['api'])
        expect(await names([{ label: 'service', op: '!=', value: 'api' }])).toEqual(['web', evil])
        expect(await names([{ label: 'service', op: '=~', value: 'a.*|w.b' }])).toEqual(['api', 'web', evil])
        expect(await names([{ label: 'service', op: '!~', value: 'a.*' }])).toEqual(['web'])
        expect(await names({ service: evil })).toEqual([evil])
        expect(await names({ missing: 'x' })).toEqual([])
        expect((await store.samples.series({ name: 'down' })).length).toBe(1)
      })

      it('should refuse a bad query or sample with a message naming the field', async () => {
        const store = await fresh()
        await expect(store.samples.range({ name: 'x', start: T0, end: T0 + MIN, step: 0 })).rejects.toThrow(
          /step must be/,
        )
        await expect(
          store.samples.range({
            name: 'x',
            start: T0,
            end: T0 + MIN,
            step: 1000,
            aggregation: 'p99' as never,
          }),
        ).rejects.toThrow(/aggregation must be one of avg, min, max, last, rate, count, got "p99"/)
        await expect(
          store.samples.range({ name: 'x', start: T0, end: T0 + MIN, step: 1000, resolution: '1m' }),
        ).rejects.toThrow(/multiple of 60000/)
        await expect(
          store.samples.range({
            name: 'x',
            labels: [{ label: 'a', op: '=~', value: '(' }],
            start: T0,
            end: T0 + MIN,
            step: MIN,
          }),
        ).rejects.toThrow(/not a valid regular expression/)
        await expect(store.samples.append([{ name: 'x', value: Number.NaN, at: T0 }])).rejects.toThrow(
          /samples\[0\]\.value/,
        )
        await expect(store.samples.append([{ name: '', value: 1, at: T0 }])).rejects.toThrow(
          /samples\[0\]\.name/,
        )
        await expect(store.samples.recent(-1)).rejects.toThrow(/n must be/)
        await expect(
          store.samples.append([
            { name: 'ok', value: 1, at: T0 },
            { name: 'x', labels: { k: 5 as never }, value: 1, at: T0 },
          ]),
        ).rejects.toThrow('samples[1].labels.k must be a string, got number')
        await expect(
          store.samples.append([{ name: 'x', labels: null as never, value: 1, at: T0 }]),
        ).rejects.toThrow('samples[0].labels must be an object of strings, got null')
        expect(await store.samples.series()).toEqual([])
        expect(await store.samples.recent(10)).toEqual([])
      })

      it('should roll samples up and answer long ranges from rollups after raw samples expire', async () => {
        const store = await fresh({ retention: { samples: 1 } })
        const batch = []
        // Three hours of a counter and a gauge every 10 s.
        for (let i = 0; i < 3 * 360; i++) {
          batch.push({ name: 'g', value: (i % 7) * 1.5, at: T0 + i * 10_000 })
          batch.push({ name: 'c_total', value: i * 3, at: T0 + i * 10_000 })
        }
        await store.samples.append(batch)
        const q = { start: T0, end: T0 + 3 * HOUR, step: HOUR }
        const before = {
          avg: await store.samples.range({ ...q, name: 'g', resolution: 'raw' }),
          max: await store.samples.range({ ...q, name: 'g', resolution: 'raw', aggregation: 'max' }),
          last: await store.samples.range({ ...q, name: 'g', resolution: 'raw', aggregation: 'last' }),
          rate: await store.samples.range({ ...q, name: 'c_total', resolution: 'raw', aggregation: 'rate' }),
        }
        const report = await store.maintain(T0 + 4 * HOUR)
        expect(report.rolledUp['1m']).toBe(2 * 180)
        expect(report.rolledUp['1h']).toBe(2 * 3)
        const minute = await store.samples.range({
          name: 'g',
          start: T0,
          end: T0 + 10 * MIN,
          step: 5 * MIN,
          resolution: '1m',
        })
        const raw = await store.samples.range({
          name: 'g',
          start: T0,
          end: T0 + 10 * MIN,
          step: 5 * MIN,
          resolution: 'raw',
        })
        expect(minute[0]?.points).toEqual(raw[0]?.points)
        // Two days later the raw samples are gone; the 1-hour rollups answer the same.
        const later = await store.maintain(T0 + 2 * DAY)
        expect(later.deleted.samples).toBe(2 * 3 * 360)
        expect(await store.samples.range({ ...q, name: 'g', resolution: 'raw' })).toEqual([
          { series: before.avg[0]?.series, points: [] },
        ])
        const close = (a: Array<[number, number]> | undefined, b: Array<[number, number]> | undefined) => {
          expect(a?.map(([t]) => t)).toEqual(b?.map(([t]) => t))
          for (const [i, [, v]] of (a ?? []).entries()) expect(v).toBeCloseTo(b?.[i]?.[1] ?? Number.NaN, 9)
        }
        close((await store.samples.range({ ...q, name: 'g' }))[0]?.points, before.avg[0]?.points)
        close(
          (await store.samples.range({ ...q, name: 'g', aggregation: 'max' }))[0]?.points,
          before.max[0]?.points,
        )
        close(
          (await store.samples.range({ ...q, name: 'g', aggregation: 'last' }))[0]?.points,
          before.last[0]?.points,
        )
        close(
          (await store.samples.range({ ...q, name: 'c_total', aggregation: 'rate' }))[0]?.points,
          before.rate[0]?.points,
        )
        expect(before.avg[0]?.points).toHaveLength(3)
      })

      it('should weigh a daily avg from 1-hour rollups by samples, not by hours, and count them', async () => {
        const store = await fresh()
        const D0 = Math.ceil(T0 / DAY) * DAY // steps of a day are aligned to UTC midnight
        // Day 0: a full day up (8,640 samples). Day 1: one full hour up, then 6 samples down in
        // the next hour and nothing else. Day 2: no data.
        const batch: Array<{ name: string; labels: { s: string }; value: number; at: number }> = []
        const up = (value: number, at: number) => batch.push({ name: 'up', labels: { s: 'a' }, value, at })
        for (let i = 0; i < 8640; i++) up(1, D0 + i * 10_000)
        for (let i = 0; i < 360; i++) up(1, D0 + DAY + i * 10_000)
        for (let i = 0; i < 6; i++) up(0, D0 + DAY + HOUR + i * 10_000)
        await store.samples.append(batch)
        const q = { name: 'up', start: D0, end: D0 + 3 * DAY, step: DAY }
        const raw = {
          avg: (await store.samples.range({ ...q, resolution: 'raw' }))[0]?.points,
          count: (await store.samples.range({ ...q, resolution: 'raw', aggregation: 'count' }))[0]?.points,
        }
        // Averaging the two hours' averages would say 50 %; the samples say 360 of 366.
        expect(raw.avg).toEqual([
          [D0, 1],
          [D0 + DAY, 360 / 366],
        ])
        expect(raw.count).toEqual([
          [D0, 8640],
          [D0 + DAY, 366],
        ])
        await store.maintain(D0 + 2 * DAY + HOUR)
        // 35 days on, raw samples and 1-minute rollups are gone (30 days): only 1-hour rollups answer.
        await store.maintain(D0 + 35 * DAY)
        expect(await store.samples.range({ ...q, resolution: 'raw' })).toEqual([
          { series: expect.objectContaining({ name: 'up' }), points: [] },
        ])
        expect(await store.samples.range({ ...q, resolution: '1m' })).toEqual([
          { series: expect.objectContaining({ name: 'up' }), points: [] },
        ])
        for (const resolution of ['1h', 'auto'] as const) {
          const avg = (await store.samples.range({ ...q, resolution }))[0]?.points ?? []
          expect(avg.map(([t]) => t)).toEqual([D0, D0 + DAY])
          expect(avg[0]?.[1]).toBe(1)
          expect(avg[1]?.[1]).toBeCloseTo(360 / 366, 12)
          expect((await store.samples.range({ ...q, resolution, aggregation: 'count' }))[0]?.points).toEqual(
            raw.count,
          )
        }
      })

      it('should read rolled-up buckets from rollups and newer ones from raw samples in auto mode', async () => {
        const store = await fresh()
        const batch = []
        for (let i = 0; i < 60; i++) batch.push({ name: 'g', value: i, at: T0 + i * 10_000 })
        await store.samples.append(batch)
        await store.maintain(T0 + 5 * MIN) // rolls up to T0 + 4 min (1 minute of delay)
        const auto = await store.samples.range({ name: 'g', start: T0, end: T0 + 10 * MIN, step: MIN })
        const raw = await store.samples.range({
          name: 'g',
          start: T0,
          end: T0 + 10 * MIN,
          step: MIN,
          resolution: 'raw',
        })
        expect(auto).toEqual(raw)
        expect(auto[0]?.points).toHaveLength(10)
      })

      it('should carry a counter across rollup windows so rollup rates equal raw rates', async () => {
        const store = await fresh()
        // A counter growing by 2 every 10 s, reset once at minute 6.
        const batch = []
        for (let i = 0; i < 60; i++)
          batch.push({ name: 'c_total', value: i < 36 ? i * 2 : (i - 36) * 2, at: T0 + i * 10_000 })
        await store.samples.append(batch)
        await store.maintain(T0 + 5 * MIN) // rolls [T0, T0 + 4 min)
        await store.maintain(T0 + 11 * MIN) // rolls [T0 + 4 min, T0 + 10 min), starting from the value before it
        const q = {
          name: 'c_total',
          start: T0,
          end: T0 + 10 * MIN,
          step: 2 * MIN,
          aggregation: 'rate' as const,
        }
        const fromRollups = await store.samples.range({ ...q, resolution: '1m' })
        const fromRaw = await store.samples.range({ ...q, resolution: 'raw' })
        expect(fromRollups[0]?.points).toEqual(fromRaw[0]?.points)
        expect(fromRaw[0]?.points.map(([, v]) => v * 120)).toEqual([22, 24, 24, 22, 24])
      })
    })

    describe('snapshots', () => {
      it('should keep snapshots in the seed shape and answer recent(n) oldest first', async () => {
        const store = await fresh()
        for (let i = 0; i < 5; i++) await store.snapshots.append(snapshot(T0 + i * 10_000, 40 + i))
        const recent = await store.snapshots.recent(3)
        expect(recent.map((s) => s.system.cpu?.usage?.average)).toEqual([42, 43, 44])
        expect(recent[2]).toEqual(snapshot(T0 + 40_000, 44))
        expect(await store.snapshots.range(T0 + 10_000, T0 + 30_000)).toEqual([
          snapshot(T0 + 10_000, 41),
          snapshot(T0 + 20_000, 42),
        ])
        expect(await store.snapshots.recent(0)).toEqual([])
        await expect(store.snapshots.recent(-1)).rejects.toThrow(
          'recent(n): n must be a whole number >= 0, got -1',
        )
        await expect(store.snapshots.recent(1.5)).rejects.toThrow(/got 1.5/)
        await expect(store.snapshots.append({ ...snapshot(T0, 1), timestamp: 'yesterday' })).rejects.toThrow(
          /snapshot.timestamp must be an ISO 8601 time, got "yesterday"/,
        )
      })
    })

    describe('checks', () => {
      it('should answer results and state changes by service and time, newest first', async () => {
        const store = await fresh()
        await store.checks.append(result('api', T0))
        await store.checks.append(result('web', T0 + 1000))
        await store.checks.append(result('api', T0 + 2000, 'error'))
        await store.checks.append(result('api', T0 + 3000, 'unhealthy'))
        expect((await store.checks.results({ service: 'api' })).map((r) => r.at)).toEqual([
          T0 + 3000,
          T0 + 2000,
          T0,
        ])
        expect((await store.checks.results({ since: T0 + 1000, until: T0 + 3000 })).map((r) => r.at)).toEqual(
          [T0 + 2000, T0 + 1000],
        )
        expect(await store.checks.results({ limit: 1 })).toEqual([result('api', T0 + 3000, 'unhealthy')])
        expect((await store.checks.latest()).map((r) => [r.service, r.state])).toEqual([
          ['api', 'unhealthy'],
          ['web', 'healthy'],
        ])
        const change = {
          service: 'api',
          from: 'healthy' as const,
          to: 'error' as const,
          at: T0 + 2000,
          result: result('api', T0 + 2000, 'error'),
        }
        await store.checks.appendChange(change)
        await store.checks.appendChange({ ...change, service: 'web', at: T0 + 2500 })
        expect(await store.checks.changes({ service: 'api' })).toEqual([change])
        expect((await store.checks.changes()).map((c) => c.service)).toEqual(['web', 'api'])
        await expect(store.checks.append({ ...result('', T0) })).rejects.toThrow(
          /service must be a non-empty string/,
        )
        await expect(store.checks.results({ limit: -1 })).rejects.toThrow(/limit must be/)
        await store.checks.append(result('o\'brien"; DROP TABLE check_results; --', T0 + 500))
        expect(
          await store.checks.results({ service: 'o\'brien"; DROP TABLE check_results; --' }),
        ).toHaveLength(1)
        expect(await store.checks.results()).toHaveLength(5)
      })
    })

    describe('beats', () => {
      it('should keep the latest beat per key, whichever came first, and expire it with the checks', async () => {
        const store = await fresh()
        expect(await store.beats.lastBeat('k1')).toBeUndefined()
        await store.beats.saveBeat('k1', { at: T0 + 2000, status: 'down', message: 'backup failed' })
        // a beat another agent took earlier, stored late, does not replace the later one
        await store.beats.saveBeat('k1', { at: T0 + 1000, status: 'up' })
        await store.beats.saveBeat('k2', { at: T0, status: 'up', message: 'x'.repeat(300) })
        expect(await store.beats.lastBeat('k1')).toEqual({
          at: T0 + 2000,
          status: 'down',
          message: 'backup failed',
        })
        expect((await store.beats.lastBeat('k2'))?.message).toHaveLength(200)
        await store.beats.saveBeat('k1', { at: T0 + 3000, status: 'up' })
        expect(await store.beats.lastBeat('k1')).toEqual({ at: T0 + 3000, status: 'up' })
        await expect(store.beats.saveBeat('', { at: T0, status: 'up' })).rejects.toThrow(/key/)
        await expect(
          store.beats.saveBeat('k3', { at: T0, status: 'late' as unknown as 'up' }),
        ).rejects.toThrow(/status must be up or down/)
        await store.checks.append(result('api', T0 + 40 * DAY))
        const report = await store.maintain(T0 + 30 * DAY + 2500)
        expect(report.deleted.checks).toBe(1)
        expect(await store.beats.lastBeat('k2')).toBeUndefined()
        expect(await store.beats.lastBeat('k1')).toEqual({ at: T0 + 3000, status: 'up' })
      })
    })

    describe('outbox', () => {
      it('should enqueue pending deliveries due at once and hand them out oldest first', async () => {
        const store = await fresh()
        const [a, b] = await store.outbox.enqueue([
          { channel: 'slack', idempotencyKey: 'k1', payload: { text: 'down' }, createdAt: T0 + 10 },
          { channel: 'email', idempotencyKey: 'k2', payload: { text: 'down' }, createdAt: T0 },
        ])
        const [c] = await store.outbox.enqueue([
          { channel: 'slack', idempotencyKey: 'k3', payload: null, createdAt: T0 },
        ])
        expect(a).toMatchObject({ status: 'pending', attempts: 0, nextAttemptAt: T0 + 10, channel: 'slack' })
        expect(typeof a?.id).toBe('string')
        expect(new Set([a?.id, b?.id, c?.id]).size).toBe(3)
        expect((await store.outbox.due(T0 + 10, 10)).map((d) => d.idempotencyKey)).toEqual(['k2', 'k3', 'k1'])
        expect((await store.outbox.due(T0 + 5, 10)).map((d) => d.idempotencyKey)).toEqual(['k2', 'k3'])
        expect((await store.outbox.due(T0 + 10, 1)).map((d) => d.idempotencyKey)).toEqual(['k2'])
        expect(await store.outbox.due(T0 + 10, 10)).toEqual([b, c, a])
      })

      it('should count failed attempts, retry when asked and give up otherwise', async () => {
        const store = await fresh()
        const [d] = await store.outbox.enqueue([
          { channel: 'webhook', idempotencyKey: 'k', payload: { n: 1 }, createdAt: T0 },
        ])
        const id = d?.id as string
        await store.outbox.markFailed(id, { error: 'HTTP 503', at: T0 + 1, retryAt: T0 + 5000 })
        expect(await store.outbox.due(T0 + 4999, 10)).toEqual([])
        const [retry] = await store.outbox.due(T0 + 5000, 10)
        expect(retry).toMatchObject({
          id,
          status: 'pending',
          attempts: 1,
          lastError: 'HTTP 503',
          nextAttemptAt: T0 + 5000,
        })
        await store.outbox.markFailed(id, { error: 'HTTP 500', at: T0 + 5001 })
        expect(await store.outbox.due(T0 + DAY, 10)).toEqual([])
        expect((await store.outbox.deliveries({ status: 'failed' }))[0]).toMatchObject({
          id,
          status: 'failed',
          attempts: 2,
          lastError: 'HTTP 500',
        })
        const [e] = await store.outbox.enqueue([
          { channel: 'slack', idempotencyKey: 'k2', payload: 'x', createdAt: T0 + 1 },
        ])
        await store.outbox.markSent(e?.id as string, T0 + 2)
        await store.outbox.markSent('dlv_unknown', T0 + 2)
        expect((await store.outbox.deliveries({ status: 'sent' }))[0]).toMatchObject({
          status: 'sent',
          sentAt: T0 + 2,
          attempts: 0,
        })
        expect((await store.outbox.deliveries()).map((x) => x.idempotencyKey)).toEqual(['k2', 'k'])
        expect((await store.outbox.deliveries({ channel: 'webhook' })).map((x) => x.idempotencyKey)).toEqual([
          'k',
        ])
        expect(await store.outbox.deliveries({ limit: 1 })).toHaveLength(1)
      })

      it('should refuse a delivery it cannot queue, naming the field, and queue nothing of the batch', async () => {
        const store = await fresh()
        const ok = { channel: 'slack', idempotencyKey: 'k', payload: {}, createdAt: T0 }
        await expect(store.outbox.enqueue([ok, { ...ok, channel: '' }])).rejects.toThrow(
          'enqueue: items[1].channel must be a non-empty string',
        )
        await expect(store.outbox.enqueue([{ ...ok, idempotencyKey: 5 as never }])).rejects.toThrow(
          'enqueue: items[0].idempotencyKey must be a string',
        )
        await expect(store.outbox.enqueue([{ ...ok, createdAt: Number.NaN }])).rejects.toThrow(
          'enqueue: items[0].createdAt must be epoch ms',
        )
        expect(await store.outbox.deliveries()).toEqual([])
        expect(await store.outbox.enqueue([])).toEqual([])
      })
    })

    describe('alerts', () => {
      it('should upsert alerts by fingerprint and append history only on a state change', async () => {
        const store = await fresh()
        await store.alerts.saveAlert(alert('fp1', 'pending', T0, 91))
        await store.alerts.saveAlert(alert('fp1', 'pending', T0 + 10_000, 92))
        await store.alerts.saveAlert({ ...alert('fp1', 'firing', T0 + 60_000, 95), firedAt: T0 + 60_000 })
        await store.alerts.saveAlert(alert('fp2', 'firing', T0 + 30_000))
        await store.alerts.saveAlert(alert('fp1', 'resolved', T0 + 120_000))
        expect(await store.alerts.alertHistory('fp1')).toEqual([
          { state: 'pending', at: T0, value: 91 },
          { state: 'firing', at: T0 + 60_000, value: 95 },
          { state: 'resolved', at: T0 + 120_000 },
        ])
        expect(await store.alerts.alertHistory('none')).toEqual([])
        const all = await store.alerts.alerts()
        expect(all.map((a) => a.fingerprint)).toEqual(['fp1', 'fp2'])
        expect(all[0]).toEqual(alert('fp1', 'resolved', T0 + 120_000))
        expect((await store.alerts.alerts({ state: 'firing' })).map((a) => a.fingerprint)).toEqual(['fp2'])
        expect((await store.alerts.alerts({ since: T0 + 60_000 })).map((a) => a.fingerprint)).toEqual(['fp1'])
        expect(await store.alerts.alerts({ limit: 1 })).toHaveLength(1)
      })
    })

    describe('healing', () => {
      it('should upsert healing records by id and list them newest first', async () => {
        const store = await fresh()
        await store.healing.saveHealing(healingRecord('h1', 'api', T0))
        await store.healing.saveHealing(healingRecord('h2', 'web', T0 + 1000))
        const done: HealingRecord = {
          ...healingRecord('h1', 'api', T0, 'succeeded'),
          endedAt: T0 + 4000,
          steps: [{ name: 'restart', startedAt: T0, endedAt: T0 + 3000, ok: true, output: 'restarted' }],
          healthBefore: 'error',
          healthAfter: 'healthy',
        }
        await store.healing.saveHealing(done)
        expect((await store.healing.healings()).map((h) => h.id)).toEqual(['h2', 'h1'])
        expect(await store.healing.healings({ service: 'api' })).toEqual([done])
        expect((await store.healing.healings({ since: T0 + 500 })).map((h) => h.id)).toEqual(['h2'])
        expect(await store.healing.healings({ limit: 1 })).toHaveLength(1)
      })

      it('should page newest first: the next page is what started before the last one shown', async () => {
        const store = await fresh()
        for (let i = 0; i < 5; i++)
          await store.healing.saveHealing(healingRecord(`h${i}`, 'api', T0 + i * 1000))
        const first = await store.healing.healings({ limit: 2 })
        expect(first.map((h) => h.id)).toEqual(['h4', 'h3'])
        const next = await store.healing.healings({ limit: 2, until: first.at(-1)!.startedAt })
        expect(next.map((h) => h.id)).toEqual(['h2', 'h1'])
        expect((await store.alerts.alerts({ until: T0 })).length).toBe(0)
        expect((await store.approvals.approvals({ until: T0 })).length).toBe(0)
      })
    })

    describe('approvals', () => {
      it('should decide a pending approval once and only once', async () => {
        const store = await fresh()
        await store.approvals.createApproval(approval('a1', T0))
        await store.approvals.createApproval(approval('a2', T0 + 1000, 'web'))
        expect(await store.approvals.getApproval('a1')).toEqual(approval('a1', T0))
        expect(await store.approvals.getApproval('nope')).toBeUndefined()
        const decisions = await Promise.all(
          ['alice', 'bob', 'carol'].map((by) =>
            store.approvals.decideApproval('a1', { status: 'approved', at: T0 + 5, by, comment: 'ok' }),
          ),
        )
        const winners = decisions.filter((d) => d !== undefined)
        expect(winners).toHaveLength(1)
        expect(winners[0]).toMatchObject({ id: 'a1', status: 'approved', decidedAt: T0 + 5, comment: 'ok' })
        expect(await store.approvals.getApproval('a1')).toEqual(winners[0])
        expect(await store.approvals.decideApproval('a1', { status: 'rejected', at: T0 + 6 })).toBeUndefined()
        expect(
          await store.approvals.decideApproval('nope', { status: 'rejected', at: T0 + 6 }),
        ).toBeUndefined()
        expect((await store.approvals.approvals()).map((a) => a.id)).toEqual(['a2', 'a1'])
        expect((await store.approvals.approvals({ status: 'pending' })).map((a) => a.id)).toEqual(['a2'])
        expect((await store.approvals.approvals({ service: 'api' })).map((a) => a.id)).toEqual(['a1'])
        await expect(store.approvals.createApproval(approval('a1', T0))).rejects.toThrow(/already exists/)
      })
    })

    describe('leases', () => {
      it('should give a lease to one holder until it expires or is released', async () => {
        const store = await fresh()
        expect(await store.leases.acquireLease('heal:api', 'agent-1', 15_000, T0)).toBe(true)
        expect(await store.leases.acquireLease('heal:api', 'agent-2', 15_000, T0 + 1000)).toBe(false)
        expect(await store.leases.leaseHolder('heal:api', T0 + 1000)).toEqual({
          holder: 'agent-1',
          expiresAt: T0 + 15_000,
        })
        expect(await store.leases.acquireLease('heal:api', 'agent-1', 15_000, T0 + 10_000)).toBe(true)
        expect(await store.leases.leaseHolder('heal:api', T0 + 20_000)).toEqual({
          holder: 'agent-1',
          expiresAt: T0 + 25_000,
        })
        await store.leases.releaseLease('heal:api', 'agent-2')
        expect(await store.leases.acquireLease('heal:api', 'agent-2', 15_000, T0 + 20_000)).toBe(false)
        expect(await store.leases.leaseHolder('heal:api', T0 + 25_000)).toBeUndefined()
        expect(await store.leases.acquireLease('heal:api', 'agent-2', 15_000, T0 + 25_000)).toBe(true)
        await store.leases.releaseLease('heal:api', 'agent-2')
        expect(await store.leases.leaseHolder('heal:api', T0 + 25_001)).toBeUndefined()
        expect(await store.leases.acquireLease('heal:api', 'agent-1', 15_000, T0 + 25_001)).toBe(true)
      })

      it('should list the live leases of a prefix, by name', async () => {
        const store = await fresh()
        await store.leases.acquireLease('member:b', 'agent-b', 10_000, T0)
        await store.leases.acquireLease('member:a', 'agent-a', 5_000, T0)
        await store.leases.acquireLease('members-not', 'x', 10_000, T0)
        await store.leases.acquireLease('alerting', 'agent-a', 10_000, T0)
        expect(await store.leases.heldLeases('member:', T0 + 1000)).toEqual([
          { name: 'member:a', holder: 'agent-a', expiresAt: T0 + 5_000 },
          { name: 'member:b', holder: 'agent-b', expiresAt: T0 + 10_000 },
        ])
        expect((await store.leases.heldLeases('member:', T0 + 5_000)).map((l) => l.name)).toEqual([
          'member:b',
        ])
        expect(await store.leases.heldLeases('nothing:', T0)).toEqual([])
      })

      it('should let exactly one of many concurrent acquirers win', async () => {
        const store = await fresh()
        const wins = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            store.leases.acquireLease('heal:web', `agent-${i}`, 10_000, T0),
          ),
        )
        expect(wins.filter(Boolean)).toHaveLength(1)
      })
    })

    restartContract(fresh, t)
    drillsContract(fresh, t)
    maintenanceWindowsContract(fresh, t)
    incidentsContract(fresh, t)

    describe('health', () => {
      it('should be healthy with no failed writes, and not count refused input or a duplicate as a store failure', async () => {
        const store = await fresh()
        expect(store.health()).toEqual({ ok: true, failedWrites: 0 })
        await store.samples.append([{ name: 'x', value: 1, at: T0 }])
        await expect(store.samples.append([{ name: '', value: 1, at: T0 }])).rejects.toThrow(/name/)
        await expect(
          store.samples.append([{ name: 'x', labels: { k: 5 as never }, value: 1, at: T0 }]),
        ).rejects.toThrow(/labels\.k/)
        await store.approvals.createApproval(approval('a1', T0))
        await expect(store.approvals.createApproval(approval('a1', T0))).rejects.toThrow(/already exists/)
        await expect(store.alerts.saveAlert({ ...alert('', 'firing', T0) })).rejects.toThrow(/fingerprint/)
        expect(store.health()).toEqual({ ok: true, failedWrites: 0 })
      })
    })

    describe('maintenance', () => {
      it('should delete expired rows in bounded chunks and keep what is still open', async () => {
        const store = await fresh({ chunkSize: 2, maxChunks: 2 })
        for (let i = 0; i < 5; i++) await store.checks.append(result('api', T0 + i))
        await store.checks.append(result('api', T0 + 40 * DAY))
        await store.snapshots.append(snapshot(T0, 1))
        await store.snapshots.append(snapshot(T0 + 40 * DAY, 2))
        const [pending, sent] = await store.outbox.enqueue([
          { channel: 'c', idempotencyKey: 'p', payload: 1, createdAt: T0 },
          { channel: 'c', idempotencyKey: 's', payload: 2, createdAt: T0 },
        ])
        await store.outbox.markSent(sent?.id as string, T0 + 1)
        await store.alerts.saveAlert(alert('old-resolved', 'resolved', T0))
        await store.alerts.saveAlert(alert('old-firing', 'firing', T0))
        await store.healing.saveHealing(healingRecord('h-old', 'api', T0, 'succeeded'))
        await store.approvals.createApproval(approval('ap-pending', T0))
        await store.approvals.createApproval({ ...approval('ap-done', T0), status: 'approved' })
        await store.drills.saveDrill(drillRun('drill-old', T0))
        await store.drills.saveDrill(drillRun('drill-new', T0 + 40 * DAY))
        const now = T0 + 40 * DAY + 1000
        const first = await store.maintain(now)
        expect(first.complete).toBe(false)
        expect(first.deleted.checks).toBe(4)
        const second = await store.maintain(now)
        expect(second.complete).toBe(true)
        expect(second.deleted.checks).toBe(1)
        expect((await store.checks.results()).map((r) => r.at)).toEqual([T0 + 40 * DAY])
        expect((await store.snapshots.recent(10)).map((s) => s.system.cpu?.usage?.average)).toEqual([2])
        expect((await store.outbox.deliveries()).map((d) => d.id)).toEqual([pending?.id])
        expect((await store.alerts.alerts()).map((a) => a.fingerprint)).toEqual(['old-firing'])
        expect(await store.alerts.alertHistory('old-resolved')).toEqual([])
        expect(await store.healing.healings()).toEqual([])
        expect((await store.approvals.approvals()).map((a) => a.id)).toEqual(['ap-pending'])
        expect(first.deleted.drills + second.deleted.drills).toBe(1)
        expect((await store.drills.drills()).map((d) => d.id)).toEqual(['drill-new'])
      })

      it('should refuse use after close', async () => {
        const store = await open()
        await store.close()
        await store.close()
        await expect(store.samples.recent(1)).rejects.toThrow(/closed/)
        await expect(store.outbox.due(T0, 1)).rejects.toThrow(/closed/)
        await expect(store.silences.saveSilence(silence('s', T0, T0 + HOUR))).rejects.toThrow(/closed/)
        await expect(store.drills.saveDrill(drillRun('d', T0))).rejects.toThrow(/closed/)
        await expect(store.drills.drills()).rejects.toThrow(/closed/)
        await expect(store.incidents.incidents()).rejects.toThrow(/closed/)
        // Using a closed store is the caller's mistake, not a failing store.
        expect(store.health()).toEqual({ ok: true, failedWrites: 0 })
      })
    })
  })
}
