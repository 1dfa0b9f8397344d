import type { AgentConfig, AgentService } from '../config/schema.ts'
import type { AgentClient } from './agent-client.ts'
import type { DrillEvent } from './measure.ts'
import type { Restorer } from './restore.ts'

/** What a fault needs to act: the config the agent runs, where its run files are, its API. */
export interface FaultContext {
  config: AgentConfig
  /** The config file (a drill that reroutes a check rewrites it, and restores it). */
  configFile: string
  /** The folder the config's relative paths resolve against (run/, logs/). */
  baseDir: string
  api: AgentClient
  restorer: Restorer
  /** The folders of the other agents sharing the store, on this machine (leader-kill kills and waits on them). */
  peers?: readonly string[]
}

/** A fault in place: what it touched and how the drill follows it. */
export interface Injection {
  /** Epoch ms the fault was injected. */
  faultAt: number
  /** The services the fault was injected into. */
  faulted: string[]
  /** How many times it was injected so far (a crash loop kills several times). */
  injections(): number
  /** Sees each event of the drill: a fault may react (a crash loop kills again once healthy). */
  onEvent?(event: DrillEvent): void
  /** Called about every 100 ms while the drill waits (a crash loop looks for the restarted process). */
  tick?(): void
  /** False while the fault still has work to do (more kills to come). @default always true */
  settled?(): boolean
  /**
   * Why noa's next step is a person's as far as this fault knows (an approval the drill cannot
   * give: no API token); the drill then ends as escalated, saying why. @default never
   */
  escalated?(): string | undefined
  /**
   * The events to follow and measure instead of the drill's own stream, when the fault
   * silences it (leader-kill kills the agent the stream comes from). @default the stream's
   */
  events?(): DrillEvent[]
  /** The agent to read states from instead of the drill's, while it is down. @default ctx.api */
  api?(): AgentClient
  /** What the fault did, for the result's detail (which agent leader-kill killed). @default nothing */
  note?(): string | undefined
  /** Undoes what is still in place (also registered with the restorer). */
  undo(): Promise<void>
  /**
   * Checks, once undone, what the fault could only show then (what noa did while its store was
   * down reached the store) or that it happened as meant (leader-kill found a leader to kill):
   * `failed` makes the drill failed, saying why; `note` is added to the result's detail.
   * @default nothing to check
   */
  verify?(): Promise<{ failed?: string; note?: string }>
}

/** One kind of fault: which services can take it, and how it is injected. */
export interface FaultDriver {
  /** The services the fault is injected into when the drill is about `service`. */
  targets(service: AgentService, config: AgentConfig): string[]
  /**
   * Why `service` cannot take this fault here; undefined when it can. It may ask the service
   * (a fault driven through the service's own knob is never injected into one without it).
   */
  unfit(service: AgentService, ctx: FaultContext): string | undefined | Promise<string | undefined>
  inject(service: AgentService, ctx: FaultContext): Promise<Injection>
}
