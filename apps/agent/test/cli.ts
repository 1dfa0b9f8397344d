import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Runs the noa CLI from source as a real process. */
const entry = resolve(import.meta.dirname, 'fixtures', 'noa.ts')
const tsx = fileURLToPath(import.meta.resolve('tsx'))
export const nodeArgs = ['--conditions=@noa/source', '--import', tsx, entry]

export interface Run {
  code: number | null
  stdout: string
  stderr: string
}

const started = new Set<ChildProcess>()

/** Starts `noa <args>` in `cwd`; the caller waits for it or kills it. Every process is tracked for cleanup. */
export function noa(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): ChildProcess & { done: Promise<Run> } {
  const child = spawn(process.execPath, [...nodeArgs, ...args], {
    cwd,
    env: { ...process.env, NOA_CONFIG: '', NOA_API_TOKEN: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  started.add(child)
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString()
  })
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  const done = new Promise<Run>((resolveRun) =>
    child.on('close', (code) => {
      started.delete(child)
      resolveRun({ code, stdout, stderr })
    }),
  )
  return Object.assign(child, { done })
}

/** Runs `noa <args>` to the end. */
export function run(args: string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
  return noa(args, cwd, env).done
}

/** Kills every CLI process still running and any pid recorded in run/ (watchdog, agent). */
export function killAll(dirs: readonly string[]): void {
  for (const child of started) child.kill('SIGKILL')
  for (const dir of dirs)
    for (const name of ['watchdog', 'agent']) {
      try {
        const pid = Number(readFileSync(join(dir, 'run', `${name}.pid`), 'utf8'))
        if (pid > 0) process.kill(pid, 'SIGKILL')
      } catch {
        // not running
      }
    }
}

/** Writes `config/monitoring-config.json` under `dir` (so `noa` finds it) and returns its path. */
export function writeConfig(dir: string, config: unknown): string {
  mkdirSync(join(dir, 'config'), { recursive: true })
  const file = join(dir, 'config', 'monitoring-config.json')
  writeFileSync(file, JSON.stringify(config, null, 2))
  return file
}

export function readRunInfo(dir: string): { pid: number; port: number; host: string } | undefined {
  const file = join(dir, 'run', 'agent.json')
  if (!existsSync(file)) return undefined
  try {
    return JSON.parse(readFileSync(file, 'utf8'))
  } catch {
    return undefined
  }
}

export function alive(pid: number | undefined): boolean {
  if (!pid) return false
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
