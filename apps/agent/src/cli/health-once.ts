import { errorMessage, noopLogger, systemClock } from '@noa/core'
import { createHealthMonitor } from '@noa/health'
import { createMemoryStore } from '@noa/store'
import type { AgentConfig } from '../config/schema.ts'
import { overallOf, tallyOf } from '../fleet-health.ts'
import type { MaintenanceWindow } from '../http/api-types.ts'
import { createMaintenanceWindows } from '../maintenance/windows.ts'
import { agentUrl, type Located } from './paths.ts'

/** What `noa health once` needs from the command line. */
export interface HealthOnceCommand {
  located: Located
  config: AgentConfig
  json: boolean
  env: NodeJS.ProcessEnv
  out: (line: string) => void
  err: (line: string) => void
}

/**
 * `noa health once`: runs every check now, in this process, and prints each service and the
 * overall status, where a down service a maintenance window covers is not counted down (as in
 * the agent's `/api/summary`). Exit 0 when the overall status is healthy, 1 otherwise.
 */
export async function healthOnce(cmd: HealthOnceCommand): Promise<number> {
  const { config } = cmd
  const monitor = createHealthMonitor({
    services: config.services.map(({ metrics: _m, executor: _e, healing: _h, ...check }) => check),
    concurrency: config.healthChecks.concurrency,
  })
  if (!cmd.json) cmd.err(`checking ${monitor.services.length} services...`)
  const [summary, covered] = await Promise.all([monitor.runOnce(), coveredNow(cmd)])
  await monitor.stop()
  const overall = overallOf(tallyOf(summary.services, (name) => covered.has(name)))
  const maintenance = summary.services.filter((s) => covered.has(s.service)).map((s) => s.service)
  if (cmd.json) cmd.out(JSON.stringify({ ...summary, overall, maintenance }, null, 2))
  else {
    for (const s of summary.services)
      cmd.out(
        `${s.state === 'healthy' ? '✓' : '✗'} ${s.service}: ${s.state}${covered.has(s.service) ? ' [maintenance]' : ''}${s.lastResult?.message ? ` (${s.lastResult.message})` : ''}${s.lastResult ? ` ${Math.round(s.lastResult.durationMs)} ms` : ''}`,
      )
    const inMaintenance = maintenance.length > 0 ? `, ${maintenance.length} in maintenance` : ''
    cmd.out(
      `Summary: ${summary.counts.healthy}/${summary.services.length} healthy${inMaintenance}; overall ${overall}`,
    )
  }
  return overall === 'healthy' ? 0 : 1
}

/**
 * The services a maintenance window covers now: the config file's windows, evaluated here, and
 * the windows opened through the API of the agent running here (or at NOA_API_URL), when there
 * is one. An agent that cannot be asked is said on stderr; its windows then do not count.
 */
async function coveredNow(cmd: HealthOnceCommand): Promise<Set<string>> {
  const { config } = cmd
  const store = createMemoryStore({ maxSnapshots: 1 })
  const windows = createMaintenanceWindows({
    windows: config.maintenance,
    services: config.services,
    store: store.maintenanceWindows,
    clock: systemClock,
    logger: noopLogger,
  })
  const covered = new Set<string>()
  try {
    await windows.start()
    for (const s of config.services) if (windows.covering(s.name)) covered.add(s.name)
  } finally {
    windows.stop()
    await store.close()
  }
  const base = agentUrl(cmd.located, cmd.env)
  if (!base) return covered
  try {
    const token = cmd.env.NOA_API_TOKEN
    const res = await fetch(`${base}/api/maintenance?state=active`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      signal: AbortSignal.timeout(5000),
    })
    if (!res.ok) throw new Error(`the agent answered ${res.status}`)
    const { maintenance } = (await res.json()) as { maintenance: MaintenanceWindow[] }
    for (const w of maintenance)
      for (const s of config.services)
        if (w.services.includes(s.name) || w.tags.some((t) => s.tags?.includes(t))) covered.add(s.name)
  } catch (error) {
    cmd.err(
      `noa: the running agent's maintenance windows are unknown (${errorMessage(error)}); only the config file's count`,
    )
  }
  return covered
}
