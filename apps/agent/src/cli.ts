import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { errorMessage, type HealingRecord } from '@noa/core'
import { Agent, COMPONENTS, type Component } from './agent.ts'
import { runWatchdog, startDetached, stopAgent } from './cli/daemon.ts'
import { drillCommand, putBackConfig } from './cli/drill.ts'
import { healthOnce } from './cli/health-once.ts'
import { ackIncident, listIncidents, runningAgent } from './cli/incidents.ts'
import { maintenanceCommand } from './cli/maintenance.ts'
import { alive, type Located, locateConfig, readInfo } from './cli/paths.ts'
import { runAgent } from './cli/start.ts'
import { formatStatus, gatherStatus } from './cli/status.ts'
import { formatConfigIssues, loadConfigFile } from './config/load.ts'
import type { AgentConfig } from './config/schema.ts'

const USAGE = `noa: monitoring and self-healing for your services

usage:
  noa start [all|health|metrics|dashboard|healing] [--config file] [--detach]
  noa stop [--timeout ms]
  noa status [--json]
  noa health once [--json]
  noa metrics once [--json]
  noa heal <trigger> <service> [--dry-run] [--json]
  noa drill [fault...] [--service name] [--rounds n] [--timeout ms] [--peer dir]... [--json] [--yes]
  noa maintenance start <service>... --for 30m --reason <why> [--tag t]... | list | end <id>
  noa incidents [--state open|acknowledged|resolved] [--service name] [--json]
  noa ack <incident-id> [--note text]
  noa validate [file]

Drill faults: crash, hang, slow, errors, dependency-down, memory, flapping, bad-deploy,
store-down, leader-kill. bad-deploy approves the rollback noa asks for through the
agent's API: it needs NOA_API_TOKEN. store-down locks the agent's store (SQLite file or
PostgreSQL tables) while it crashes the service, then checks that the healing and alerts
reached the store once it is released. leader-kill crashes a service and kills the agent
holding its healing lease: it needs a PostgreSQL store shared with the agents named by
--peer <their folder>, every agent started with \`noa start --detach\` (its watchdog
brings the killed one back).

\`noa maintenance\` talks to the running agent (or NOA_API_URL); opening and ending a window
needs NOA_API_TOKEN. Inside a window noa neither notifies about nor heals the services it covers.

The config is --config, else NOA_CONFIG, else config/monitoring-config.json (or .yaml) in
this folder or the nearest parent. Exit codes: 0 success, 1 failure, 2 invalid config or usage.`

/** Output streams of the CLI, replaceable in tests. */
export interface CliIo {
  out: (line: string) => void
  err: (line: string) => void
  env: NodeJS.ProcessEnv
  cwd: string
  /** Ends a foreground `start` or the watchdog like SIGTERM (embedding, tests). */
  signal?: AbortSignal
  /** How to run this CLI again as a process. @default this process's node arguments and script */
  command?: readonly string[]
}

const defaultIo = (): CliIo => ({
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
  cwd: process.cwd(),
})

function load(located: Located, io: CliIo): AgentConfig | undefined {
  const result = loadConfigFile(located.file, io.env)
  if (result.ok) return result.config
  io.err(
    `noa: ${located.file} is invalid (${result.issues.length} problem${result.issues.length === 1 ? '' : 's'}):`,
  )
  for (const line of formatConfigIssues(result.issues)) io.err(line)
  return undefined
}

/**
 * The `noa` command line. Returns the exit code; `start` resolves only when the agent stops.
 *
 * @example
 * ```ts
 * process.exitCode = await main(['validate', 'config/monitoring-config.json'])
 * ```
 */
