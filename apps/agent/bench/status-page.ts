/**
 * The public status page's computation on SQLite: 200 public services with 90 days of
 * `noa_service_up`, rolled up as the agent's maintenance does it (1-hour rollups for the
 * days, 1-minute rollups and raw samples for the last day), then the page computed cold
 * (nothing cached) several times. Prints the median and the slowest.
 *
 *   pnpm --filter @noa/agent exec tsx --conditions=@noa/source bench/status-page.ts
 *   (BENCH_SERVICES, BENCH_DAYS to change the size)
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FakeClock } from '@noa/core'
import { openStore, type SampleInput } from '@noa/store'
import { createStatusPage } from '../src/status-page/page.ts'

const SERVICES = Number(process.env.BENCH_SERVICES ?? 200)
const DAYS = Number(process.env.BENCH_DAYS ?? 90)
const RUNS = 7
const MIN = 60_000
const HOUR = 60 * MIN
const DAY = 24 * HOUR
const NOW = Date.parse('2026-12-07T13:37:00.000Z')
const TODAY = Math.floor(NOW / DAY) * DAY
const start = TODAY - (DAYS - 1) * DAY

// BENCH_DB keeps the seeded database for the next run (seeding takes minutes on a busy machine).
const kept = process.env.BENCH_DB
const dir = mkdtempSync(join(tmpdir(), 'noa-bench-status-page-'))
const path = kept ?? join(dir, 'noa.db')
const seed = !(kept && existsSync(kept))
const store = await openStore({ type: 'sqlite', path })
const names = Array.from({ length: SERVICES }, (_, i) => `svc-${i}`)
try {
  const t0 = performance.now()
  let written = 0
  // Older days one sample every 5 minutes, or an hour past 30 days (the cost of the page depends on the rollup rows, one an
  // hour per service, not on the samples behind them); today every 10 s as the agent writes.
  for (let day = start; seed && day <= TODAY; day += DAY) {
    const every = day >= TODAY ? 10_000 : day >= TODAY - 29 * DAY ? 5 * MIN : HOUR
    for (let from = day; from < Math.min(day + DAY, NOW); from += 6 * HOUR) {
      const batch: SampleInput[] = []
      for (let t = from; t < Math.min(from + 6 * HOUR, NOW); t += every)
        for (let i = 0; i < SERVICES; i++)
          batch.push({
            name: 'noa_service_up',
            labels: { service: names[i] as string },
            // a short outage now and then, so the figures are not all 100 %
            value: (t / every + i * 7) % 997 < 3 ? 0 : 1,
            at: t,
          })
      await store.samples.append(batch)
      written += batch.length
    }
    for (;;) if ((await store.maintain(Math.min(day + DAY, NOW))).complete) break
  }
  const seeded = performance.now() - t0
  const cold: number[] = []
  const warm: number[] = []
  let services = 0
  for (let run = 0; run < RUNS; run++) {
    const clock = new FakeClock(NOW)
    // A page of its own each run: nothing cached, every day read.
    const page = createStatusPage({
      samples: store.samples,
      services: () => names.map((name) => ({ name, public: true, group: `g${name.length % 4}` })),
      state: () => 'healthy',
      settings: () => undefined,
      clock,
    })
    let t = performance.now()
    const body = await page.get()
    cold.push(performance.now() - t)
    services = body.groups.reduce((n, g) => n + g.services.length, 0)
    // 30 s later the page is computed again: whole days are kept, the last 24 hours read again.
    await clock.advance(30_000)
    t = performance.now()
    await page.get()
    warm.push(performance.now() - t)
  }
  const show = (what: string, took: number[]) => {
    took.sort((a, b) => a - b)
    return `${what}: median ${took[Math.floor(RUNS / 2)]?.toFixed(0)} ms (fastest ${took[0]?.toFixed(0)}, slowest ${took.at(-1)?.toFixed(0)})`
  }
  console.log(
    `status page on SQLite: ${services} public services x ${DAYS} days (${written.toLocaleString('en')} samples written${seed ? `, seeded in ${(seeded / 1000).toFixed(1)} s` : ' before'}), ${RUNS} runs`,
  )
  console.log(`  ${show('cold (every day read)', cold)}`)
  console.log(`  ${show('every 30 s after (days kept)', warm)}`)
} finally {
  await store.close()
  rmSync(dir, { recursive: true, force: true })
}
