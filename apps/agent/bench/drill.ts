// `pnpm drill`: every supported drill, round after round, on the demo fleet run by a real agent
// in a folder of its own (it does not need, nor touch, an agent started with `pnpm start`), then
// the benchmark figures of issue 16: crash detect and repair p50/p95, hang detect, memory and
// bad-deploy detect and repair, the share of drills healed or escalated, double actions and false alerts.
//
//   pnpm drill                      # 17 rounds of the 9 supported faults: 153 drills
//   pnpm drill -- --rounds 2 crash  # two crash drills
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { main } from '../src/cli.ts'
import { drillFigures, formatFigures, formatTable } from '../src/drill/report.ts'
import type { DrillResult } from '../src/drill/types.ts'
import { startDrillFleet } from './drill-fleet.ts'

const { values, positionals } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  allowPositionals: true,
  options: { rounds: { type: 'string', default: '17' } },
})
const dir = mkdtempSync(join(tmpdir(), 'noa-drill-'))
const token = `drill-${Math.random().toString(36).slice(2)}`
console.log(`starting the demo fleet's agent in ${dir}`)
const agent = await startDrillFleet(dir, token)
let out = ''
let code = 1
const started = Date.now()
try {
  code = await main(['drill', ...positionals, '--rounds', values.rounds, '--json'], {
    out: (line) => {
      out += `${line}\n`
    },
    err: (line) => console.error(line),
    env: { ...process.env, NOA_API_TOKEN: token },
    cwd: dir,
  })
} finally {
  await agent.stop()
  rmSync(dir, { recursive: true, force: true })
}
const results = JSON.parse(out || '[]') as DrillResult[]
console.log(`\n${formatTable(results)}\n`)
console.log(`${results.length} drills in ${((Date.now() - started) / 1000).toFixed(0)} s (exit code ${code})`)
console.log(formatFigures(drillFigures(results)))
process.exitCode = code
