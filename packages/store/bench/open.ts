// What the integrity check costs when a sqlite store opens: `pnpm --filter @noa/store bench:open`.
// Builds a store file of NOA_BENCH_OPEN_MB megabytes (200 by default, about 8 million samples;
// it takes a minute or two), then opens it with `integrityCheck: 'quick'` and, as the peer,
// with the check off, and prints the medians and the difference. When the page cache can
// be dropped (root, /proc/sys/vm/drop_caches writable), one cold open of each is measured too.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SampleInput } from '../src/index.ts'
import { createSqliteStore } from '../src/sqlite.ts'

const targetMb = Number(process.env.NOA_BENCH_OPEN_MB ?? 200)
const RUNS = 5
const dir = mkdtempSync(join(tmpdir(), 'noa-store-bench-open-'))
const path = join(dir, 'noa.db')
const T0 = Date.parse('2026-10-01T00:00:00.000Z')

async function build(): Promise<void> {
  const store = await createSqliteStore({ path })
  for (let k = 0; statSync(path).size < targetMb * 1e6; k += 50)
    for (let r = 0; r < 50; r++) {
      const batch: SampleInput[] = new Array(1000)
      for (let i = 0; i < 1000; i++)
        batch[i] = {
          name: 'bench_value',
          labels: { host: `h${i % 100}` },
          value: Math.random() * 100,
          at: T0 + ((k + r) * 10 + Math.floor(i / 100)) * 10_000,
        }
      await store.samples.append(batch)
    }
  await store.close()
}

async function openMs(integrityCheck: 'quick' | 'off'): Promise<number> {
  const started = performance.now()
  const store = await createSqliteStore({ path, integrityCheck })
  const ms = performance.now() - started
  await store.close()
  return ms
}

function dropPageCache(): boolean {
  try {
    execFileSync('sync')
    writeFileSync('/proc/sys/vm/drop_caches', '1')
    return true
  } catch {
    return false
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number

async function main() {
  console.log(`@noa/store open bench: Node ${process.version}, ${new Date().toISOString()}`)
  await build()
  const mb = statSync(path).size / 1e6
  await openMs('off') // warm the page cache
  const off: number[] = []
  const quick: number[] = []
  for (let i = 0; i < RUNS; i++) {
    off.push(await openMs('off'))
    quick.push(await openMs('quick'))
  }
  const rows = [
    { open: 'integrityCheck off (peer), warm', 'median ms': median(off).toFixed(1) },
    { open: "integrityCheck 'quick', warm", 'median ms': median(quick).toFixed(1) },
  ]
  if (dropPageCache()) {
    const coldOff = await openMs('off')
    dropPageCache()
    rows.push(
      { open: 'integrityCheck off (peer), cold', 'median ms': coldOff.toFixed(1) },
      { open: "integrityCheck 'quick', cold", 'median ms': (await openMs('quick')).toFixed(1) },
    )
  }
  console.log(`store file: ${mb.toFixed(1)} MB`)
  console.table(rows)
  console.log(
    `the check adds ${(median(quick) - median(off)).toFixed(0)} ms warm, ${((median(quick) - median(off)) / mb).toFixed(2)} ms per MB`,
  )
}

main()
  .catch((error: unknown) => {
    console.error(error)
    process.exitCode = 1
  })
  .finally(() => rmSync(dir, { recursive: true, force: true }))
