// Three agents sharing a fresh PostgreSQL schema, for the leader-kill drill: each runs under
// noa's watchdog (`noa start --detach`, so the one a drill kills comes back), listens on a port
// of its own that survives its restart, checks every service, and restarts a service through
// the service host (an http executor every agent can use, as a real fleet's systemd or
// container runtime). stop() ends every agent, every service and drops the schema, even when
// a start failed half-way.
import { spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { clusterAgent } from '../src/drill/cluster-agents.ts'
import { dropSchema, freePort } from '../test/helpers.ts'
import { untilFleetHealthy } from './drill-fleet.ts'
import { type HostedService, type ServiceHost, startServiceHost } from './service-host.ts'

type Service = {
  name: string
  check: { url: string }
  executor?: { command?: string[] } & Record<string, unknown>
} & Record<string, unknown>

export interface DrillClusterOptions {
  /** One folder per agent; the first is the one `noa drill` runs in. */
  dirs: readonly string[]
  /** An agent config (the demo fleet's for drills): its services run under the local supervisor. */
  config: Record<string, unknown>
  /** How to run the noa CLI (node and its arguments). */
  noa: readonly string[]
  postgresUrl: string
  schema: string
  /** The agents' API token (NOA_API_TOKEN). */
  token: string
  /** The healing lease's TTL: how long a dead holder keeps a service. @default 3000 */
  leaseTtl?: number
  /** How long the watchdog waits before it starts a killed agent again. @default 1000 */
  restartDelay?: number
  /** Top-level config sections of the agent of folder `index`, over the shared ones. @default none */
  perAgent?: (index: number) => Record<string, unknown>
}

export interface DrillCluster {
  host: ServiceHost
  /** The env `noa drill` needs in the first folder (the config's placeholders, the token). */
  env: Record<string, string>
  /** Stops every agent (their watchdogs), every service, and drops the schema. */
  stop(): Promise<void>
}

/** Runs the noa CLI to its end in `cwd`; rejects with its output unless it exits 0. */
function runNoa(noa: readonly string[], args: string[], cwd: string, env: Record<string, string>) {
  return new Promise<void>((ok, fail) => {
    const child = spawn(noa[0]!, [...noa.slice(1), ...args], {
      cwd,
      env: { ...process.env, NOA_CONFIG: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4096)
    }
    child.stdout.on('data', keep)
    child.stderr.on('data', keep)
    child.once('error', fail)
    child.once('close', (code) =>
      code === 0 ? ok() : fail(new Error(`noa ${args.join(' ')} in ${cwd} exited ${code}:\n${output}`)),
    )
  })
}

/** Starts the service host and the agents; on any failure, stops what started and throws. */
export async function startDrillCluster(o: DrillClusterOptions): Promise<DrillCluster> {
  const services = o.config.services as Service[]
  const hosted: HostedService[] = services.map((s) => ({
    name: s.name,
    command: s.executor?.command ?? [],
    port: Number(new URL(s.check.url).port),
  }))
  const env = { NOA_PG: o.postgresUrl, NOA_API_TOKEN: o.token }
  let host: ServiceHost | undefined
  const started: string[] = []
  const stop = async () => {
    // `noa stop` ends the watchdog, which ends its agent; then the services and the schema
    await Promise.allSettled(started.map((dir) => runNoa(o.noa, ['stop', '--timeout', '5000'], dir, env)))
    await host?.stop()
    await dropSchema(o.postgresUrl, o.schema)
  }
  try {
    host = await startServiceHost(hosted)
    const base = host.base
    for (const [i, dir] of o.dirs.entries()) {
      const name = `agent-${i + 1}`
      const config = {
        ...o.config,
        services: services.map((s) => ({
          ...s,
          executor: {
            type: 'http',
            restart: {
              url: `${base}/restart/${encodeURIComponent(s.name)}`,
              headers: { 'x-agent': name },
              timeoutMs: 15_000,
            },
          },
        })),
        selfHealing: {
          ...(o.config.selfHealing as Record<string, unknown>),
          leaseTtl: o.leaseTtl ?? 3000,
        },
        dashboard: { enabled: true, host: '127.0.0.1', port: await freePort() },
        store: { type: 'postgres', connectionString: ['$', '{NOA_PG}'].join(''), schema: o.schema },
        // a drill kills agents again and again: the watchdog must not give up on them
        watchdog: { maxRestarts: 1000, window: 600_000, restartDelay: o.restartDelay ?? 1000 },
        ...o.perAgent?.(i),
      }
      mkdirSync(join(dir, 'config'), { recursive: true })
      writeFileSync(join(dir, 'config', 'monitoring-config.json'), JSON.stringify(config))
      started.push(dir)
      await runNoa(o.noa, ['start', '--detach'], dir, env)
    }
    // every agent checks every service: each must see the fleet up before a drill
    for (const dir of o.dirs) {
      const agent = clusterAgent(dir)
      if (typeof agent === 'string') throw new Error(agent)
      await untilFleetHealthy(
        agent.base,
        services.map((s) => s.name),
      )
    }
    return { host, env, stop }
  } catch (error) {
    await stop().catch(() => undefined)
    throw error
  }
}
