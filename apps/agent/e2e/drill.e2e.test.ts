import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AgentProcess } from '../bench/agent-process.ts'
import { startDrillFleet } from '../bench/drill-fleet.ts'
import { main } from '../src/cli.ts'
import type { DrillResult } from '../src/drill/types.ts'

// A short drill on the demo fleet run by the built agent: outcomes and counts, not times
// (times are `pnpm drill`'s benchmark figures).
describe('noa drill on the demo fleet', () => {
  let dir: string
  let agent: AgentProcess
  const token = `e2e-${Math.random().toString(36).slice(2)}`

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'noa-drill-e2e-'))
    agent = await startDrillFleet(dir, token)
  })
  afterAll(async () => {
    await agent?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('should see a crash, a hang, a dependency down, a memory growth and a bad deploy healed, each by one action and with no false alert', async () => {
    const out: string[] = []
    const err: string[] = []
    const code = await main(['drill', 'crash', 'hang', 'dependency-down', 'memory', 'bad-deploy', '--json'], {
      out: (line) => out.push(line),
      err: (line) => err.push(line),
      env: { ...process.env, NOA_API_TOKEN: token },
      cwd: dir,
    })
    const results = JSON.parse(out.join('\n')) as DrillResult[]
    const why = `${JSON.stringify(results, null, 2)}\n${err.join('\n')}`
    expect(
      results.map((r) => [r.fault, r.outcome]),
      why,
    ).toEqual([
      ['crash', 'healed'],
      ['hang', 'healed'],
      ['dependency-down', 'healed'],
      ['memory', 'healed'],
      ['bad-deploy', 'healed'],
    ])
    for (const r of results) {
      expect(r.detectMs, why).not.toBeNull()
      expect(r.alertMs, why).not.toBeNull()
      expect(r.repairMs, why).not.toBeNull()
      expect(r.actions, why).toHaveLength(1)
      expect(r.doubleActions, why).toBe(0)
      expect(r.falseAlerts, why).toBe(0)
    }
    // dependency first: the stopped dependency is restarted, not the service that needs it
    const dependency = results[2]!
    expect(dependency.actions[0], why).not.toMatch(new RegExp(`^${dependency.service}:`))
    // the demo's memory rule fired and restarted the service gracefully
    const memory = results[3]!
    expect(memory.actions[0], why).toBe(`${memory.service}: graceful-restart (memory-leak) succeeded`)
    // the demo's bad-deploy rule fired; the drill approved the rollback, which put the good version back
    const deploy = results[4]!
    expect(deploy.actions[0], why).toBe(`${deploy.service}: rollback (deployment-failure) succeeded`)
    expect(code, why).toBe(0)
  })
})