export async function main(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  let parsed: ReturnType<typeof parse>
  function parse() {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: 'string', short: 'c' },
        detach: { type: 'boolean', short: 'd' },
        json: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        timeout: { type: 'string' },
        service: { type: 'string' },
        rounds: { type: 'string' },
        peer: { type: 'string', multiple: true },
        yes: { type: 'boolean', short: 'y' },
        for: { type: 'string' },
        reason: { type: 'string' },
        tag: { type: 'string', multiple: true },
        state: { type: 'string' },
        note: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    })
  }
  try {
    parsed = parse()
  } catch (error) {
    io.err(`noa: ${errorMessage(error)}`)
    io.err(USAGE)
    return 2
  }
  const { values, positionals } = parsed
  const [command, ...rest] = positionals
  if (values.help || command === undefined || command === 'help') {
    io.out(USAGE)
    return command === undefined && !values.help ? 2 : 0
  }

  if (command === 'validate') {
    const located = locateConfig(rest[0] ?? values.config, io.env, io.cwd)
    const result = loadConfigFile(located.file, io.env)
    if (!result.ok) {
      for (const line of formatConfigIssues(result.issues)) io.err(line)
      io.err(`${located.file}: ${result.issues.length} problem${result.issues.length === 1 ? '' : 's'}`)
      return 2
    }
    if (values.json)
      io.out(JSON.stringify({ ok: true, file: located.file, services: result.config.services.length }))
    else io.out(`${located.file}: valid (${result.config.services.length} services)`)
    return 0
  }

  const located = locateConfig(values.config, io.env, io.cwd)
  if (command === 'stop') {
    const grace = values.timeout === undefined ? 10_000 : Number(values.timeout)
    if (!Number.isFinite(grace) || grace < 0) {
      io.err(`noa: --timeout must be a number of ms; found ${values.timeout}`)
      return 2
    }
    return stopAgent(located.baseDir, grace, io.out)
  }

  if (command === 'incidents' || command === 'ack') {
    if (command === 'ack' && !rest[0]) return usage(io, 'noa ack <incident-id> [--note text]')
    const url = runningAgent(located, io.err)
    if (!url) return 1
    const to = {
      url,
      out: io.out,
      err: io.err,
      ...(io.env.NOA_API_TOKEN ? { token: io.env.NOA_API_TOKEN } : {}),
    }
    return command === 'ack'
      ? ackIncident(to, rest[0]!, values.note)
      : listIncidents(to, {
          ...(values.state !== undefined ? { state: values.state } : {}),
          ...(values.service !== undefined ? { service: values.service } : {}),
          json: values.json === true,
        })
  }

  const restoredConfig = command === 'drill' && putBackConfig(located.file, io.err)
  const config = load(located, io)
  if (!config) return 2

  switch (command) {
    case 'start':
    case '__watchdog': {
      const which = rest[0] ?? 'all'
      if (which !== 'all' && !(COMPONENTS as readonly string[]).includes(which)) {
        io.err(`noa: unknown component ${JSON.stringify(which)}; allowed: all, ${COMPONENTS.join(', ')}`)
        return 2
      }
      const components: Component[] = which === 'all' ? [...COMPONENTS] : [which as Component]
      const args = {
        configFile: located.file,
        baseDir: located.baseDir,
        components: rest.slice(0, 1),
        config,
      }
      if (command === '__watchdog')
        return runWatchdog(args, {
          ...(io.command ? { command: io.command } : {}),
          ...(io.signal ? { signal: io.signal } : {}),
        })
      if (values.detach) return startDetached(args, io.out, io.command)
      const info = readInfo(located.baseDir)
      if (info && info.pid !== process.pid && alive(info.pid) && !io.env.NOA_SUPERVISED) {
        io.err(`noa is already running (agent PID ${info.pid}); \`noa stop\` first`)
        return 1
      }
      return runAgent({
        config,
        configFile: located.file,
        baseDir: located.baseDir,
        components,
        env: io.env,
        print: io.out,
        ...(io.signal ? { signal: io.signal } : {}),
      })
    }
    case 'status': {
      const report = await gatherStatus(located.baseDir, config)
      io.out(values.json ? JSON.stringify(report, null, 2) : formatStatus(report))
      return report.components.some((c) => c.name === 'agent' && c.state === 'running') ? 0 : 1
    }
    case 'drill':
      return drillCommand({
        located,
        config,
        faults: rest,
        ...(values.service !== undefined ? { service: values.service } : {}),
        ...(values.rounds !== undefined ? { rounds: values.rounds } : {}),
        ...(values.timeout !== undefined ? { timeout: values.timeout } : {}),
        peers: (values.peer ?? []).map((dir) => resolve(io.cwd, dir)),
        json: values.json === true,
        yes: values.yes === true,
        restoredConfig,
        env: io.env,
        out: io.out,
        err: io.err,
      })
    case 'maintenance':
      return maintenanceCommand({
        located,
        args: rest,
        ...(values.for !== undefined ? { for: values.for } : {}),
        ...(values.reason !== undefined ? { reason: values.reason } : {}),
        ...(values.tag ? { tags: values.tag } : {}),
        json: values.json === true,
        env: io.env,
        out: io.out,
        err: io.err,
      })
    case 'health':
      if (rest[0] !== 'once') return usage(io, 'noa health once')
      return healthOnce({
        located,
        config,
        json: values.json === true,
        env: io.env,
        out: io.out,
        err: io.err,
      })
    case 'metrics': {
      if (rest[0] !== 'once') return usage(io, 'noa metrics once')
      const agent = await Agent.create(
        { ...config, store: { type: 'memory' } },
        {
          baseDir: located.baseDir,
          components: ['metrics'],
        },
      )
      try {
        if (!values.json) io.err('collecting one snapshot...')
        const { snapshot } = await agent.collect()
        io.out(JSON.stringify(snapshot, null, values.json ? 0 : 2))
        return 0
      } finally {
        await agent.stop()
      }
    }
    case 'heal': {
      const [trigger, service] = rest
      if (!trigger || !service) return usage(io, 'noa heal <trigger> <service> [--dry-run]')
      if (!config.services.some((s) => s.name === service)) {
        io.err(
          `noa: unknown service ${JSON.stringify(service)}; known: ${config.services.map((s) => s.name).join(', ')}`,
        )
        return 2
      }
      const record = await heal(located, config, io, trigger, service, values['dry-run'] === true)
      if (!record) return 1
      if (values.json) io.out(JSON.stringify(record, null, 2))
      else {
        io.out(
          `${record.service}: ${record.strategy} for ${record.trigger} -> ${record.outcome}${record.reason ? ` (${record.reason})` : ''}`,
        )
        for (const step of record.steps)
          io.out(
            `  ${step.ok ? '✓' : '✗'} ${step.name} ${step.endedAt - step.startedAt} ms${step.error ? `: ${step.error}` : ''}`,
          )
      }
      return ['succeeded', 'dry-run', 'skipped', 'running', 'awaiting-approval'].includes(record.outcome)
        ? 0
        : 1
    }
    default:
      io.err(`noa: unknown command ${JSON.stringify(command)}`)
      io.err(USAGE)
      return 2
  }
}

