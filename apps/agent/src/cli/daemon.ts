import { type ChildProcess, spawn } from 'node:child_process'
import { appendFileSync, mkdirSync, openSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { stopRecorded } from '@noa/healing'
import type { AgentConfig } from '../config/schema.ts'
import {
  alive,
  type RunInfo,
  readInfo,
  readPid,
  removePid,
  selfCommand,
  servicesRunDir,
  writePid,
} from './paths.ts'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Where the watchdog and the detached agent write what they print. */
function logPaths(baseDir: string, config: AgentConfig) {
  const logsDir = resolve(baseDir, config.logs.dir)
  mkdirSync(logsDir, { recursive: true })
  return { watchdog: join(logsDir, 'watchdog.log'), output: join(logsDir, 'agent.out.log') }
}

/**
 * `noa start --detach`: starts the watchdog as a detached process, which starts the agent and
 * restarts it when it dies. Resolves once the agent wrote run/agent.json (or gave up).
 */
export async function startDetached(
  args: { configFile: string; baseDir: string; components: string[]; config: AgentConfig; waitMs?: number },
  print: (line: string) => void,
  command: readonly string[] = selfCommand(),
): Promise<number> {
  const running = readPid(args.baseDir, 'agent')
  if (alive(running)) {
    print(`noa is already running (agent PID ${running}); \`noa stop\` first`)
    return 1
  }
  const { watchdog } = logPaths(args.baseDir, args.config)
  const out = openSync(watchdog, 'a')
  const child = spawn(
    process.execPath,
    [...command, '__watchdog', '--config', args.configFile, ...args.components],
    { cwd: args.baseDir, detached: true, stdio: ['ignore', out, out], env: process.env },
  )
  child.unref()
  const deadline = Date.now() + (args.waitMs ?? 30_000)
  while (Date.now() < deadline) {
    await sleep(100)
    const info = readInfo(args.baseDir)
    if (info && alive(info.pid) && info.pid !== running) {
      print(`noa started in the background: watchdog PID ${child.pid}, agent PID ${info.pid}`)
      print(
        `dashboard and API on http://${info.host}:${info.port}; \`noa status\` shows it, \`noa stop\` stops it`,
      )
      return 0
    }
    if (!alive(child.pid)) {
      print(`noa did not start: the watchdog exited; see ${watchdog}`)
      return 1
    }
  }
  print(`noa did not report ready within ${Math.round((args.waitMs ?? 30_000) / 1000)} s; see ${watchdog}`)
  return 1
}

/**
 * The watchdog process (`noa __watchdog`): runs the agent as its child and starts it again when
 * it exits unasked (the seed's section 14), at most `watchdog.maxRestarts` times within
 * `watchdog.window`; forwards SIGTERM and SIGINT to the agent and exits when it has.
 */
export async function runWatchdog(
  args: { configFile: string; baseDir: string; components: string[]; config: AgentConfig },
  options: { command?: readonly string[]; signal?: AbortSignal } = {},
): Promise<number> {
  const command = options.command ?? selfCommand()
  const { baseDir, config } = args
  const { watchdog: logFile, output } = logPaths(baseDir, config)
  const log = (msg: string, fields: Record<string, unknown> = {}) =>
    appendFileSync(
      logFile,
      `${JSON.stringify({ time: new Date().toISOString(), component: 'watchdog', msg, ...fields })}\n`,
    )
  writePid(baseDir, 'watchdog', process.pid)
  log('watchdog started', { pid: process.pid })
  const restarts: number[] = []
  let stopping = false
  let child: ChildProcess | undefined
  const spawnAgent = () => {
    const out = openSync(output, 'a')
    child = spawn(process.execPath, [...command, 'start', '--config', args.configFile, ...args.components], {
      cwd: baseDir,
      stdio: ['ignore', out, out],
      env: { ...process.env, NOA_SUPERVISED: '1' },
    })
    log('agent started', { pid: child.pid })
    return child
  }
  return await new Promise<number>((resolveExit) => {
    const finish = (code: number) => {
      removePid(baseDir, 'watchdog', process.pid)
      log('watchdog stopped', { code })
      resolveExit(code)
    }
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      const pid = child?.pid
      if (pid !== undefined) removePid(baseDir, 'agent', pid)
      if (stopping) return finish(0)
      if (code === 2) {
        log('agent refused its configuration; not restarting', { code })
        return finish(2)
      }
      const now = Date.now()
      while (restarts.length > 0 && restarts[0]! < now - config.watchdog.window) restarts.shift()
      if (restarts.length >= config.watchdog.maxRestarts) {
        log('agent died too often; giving up', { code, signal, restarts: restarts.length })
        return finish(1)
      }
      restarts.push(now)
      log('agent died; restarting', {
        code,
        signal,
        attempt: restarts.length,
        delayMs: config.watchdog.restartDelay,
      })
      setTimeout(() => {
        if (!stopping) spawnAgent().on('exit', onExit)
        else finish(0)
      }, config.watchdog.restartDelay)
    }
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return
      stopping = true
      log('stopping', { signal })
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      else finish(0)
    }
    if (options.signal) options.signal.addEventListener('abort', () => stop('SIGTERM'), { once: true })
    else {
      process.on('SIGTERM', () => stop('SIGTERM'))
      process.on('SIGINT', () => stop('SIGINT'))
    }
    spawnAgent().on('exit', onExit)
  })
}

/** `noa stop`: SIGTERM to the watchdog (or the agent), `graceMs` to exit, then SIGKILL; PID files removed. */
export async function stopAgent(
  baseDir: string,
  graceMs: number,
  print: (line: string) => void,
): Promise<number> {
  const watchdog = readPid(baseDir, 'watchdog')
  const agent = readPid(baseDir, 'agent')
  const targets = [watchdog, agent].filter((p): p is number => alive(p))
  if (targets.length === 0) {
    removePid(baseDir, 'watchdog')
    removePid(baseDir, 'agent')
    print('noa is not running')
    await stopServices(baseDir, graceMs, print)
    return 0
  }
  for (const pid of targets) {
    try {
      process.kill(pid, 'SIGTERM')
    } catch {
      // already gone
    }
  }
  print(`stopping noa (${targets.map((p) => `PID ${p}`).join(', ')})...`)
  const deadline = Date.now() + graceMs
  while (Date.now() < deadline && targets.some(alive)) await sleep(100)
  const left = targets.filter(alive)
  for (const pid of left) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
  removePid(baseDir, 'watchdog')
  removePid(baseDir, 'agent')
  print(left.length > 0 ? `killed ${left.join(', ')} after ${graceMs} ms` : 'noa stopped')
  // Only once the agent is gone: it would restart them otherwise.
  await stopServices(baseDir, graceMs, print)
  return 0
}

/** Stops the supervised services the agents recorded (they outlive an agent that stops or dies). */
async function stopServices(baseDir: string, graceMs: number, print: (line: string) => void): Promise<void> {
  for (const s of await stopRecorded(servicesRunDir(baseDir), { timeoutMs: graceMs })) {
    if (s.outcome === 'not-running') continue
    print(
      `service ${s.service}: ${s.outcome}${s.pid ? ` (pid ${s.pid})` : ''}${s.detail ? `: ${s.detail}` : ''}`,
    )
  }
}

export type { RunInfo }
