import { errorMessage, type HealingRecord } from '@noa/core'
import { openStore, type Store } from '@noa/store'
import type { AgentService } from '../config/schema.ts'
import { AgentClient } from './agent-client.ts'
import { type ClusterAgent, clusterAgent, unrestorable, untilBack } from './cluster-agents.ts'
import type { FaultContext, FaultDriver, Injection } from './fault.ts'
import { listeningProcess } from './listener.ts'
import type { DrillEvent } from './measure.ts'
import { actingStep } from './signs.ts'

/** How often the drill reads the shared store's leases and healings while it waits for a holder to kill. */
const LEASE_POLL_MS = 25
/** How often it reads the healing records of every agent from the shared store, and the survivors' views. */
const RECORDS_POLL_MS = 300
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
 * targets), then SIGKILL of the agent that holds the service's healing lease (read from the
 * shared store's lease rows) as soon as its healing recorded a step that acts (the restart
 * went out) and before it verified the repair. That is the moment a second action is most
 * likely: the incident is still open in the store (its healing `running`, its alert firing),
 * the dead holder's lease runs out, and the survivors, which saw the service down and retry
 * while the lease is held, must see that it was repaired and not act again. It is also the
 * moment every action is in the records: a step is saved when it returns, so a holder killed
 * while its restart was in flight may or may not have restarted the service, and the count
 * of actions would be a guess. The incident is followed through the surviving agents' event
 * streams, the healings of every agent are read from the shared store (a second action by
 * another agent is counted), and the killed agent is brought back by its watchdog: the drill
 * waits for it.
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
  let leaseGoneAt: number | undefined
  // the others retry every half TTL while the lease is held: one retry after it ran out, and
  // two reads of the records, before the drill may end
  const retryMs = Math.max(100, Math.floor(ctx.config.selfHealing.leaseTtl / 2)) + 2 * RECORDS_POLL_MS

  const readRecords = async () => {
    try {
      records = await store.healing.healings({ service: service.name, since: faultAt, limit: 100 })
    } catch (error) {
      missed ??= `could not read the healings of the shared store: ${errorMessage(error)}`
    }
  }
  /** The holder's healing of the service once a step that acts was recorded (the restart went out). */
  const actedHealing = async (agentId: string) =>
    (await store.healing.healings({ service: service.name, since: faultAt, limit: 20 })).find(
      (r) => r.agentId === agentId && r.steps.some(actingStep),
    )
  /**
   * Waits until the dead holder's lease ran out (or its restarted agent released it): from then
   * on the others may act, and the drill must see whether one does again.
   */
  const untilLeaseGone = async (agentId: string) => {
    while (watching) {
      const holder = await store.leases.leaseHolder(lease, Date.now())
      if (holder?.holder !== agentId) {
        leaseGoneAt = Date.now()
        return
      }
      await new Promise((r) => setTimeout(r, LEASE_POLL_MS))
    }
  }
  const killHolder = async () => {
    while (watching && !killed && !missed) {
      try {
        const holder = await store.leases.leaseHolder(lease, Date.now())
        const agent = holder && agents.find((a) => a.agentId === holder.holder)
        if (holder && !agent) {
          missed = `${holder.holder} holds ${lease}, an agent not among the ones named (--peer)`
          return
        }
        const healing = agent && (await actedHealing(agent.agentId))
        if (agent && healing) {
          if (healing.outcome !== 'running') {
            missed = `the healing of ${service.name} by ${agent.agentId} ended (${healing.outcome}) before the drill could kill its agent`
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
          await untilLeaseGone(agent.agentId)
          return
        }
      } catch (error) {
        missed = `could not read the leases or healings of the shared store: ${errorMessage(error)}`
        return
      }
      await new Promise((r) => setTimeout(r, LEASE_POLL_MS))
    }
  }
  /**
   * A survivor whose checks fell outside the outage (the dead holder's restart was quick) has
   * no change of the service to report: its first check found healthy after the kill (the
   * restart was done by then) stands for its view, so the incident is over for it too.
   */
  const observed = new Map<string, DrillEvent>()
  const observeSurvivors = async () => {
    if (!killed) return
    for (const agent of agents) {
      if (agent.agentId === killed.agent.agentId || observed.has(agent.agentId)) continue
      if (seen.get(agent.agentId)!.some((e) => e.type === 'change' && e.service === service.name)) continue
      const answer = await new AgentClient(agent.base)
        .get<{ service?: { state?: string; lastResult?: { at: number } } }>(
          `/api/services/${encodeURIComponent(service.name)}`,
        )
        .catch(() => undefined)
      const status = answer?.body.service
      if (status?.state === 'healthy' && status.lastResult && status.lastResult.at > killed.at)
        observed.set(agent.agentId, {
          type: 'change',
          at: status.lastResult.at,
          service: service.name,
          to: 'healthy',
        })
    }
  }
  const readLoop = async () => {
    while (watching) {
      await readRecords()
      await observeSurvivors()
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
    settled: () => missed !== undefined || (leaseGoneAt !== undefined && Date.now() >= leaseGoneAt + retryMs),
    async verify() {
      const failed =
        missed ??
        (killed
          ? undefined
          : `no agent holding the healing lease of ${service.name} acted on it while the drill watched: no leader was killed`)
      return failed ? { failed } : {}
    },
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
      events.push(...observed.values())
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
