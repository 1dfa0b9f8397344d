import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const NAMES = ['monitoring-config.json', 'monitoring-config.yaml', 'monitoring-config.yml']

/** Where the config file is and which folder its relative paths (logs/, data/, run/) resolve against. */
export interface Located {
  file: string
  baseDir: string
}

/**
 * Finds the config: `--config`, else NOA_CONFIG, else `config/monitoring-config.{json,yaml}` in
 * the working directory or the nearest parent that has one (so `pnpm --filter @noa/agent start`
 * finds the repository's). An explicit file resolves relative paths against the working
 * directory; a found one against the folder holding `config/`.
 */
export function locateConfig(explicit: string | undefined, env: NodeJS.ProcessEnv, cwd: string): Located {
  const given = explicit ?? env.NOA_CONFIG
  if (given) return { file: resolve(cwd, given), baseDir: cwd }
  let dir = cwd
  for (;;) {
    for (const name of NAMES) {
      const file = join(dir, 'config', name)
      if (existsSync(file)) return { file, baseDir: dir }
    }
    const parent = dirname(dir)
    if (parent === dir) return { file: join(cwd, 'config', NAMES[0]!), baseDir: cwd }
    dir = parent
  }
}

/** The agent package's folder (two levels above dist/cli.js or src/cli/paths.ts). */
export function packageDir(): string {
  const here = dirname(fileURLToPath(import.meta.url))
  return here.endsWith(`${'src'}/cli`) || here.endsWith('src\\cli')
    ? resolve(here, '..', '..')
    : resolve(here, '..')
}

/** apps/dashboard/dist next to the agent package. */
export function defaultStaticDir(): string {
  return resolve(packageDir(), '..', 'dashboard', 'dist')
}

/**
 * The node arguments that run this CLI again (the watchdog and the agent are this program):
 * the same loader flags and the same entry script, bin/noa.mjs unless run from source.
 */
export function selfCommand(): string[] {
  return [...process.execArgv, process.argv[1] ?? join(packageDir(), 'bin', 'noa.mjs')]
}

/** What a running agent writes to run/agent.json so `status` and `stop` can find it. */
export interface RunInfo {
  pid: number
  host: string
  port: number
  startedAt: number
  config: string
  agentId: string
  components: string[]
}

export const runDir = (baseDir: string) => join(baseDir, 'run')
export const pidFile = (baseDir: string, name: 'agent' | 'watchdog') => join(runDir(baseDir), `${name}.pid`)
export const infoFile = (baseDir: string) => join(runDir(baseDir), 'agent.json')
/** Where the local supervisor records the services it runs, for the next agent and `noa stop`. */
export const servicesRunDir = (baseDir: string) => join(runDir(baseDir), 'services')

export function writePid(baseDir: string, name: 'agent' | 'watchdog', pid: number): void {
  mkdirSync(runDir(baseDir), { recursive: true })
  writeFileSync(pidFile(baseDir, name), `${pid}\n`)
}

export function readPid(baseDir: string, name: 'agent' | 'watchdog'): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile(baseDir, name), 'utf8').trim())
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

export function readInfo(baseDir: string): RunInfo | undefined {
  try {
    return JSON.parse(readFileSync(infoFile(baseDir), 'utf8')) as RunInfo
  } catch {
    return undefined
  }
}

/** Removes a PID file only when it still names `pid` (a newer process may have replaced it). */
export function removePid(baseDir: string, name: 'agent' | 'watchdog', pid?: number): void {
  if (pid !== undefined && readPid(baseDir, name) !== pid) return
  rmSync(pidFile(baseDir, name), { force: true })
  if (name === 'agent') rmSync(infoFile(baseDir), { force: true })
}

export function alive(pid: number | undefined): boolean {
  if (!pid) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The API of the agent running in `located` (by its run/agent.json), or NOA_API_URL; undefined when neither. */
export function agentUrl(located: Located, env: NodeJS.ProcessEnv): string | undefined {
  const explicit = env.NOA_API_URL
  if (explicit) return explicit.replace(/\/+$/, '')
  const info = readInfo(located.baseDir)
  return info && alive(info.pid) ? `http://${info.host}:${info.port}` : undefined
}
