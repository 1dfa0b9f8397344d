import { alive, readInfo, readPid } from '../cli/paths.ts'
import { AgentClient } from './agent-client.ts'

/** One agent sharing the store, as its folder on this machine tells (run/agent.json, run/watchdog.pid). */
export interface ClusterAgent {
  /** The folder it runs in. */
  dir: string
  agentId: string
  pid: number
  base: string
  /** The pid of noa's watchdog that restarts it when it dies (`noa start --detach`); undefined when none runs. */
  watchdog: number | undefined
}

const baseOf = (host: string, port: number) => `http://${host.includes(':') ? `[${host}]` : host}:${port}`

/** The agent running in `dir`, or why there is none. */
export function clusterAgent(dir: string): ClusterAgent | string {
  const info = readInfo(dir)
  if (!info || !alive(info.pid)) return `no agent runs in ${dir} (no live pid in run/agent.json)`
  const watchdog = readPid(dir, 'watchdog')
  return {
    dir,
    agentId: info.agentId,
    pid: info.pid,
    base: baseOf(info.host, info.port),
    watchdog: watchdog !== undefined && alive(watchdog) ? watchdog : undefined,
  }
}

/**
 * Why the agents of `dirs` cannot take a leader-kill: one not running, or not supervised by
 * noa's watchdog (the drill kills one and only the watchdog brings it back: it does not know
 * how the agent was started); undefined when all can.
 */
export function unrestorable(dirs: readonly string[]): string | undefined {
  for (const dir of dirs) {
    const agent = clusterAgent(dir)
    if (typeof agent === 'string') return agent
    if (agent.watchdog === undefined)
      return `the agent in ${dir} (pid ${agent.pid}) runs without noa's watchdog (start it with \`noa start --detach\`): the drill could not bring it back after killing it`
  }
  return undefined
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * Waits until the watchdog of the agent in `dir` has started a new agent (a live pid other
 * than `killedPid`) that answers at `base` again; throws saying why after `timeoutMs`.
 */
export async function untilBack(
  dir: string,
  killedPid: number,
  base: string,
  timeoutMs: number,
): Promise<ClusterAgent> {
  const deadline = Date.now() + timeoutMs
  let last = 'not restarted yet'
  for (;;) {
    const agent = clusterAgent(dir)
    if (typeof agent === 'string') last = agent
    else if (agent.pid === killedPid) last = `pid ${killedPid} is still the one recorded`
    else if (agent.base !== base) last = `it came back at ${agent.base}, not ${base}`
    else {
      // any answer will do: /api/health says 503 while a service is down
      const answered = await new AgentClient(base).get('/api/health').then(
        () => true,
        () => false,
      )
      if (answered) return agent
      last = `pid ${agent.pid} does not answer at ${base} yet`
    }
    if (Date.now() > deadline)
      throw new Error(`the agent in ${dir} is not back after ${Math.round(timeoutMs / 1000)} s: ${last}`)
    await sleep(100)
  }
}