function usage(io: CliIo, text: string): number {
  io.err(`usage: ${text}`)
  return 2
}

/** Heals through the running agent's API when there is one (it owns the processes), else in this process. */
async function heal(
  located: Located,
  config: AgentConfig,
  io: CliIo,
  trigger: string,
  service: string,
  dryRun: boolean,
): Promise<HealingRecord | undefined> {
  const info = readInfo(located.baseDir)
  if (info && alive(info.pid)) {
    const token = io.env.NOA_API_TOKEN
    if (!token) {
      io.err('noa: the agent is running; set NOA_API_TOKEN to ask it to heal')
      return undefined
    }
    const res = await fetch(`http://${info.host}:${info.port}/api/heal/${encodeURIComponent(service)}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ trigger, dryRun }),
    })
    const body = (await res.json()) as { healing?: HealingRecord; error?: string }
    if (!res.ok || !body.healing) {
      io.err(`noa: the agent answered ${res.status}: ${body.error ?? 'no healing'}`)
      return undefined
    }
    return body.healing
  }
  const agent = await Agent.create(config, { baseDir: located.baseDir, components: ['healing'] })
  try {
    io.err(`healing ${service} (${trigger})${dryRun ? ' as a dry run' : ''}...`)
    return await agent.healing.heal(trigger, service, { dryRun, reason: 'requested with noa heal' })
  } finally {
    await agent.stop()
  }
}
