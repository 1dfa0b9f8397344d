import { errorMessage } from '@noa/core'
import type { AgentConfig } from '../config/schema.ts'
import { AgentClient } from '../drill/agent-client.ts'
import { FAULT_DRIVERS } from '../drill/drivers.ts'
import type { FaultContext } from '../drill/fault.ts'
import { planDrills } from '../drill/plan.ts'
import { restoreLeftBackup } from '../drill/proxy-faults.ts'
import { formatTable, progressLine } from '../drill/report.ts'
import { Restorer, restoreOnInterrupt } from '../drill/restore.ts'
import { runDrills } from '../drill/runner.ts'
import { DRILL_FAULTS, type DrillFault, type DrillResult } from '../drill/types.ts'
import { alive, type Located, readInfo } from './paths.ts'

export interface DrillCommand {
  located: Located
  config: AgentConfig
  faults: string[]
  service?: string
  rounds?: string
  timeout?: string
  /** The folders of the other agents sharing the store (leader-kill), absolute. */
  peers?: readonly string[]
  json: boolean
  yes: boolean
  /** The config file was put back from a killed drill's backup (see {@link putBackConfig}): reload the agent. */
  restoredConfig?: boolean
  env: NodeJS.ProcessEnv
  out: (line: string) => void
  err: (line: string) => void
}

/**
 * Puts back a config file that a killed drill left rewritten (it reroutes checks through its
 * proxy), before the config is read; true when it did.
 */
export function putBackConfig(file: string, err: (line: string) => void): boolean {
  if (!restoreLeftBackup(file)) return false
  err(`noa drill: put back ${file}, left rewritten by a drill that was killed`)
  return true
}

/** The base URL of the agent running with this config folder, or undefined when none runs. */
export async function runningAgent(baseDir: string): Promise<string | undefined> {
  const info = readInfo(baseDir)
  if (!info || !alive(info.pid)) return undefined
  const base = `http://${info.host.includes(':') ? `[${info.host}]` : info.host}:${info.port}`
  try {
    const res = await fetch(`${base}/api/health`, { signal: AbortSignal.timeout(5000) })
    await res.arrayBuffer()
    return base
  } catch {
    return undefined
  }
}

/**
 * `noa drill [fault...] [--service name] [--rounds n] [--timeout ms] [--peer dir]... [--json] [--yes]`: runs the
 * drills against the agent that runs with this config, prints a table (or JSON), keeps the run in
 * the agent (`POST /api/drills`) and exits 0 when every drill healed or escalated, 1 when one
 * failed or none could run, 2 for bad usage or a refused service, 130 when interrupted.
 */
export async function drillCommand(cmd: DrillCommand): Promise<number> {
  const unknown = cmd.faults.filter((f) => !(DRILL_FAULTS as readonly string[]).includes(f))
  if (unknown.length > 0) {
    cmd.err(
      `noa drill: unknown fault ${unknown.map((f) => JSON.stringify(f)).join(', ')}; known: ${DRILL_FAULTS.join(', ')}`,
    )
    return 2
  }
  const rounds = cmd.rounds === undefined ? 1 : Number(cmd.rounds)
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 1000) {
    cmd.err(`noa drill: --rounds must be a whole number from 1 to 1000; found ${cmd.rounds}`)
    return 2
  }
  const timeoutMs = cmd.timeout === undefined ? undefined : Number(cmd.timeout)
  if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs >= 1000)) {
    cmd.err(`noa drill: --timeout must be a number of ms, at least 1000; found ${cmd.timeout}`)
    return 2
  }

  const base = await runningAgent(cmd.located.baseDir)
  if (!base) {
    cmd.err(
      `noa drill: no agent runs with ${cmd.located.file} (start it with \`noa start\`; drills act through it)`,
    )
    return 1
  }
  if (cmd.restoredConfig) {
    if (cmd.env.NOA_API_TOKEN) await new AgentClient(base, cmd.env.NOA_API_TOKEN).post('/api/reload', {})
    else cmd.err('noa drill: reload the agent (SIGHUP or POST /api/reload) to apply the file put back')
  }
  const restorer = new Restorer()
  const ctx: FaultContext = {
    config: cmd.config,
    configFile: cmd.located.file,
    baseDir: cmd.located.baseDir,
    api: new AgentClient(base, cmd.env.NOA_API_TOKEN || undefined),
    restorer,
    peers: cmd.peers ?? [],
  }
  const plan = await planDrills(
    {
      faults: cmd.faults as DrillFault[],
      ...(cmd.service ? { service: cmd.service } : {}),
      rounds,
      yes: cmd.yes,
    },
    FAULT_DRIVERS,
    ctx,
  )
  if (!plan.ok) {
    for (const problem of plan.problems) cmd.err(`noa drill: ${problem}`)
    return 2
  }
  for (const note of plan.notes) cmd.err(`noa drill: ${note}`)
  if (plan.items.length === 0) {
    cmd.err('noa drill: nothing to drill')
    return 1
  }

  const abort = new AbortController()
  const interrupt = restoreOnInterrupt(restorer, abort, cmd.err)
  const startedAt = Date.now()
  let results: DrillResult[] = []
  let shown = ''
  try {
    results = await runDrills({
      items: plan.items,
      ctx,
      drivers: FAULT_DRIVERS,
      signal: abort.signal,
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      progress: (p) => {
        // one line per phase: a terminal and a log file read the same
        const key = `${p.index}:${p.phase}`
        if (key === shown) return
        shown = key
        cmd.err(progressLine(p))
      },
    })
  } catch (error) {
    cmd.err(`noa drill: ${errorMessage(error)}`)
  } finally {
    await interrupt.restoring()
    for (const line of await restorer.restoreAll()) cmd.err(`noa drill: could not restore ${line}`)
    interrupt.dispose()
  }
  const finishedAt = Date.now()

  if (cmd.json) cmd.out(JSON.stringify(results, null, 2))
  else if (results.length > 0) cmd.out(formatTable(results))
  if (results.length > 0) await keepRun(ctx.api, { startedAt, finishedAt, results }, cmd.err)
  if (abort.signal.aborted) return 130
  return results.length > 0 && results.every((r) => r.outcome !== 'failed') ? 0 : 1
}

/** Sends the run to the agent, which keeps it for the dashboard's Drills page. */
export async function keepRun(
  api: AgentClient,
  run: { startedAt: number; finishedAt: number; results: DrillResult[] },
  err: (line: string) => void,
): Promise<void> {
  if (!api.hasToken) {
    err('noa drill: results not kept by the agent: set NOA_API_TOKEN to keep them')
    return
  }
  try {
    const answer = await api.post<{ drill?: { id: string }; error?: string }>('/api/drills', run)
    if (answer.status === 201) err(`noa drill: kept by the agent as drill ${answer.body.drill?.id}`)
    // 404 or 405: the agent has no such route (an older agent)
    else if (answer.status === 404 || answer.status === 405)
      err('noa drill: this agent does not keep drills (no /api/drills); results not kept')
    else
      err(
        `noa drill: the agent did not keep the results (${answer.status}: ${answer.body.error ?? 'no reason given'})`,
      )
  } catch (error) {
    err(`noa drill: the agent did not keep the results: ${errorMessage(error)}`)
  }
}
