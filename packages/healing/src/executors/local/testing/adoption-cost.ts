// Measures what watching adopted processes costs the agent: CPU time of this process over
// a window with no supervisor, N spawned children, the same N children adopted (their exit
// polled in /proc every pollMs), and none again. Log size checks run every checkMs. The first
// window still pays for start-up compilation: the last one is the baseline. Run from
// packages/healing (the README quotes `50 30 250`):
//   node --import tsx --conditions=@noa/source src/executors/local/testing/adoption-cost.ts [N] [seconds] [pollMs] [checkMs]
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLocalExecutor, type LocalSupervisor, localExecutorSchema } from '../local.ts'
import { stopRecorded } from '../stop-recorded.ts'

const n = Number(process.argv[2] ?? 50)
const seconds = Number(process.argv[3] ?? 20)
const pollMs = Number(process.argv[4] ?? 250)
const checkMs = Number(process.argv[5] ?? 1000)
const dir = await mkdtemp(join(tmpdir(), 'noa-adoption-cost-'))
const runDir = join(dir, 'run')

const build = (i: number): LocalSupervisor =>
  createLocalExecutor(
    localExecutorSchema.parse({
      type: 'local',
      command: ['sleep', '3600'],
      logs: { dir, checkIntervalMs: checkMs },
      adoptedPollMs: pollMs,
    }),
    { service: `svc-${i}`, runDir },
  )

/** CPU time (user + system) this process spends during the window, as a share of one core. */
async function measure(label: string): Promise<void> {
  const start = process.cpuUsage()
  const t0 = performance.now()
  await new Promise((r) => setTimeout(r, seconds * 1000))
  const used = process.cpuUsage(start)
  const cpuMs = (used.user + used.system) / 1000
  const wallMs = performance.now() - t0
  console.log(
    `${label}: ${cpuMs.toFixed(1)} ms CPU in ${(wallMs / 1000).toFixed(1)} s = ${((100 * cpuMs) / wallMs).toFixed(3)} % of one core`,
  )
}

try {
  await new Promise((r) => setTimeout(r, 3000)) // past start-up compilation
  await measure('idle, no supervisor')
  const first = Array.from({ length: n }, (_, i) => build(i))
  for (const s of first) await s.start()
  await measure(`${n} spawned children (exit event, log size check every ${checkMs} ms)`)
  for (const s of first) await s.release()
  const second = Array.from({ length: n }, (_, i) => build(i))
  for (const s of second) {
    const r = await s.start()
    if (r.output?.startsWith('adopted') !== true) throw new Error(`not adopted: ${r.output}`)
  }
  await measure(`${n} adopted children (/proc polled every ${pollMs} ms, log size check every ${checkMs} ms)`)
  for (const s of second) await s.release()
  await measure('idle again, all released')
} finally {
  console.log(await stopRecorded(runDir, { timeoutMs: 2000 }).then((r) => `stopped ${r.length}`))
  await rm(dir, { recursive: true, force: true })
}
