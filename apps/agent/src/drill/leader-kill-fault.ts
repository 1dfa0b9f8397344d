import { errorMessage, type HealingRecord } from '@noa/core'
import { openStore, type Store } from '@noa/store'
import type { AgentService } from '../config/schema.ts'
import { AgentClient } from './agent-client.ts'
import { type ClusterAgent, clusterAgent, unrestorable, untilBack } from './cluster-agents.ts'
import type { FaultContext, FaultDriver, Injection } from './fault.ts'
import { listeningProcess } from './listener.ts'
import type { DrillEvent } from './measure.ts'

/** How often the drill reads the shared store's leases while it waits for a holder to kill. */
const LEASE_POLL_MS = 25
/** How often it reads the healing records of every agent from the shared store. */
const RECORDS_POLL_MS = 500
/** How long the watchdog may take to bring a killed agent back. */
const BACK_WITHIN_MS = 60_000

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]'])

/** The port of this machine the service's check targets, or why it targets none. */
function checkedPort(service: AgentService): number | string {
  const check = service.check as { url?: unknown; host?: unknown; port?: unknown }
  let host: string | undefined
  let port: number | undefined
  if (typeof check.url === 'string') {
    try {
      const url = new URL(check.url)
      host = url.hostname
      port = Number(url.port || (url.protocol === 'https:' ? 443 : 80))
    } catch {
      return `its check URL ${check.url} does not parse`
    }
  } else if (typeof check.host === 'string' && typeof check.port === 'number') {
    host = check.host
    port = check.port
  }
  if (host === undefined || port === undefined)
    return 'its check names no host and port to find its process by'
  if (!LOOPBACK.has(host))
    return `its check targets ${host}, not this machine: the drill cannot crash its process`
  return port
}

/** The process of `service` the crash kills: the one listening on its check's port. */
function serviceProcess(service: AgentService): number | string {
  const port = checkedPort(service)
  return typeof port === 'string' ? port : listeningProcess(port)
}

/** The agents sharing the store: the drill's own first, then the peers named with --peer. */
const folders = (ctx: FaultContext) => [ctx.baseDir, ...(ctx.peers ?? [])]

function unfit(service: AgentService, ctx: FaultContext): string | undefined {
  const { config } = ctx
  if (config.store.type !== 'postgres')
    return `the agent's store is ${config.store.type}: leader-kill needs several agents sharing a PostgreSQL store`
  if ((ctx.peers ?? []).length === 0)
    return 'only this agent is known: name the folders of the other agents sharing its PostgreSQL store with --peer'
  if (config.dashboard.port === 0)
    return 'this agent listens on a port picked at start (dashboard.port 0): the drill could not reach it after its restart'
  const executor = service.executor?.type
  if (executor === undefined) return 'has no executor: no agent could restart it'
  if (executor === 'local')
    return "runs under one agent's local supervisor: only that agent can restart it, so no lease is handed over (give it an executor every agent can use: http, command, systemd, docker, kubernetes)"
  const found = serviceProcess(service)
  if (typeof found === 'string') return found
  return unrestorable(folders(ctx))
}

/** The agent a kill took down, and what it held. */
interface Killed {
  agent: ClusterAgent
  at: number
  alsoAlerting: boolean
}

/**
 * leader-kill: SIGKILL of the service's process (a crash, found by the port its check
 * targets), then, as soon as an agent takes the service's healing lease (read from the shared
 * store's lease rows), SIGKILL of that agent. That is the hardest moment for the handover:
 * every agent saw the incident, the one that holds the lease has not repaired anything yet and
 * the others are refused by the lease; they must wait for it to run out and exactly one must
 * act. Later (once repaired, or after a restart the dead holder may have done) there is nothing
 * left to hand over. The incident is followed through a surviving agent's event stream, and
 * the healings of every agent are read from the shared store, so a second action by another
 * agent is counted. The killed agent is brought back by its watchdog; the drill waits for it.
 */
export const leaderKill: FaultDriver = {
  targets: (service) => [service.name],
  unfit,
  async inject(service, ctx) {
    const agents = folders(ctx).map((dir) => {
      const agent = clusterAgent(dir)
      if (typeof agent === 'string') throw new Error(agent)
      return agent
    })
    const pid = serviceProcess(service)
    if (typeof pid === 'string') throw new Error(`${service.name}: ${pid}`)
    const store = await openStore(ctx.config.store)
    const streams: Array<{ close(): void }> = []
    const seen = new Map<string, DrillEvent[]>(agents.map((a) => [a.agentId, []]))
    try {
      for (const agent of agents)
        streams.push(await new AgentClient(agent.base).follow((e) => seen.get(agent.agentId)!.push(e)))
      const faultAt = Date.now()
      process.kill(pid, 'SIGKILL')
      return follow(service, ctx, { agents, store, streams, seen, faultAt })
    } catch (error) {
      for (const s of streams) s.close()
      await store.close()
      throw error
    }
  },
}

