// `pnpm drill`: every supported drill, round after round, on the demo fleet run by a real agent
// in a folder of its own (it does not need, nor touch, an agent started with `pnpm start`), then
// the benchmark figures of issue 16: crash detect and repair p50/p95, hang detect, memory and
// bad-deploy detect and repair, the share of drills healed or escalated, double actions and false alerts.
// leader-kill runs on three agents of the demo fleet sharing a fresh PostgreSQL schema
// (NOA_TEST_POSTGRES_URL or --postgres <url>); without PostgreSQL it is skipped, saying so.
//
//   pnpm drill                                # 17 rounds of the 9 single-agent faults (153 drills),
//                                             # then 17 of leader-kill on three agents
//   pnpm drill -- --rounds 2 crash            # two crash drills
//   pnpm drill -- --rounds 3 leader-kill      # three leader-kill drills (needs PostgreSQL)
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { main } from '../src/cli.ts'
import { FAULT_DRIVERS } from '../src/drill/drivers.ts'
import { drillFigures, formatFigures, formatTable, percentile } from '../src/drill/report.ts'
import { DRILL_FAULTS, type DrillResult } from '../src/drill/types.ts'
import { startDrillCluster } from './drill-cluster.ts'
import { drillFleetConfig, startDrillFleet } from './drill-fleet.ts'

const { values, positionals } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  allowPositionals: true,
  options: { rounds: { type: 'string', default: '17' }, postgres: { type: 'string' } },
})
const asked = positionals.length > 0 ? positionals : DRILL_FAULTS.filter((f) => f in FAULT_DRIVERS)
const alone = asked.filter((f) => f !== 'leader-kill')
const postgres = values.postgres ?? process.env.NOA_TEST_POSTGRES_URL
const token = `drill-${Math.random().toString(36).slice(2)}`
const started = Date.now()
const results: DrillResult[] = []
let code = 0

/** Runs `noa drill <args> --json` in `cwd` and keeps its results; the exit code is the worst seen. */
async function drill(args: string[], cwd: string, env: Record<string, string>): Promise<void> {
  let out = ''
  const exit = await main(['drill', ...args, '--rounds', values.rounds, '--json'], {
    out: (line) => {
      out += `${line}\n`
    },
    err: (line) => console.error(line),
    env: { ...process.env, ...env },
    cwd,
  })
  code = Math.max(code, exit)
  results.push(...(JSON.parse(out || '[]') as DrillResult[]))
}

if (alone.length > 0) {
  const dir = mkdtempSync(join(tmpdir(), 'noa-drill-'))
  console.log(`starting the demo fleet's agent in ${dir}`)
  const agent = await startDrillFleet(dir, token)
  try {
    await drill(alone, dir, { NOA_API_TOKEN: token })
  } finally {
    await agent.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

let leaderKill = ''
if (asked.includes('leader-kill')) {
  if (!postgres)
    leaderKill =
      'leader-kill: skipped, it needs several agents on PostgreSQL (set NOA_TEST_POSTGRES_URL or pass --postgres <url>)'
  else {
    const dirs = [0, 1, 2].map(() => mkdtempSync(join(tmpdir(), 'noa-drill-cluster-')))
    const schema = `noa_drill_${process.pid}_${Date.now().toString(36)}`
    console.log(
      `starting three agents of the demo fleet on PostgreSQL schema ${schema} in ${dirs.join(', ')}`,
    )
    const config = await drillFleetConfig()
    const bin = resolve(import.meta.dirname, '..', 'bin', 'noa.mjs')
    try {
      const cluster = await startDrillCluster({
        dirs,
        config: { ...config, metrics: { enabled: false } },
        noa: [process.execPath, bin],
        postgresUrl: postgres,
        schema,
        token,
      })
      let restarts = 0
      try {
        await drill(['leader-kill', '--peer', dirs[1]!, '--peer', dirs[2]!], dirs[0]!, cluster.env)
        for (const by of cluster.host.restarts.values()) restarts += by.length
      } finally {
        await cluster.stop()
      }
      // the service manager's own count: a restart no agent recorded would show here
      leaderKill = `${leaderKillFigures(results.filter((r) => r.fault === 'leader-kill'))}; restarts done by the service manager: ${restarts}`
    } finally {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
    }
  }
}

/** The leader-kill line: the share healed, the repair times and the double actions of every agent. */
function leaderKillFigures(kills: readonly DrillResult[]): string {
  const healed = kills.filter((r) => r.outcome === 'healed').length
  const repairs = kills.flatMap((r) => (r.repairMs === null ? [] : [r.repairMs]))
  const ms = (v: number | null) => (v === null ? '-' : `${Math.round(v)} ms`)
  return `leader-kill (3 agents on PostgreSQL): ${kills.length} drills, healed ${healed} (${kills.length === 0 ? 0 : ((100 * healed) / kills.length).toFixed(1)} %); repair p50 ${ms(percentile(repairs, 0.5))}, p95 ${ms(percentile(repairs, 0.95))}; double actions ${kills.reduce((n, r) => n + r.doubleActions, 0)}`
}

console.log(`\n${formatTable(results)}\n`)
console.log(`${results.length} drills in ${((Date.now() - started) / 1000).toFixed(0)} s (exit code ${code})`)
console.log(formatFigures(drillFigures(results)))
if (leaderKill) console.log(leaderKill)
process.exitCode = code
