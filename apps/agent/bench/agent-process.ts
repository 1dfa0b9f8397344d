// The built agent as a real process, measured from outside (Linux /proc), for the benches.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

const TICK = 100 // clock ticks per second of /proc/<pid>/stat (Linux)

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** CPU seconds and resident memory of a process. */
export function procStat(pid: number): {
  cpuSeconds: number
  userSeconds: number
  rssBytes: number
  anonBytes: number
  /** The peak resident set since the process started (VmHWM). */
  peakRssBytes: number
} {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const userSeconds = Number(fields[11]) / TICK
  const cpuSeconds = userSeconds + Number(fields[12]) / TICK
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024
  // RssFile is mostly the node binary's own pages, shared with every node process.
  return {
    cpuSeconds,
    userSeconds,
    rssBytes: kb('VmRSS'),
    anonBytes: kb('RssAnon'),
    peakRssBytes: kb('VmHWM'),
  }
}

/** A running agent: its process, PID and API base URL. */
export interface AgentProcess {
  child: ChildProcess
  pid: number
  base: string
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>
}

/**
 * Writes `config` as `dir`/config/monitoring-config.json and starts `noa start` (bin/noa.mjs) in `dir`.
 * `nodeArgs` go to node before the script (e.g. `--cpu-prof`, which NODE_OPTIONS refuses).
 */
export async function startAgent(
  dir: string,
  config: unknown,
  nodeArgs: string[] = [],
): Promise<AgentProcess> {
  mkdirSync(join(dir, 'config'), { recursive: true })
  writeFileSync(join(dir, 'config', 'monitoring-config.json'), JSON.stringify(config))
  const bin = resolve(import.meta.dirname, '..', 'bin', 'noa.mjs')
  const child = spawn(process.execPath, [...nodeArgs, bin, 'start'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  // The last of its output, to say why when it does not start.
  let output = ''
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4096)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited
  }
  let info: { pid: number; port: number } | undefined
  for (let i = 0; i < 300 && !info; i++) {
    await sleep(100)
    try {
      info = JSON.parse(readFileSync(join(dir, 'run', 'agent.json'), 'utf8'))
    } catch {
      // not yet
    }
  }
  if (!info) {
    await stop()
    throw new Error(`the agent did not start:\n${output}`)
  }
  return { child, pid: info.pid, base: `http://127.0.0.1:${info.port}`, stop }
}