/** What a leader-kill drill holds while it follows the incident: the agents, the shared store, their streams. */
interface Watch {
  agents: ClusterAgent[]
  store: Store
  streams: Array<{ close(): void }>
  /** Each agent's events, by agent id. */
  seen: Map<string, DrillEvent[]>
  /** When the service was killed. */
  faultAt: number
}

/** Kills the lease holder once there is one, reads every agent's healings, and gives the drill its view. */
function follow(service: AgentService, ctx: FaultContext, watch: Watch): Injection {
  const { agents, store, streams, seen, faultAt } = watch
  const lease = `healing:${service.name}`
  let killed: Killed | undefined
  let missed: string | undefined
  let records: HealingRecord[] = []
  let watching = true

  const readRecords = async () => {
    try {
      records = await store.healing.healings({ service: service.name, since: faultAt, limit: 100 })
    } catch (error) {
      missed ??= `could not read the healings of the shared store: ${errorMessage(error)}`
    }
  }
  const killHolder = async () => {
    while (watching && !killed && !missed) {
      try {
        const holder = await store.leases.leaseHolder(lease, Date.now())
        if (holder) {
          const agent = agents.find((a) => a.agentId === holder.holder)
          if (!agent) {
            missed = `${holder.holder} holds ${lease}, an agent not among the ones named (--peer)`
            return
          }
          const alerting = await store.leases.leaseHolder('alerting', Date.now())
          try {
            process.kill(agent.pid, 'SIGKILL')
          } catch (error) {
            missed = `could not kill agent ${agent.agentId} (pid ${agent.pid}): ${errorMessage(error)}`
            return
          }
          killed = { agent, at: Date.now(), alsoAlerting: alerting?.holder === agent.agentId }
          return
        }
      } catch (error) {
        missed = `could not read the leases of the shared store: ${errorMessage(error)}`
        return
      }
      await new Promise((r) => setTimeout(r, LEASE_POLL_MS))
    }
  }
  const readLoop = async () => {
    while (watching) {
      await readRecords()
      // a healing that ended before the drill saw its lease: nobody left to kill
      if (!killed && records.some((r) => r.outcome === 'succeeded'))
        missed ??= `the healing of ${service.name} ended before the drill saw who held ${lease}`
      await new Promise((r) => setTimeout(r, RECORDS_POLL_MS))
    }
  }
  const loops = Promise.all([killHolder(), readLoop()])

  /** The agent whose view the drill follows: its own, or a survivor once its own was killed. */
  const reader = () => agents.find((a) => a.agentId !== killed?.agent.agentId)!
  const undo = ctx.restorer.add(`leader-kill of ${service.name}`, async () => {
    watching = false
    await loops
    try {
      if (killed) await untilBack(killed.agent.dir, killed.agent.pid, killed.agent.base, BACK_WITHIN_MS)
      await readRecords()
    } finally {
      for (const s of streams) s.close()
      await store.close()
    }
  })

  return {
    faultAt,
    faulted: [service.name],
    injections: () => 1,
    settled: () => killed !== undefined || missed !== undefined,
    missed: () =>
      missed ??
      (killed
        ? undefined
        : `no agent took the healing lease of ${service.name} while the drill watched: no leader was killed`),
    api: () => (reader() === agents[0] ? ctx.api : new AgentClient(reader().base)),
    events() {
      // every agent checks the service: the fault is seen when the first one saw it (the
      // killed one too) and over when the last surviving one sees it healthy again
      const events: DrillEvent[] = []
      const alerts = new Set<string>()
      for (const list of seen.values())
        for (const e of list) {
          if (e.type === 'change') events.push(e)
          // alerts come from the agent that holds the alerting lease, whichever it was
          else if (e.type === 'alert' && !alerts.has(`${e.fingerprint}:${e.state}`)) {
            alerts.add(`${e.fingerprint}:${e.state}`)
            events.push(e)
          }
        }
      for (const e of seen.get(reader().agentId) ?? []) if (e.type === 'escalation') events.push(e)
      // the healings of every agent, from the shared store; the killed agent's cannot go on
      for (const record of records) {
        const dead = killed && record.agentId === killed.agent.agentId && record.outcome === 'running'
        const shown: HealingRecord = dead
          ? { ...record, outcome: 'interrupted', reason: 'its agent was killed by the drill' }
          : record
        events.push({ type: 'healing', at: record.startedAt, record: shown })
      }
      return events.sort((a, b) => a.at - b.at)
    },
    note: () =>
      killed
        ? `killed agent ${killed.agent.agentId} (pid ${killed.agent.pid}), holder of ${lease}${killed.alsoAlerting ? ' and of the alerting lease' : ''}, ${killed.at - faultAt} ms after the crash`
        : undefined,
    undo,
  }
}
