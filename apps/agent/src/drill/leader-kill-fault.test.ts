import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { freePort } from '../../test/helpers.ts'
import { formatConfigIssues, validateConfig } from '../config/load.ts'
import type { AgentConfig } from '../config/schema.ts'
import { AgentClient } from './agent-client.ts'
import type { FaultContext } from './fault.ts'
import { leaderKill } from './leader-kill-fault.ts'
import { listeningProcess } from './listener.ts'
import { Restorer } from './restore.ts'

function config(o: { store?: unknown; port?: number; executor?: unknown; checkPort: number }): AgentConfig {
  const result = validateConfig(
    {
      store: o.store ?? { type: 'postgres', connectionString: ['$', '{PG}'].join(''), schema: 'x' },
      dashboard: { port: o.port ?? 9300 },
      services: [
        {
          name: 'api',
          drill: true,
          check: { type: 'http', url: `http://127.0.0.1:${o.checkPort}/health` },
          executor: o.executor ?? { type: 'http', restart: { url: 'http://127.0.0.1:9/restart' } },
        },
      ],
    },
    { PG: 'postgres://127.0.0.1:9/none' },
  )
  if (!result.ok) throw new Error(formatConfigIssues(result.issues).join('\n'))
  return result.config
}

/** Writes what a running agent writes in its folder: run/agent.json, and run/watchdog.pid when supervised. */
function agentFolder(root: string, name: string, watchdog: boolean): string {
  const dir = join(root, name)
  mkdirSync(join(dir, 'run'), { recursive: true })
  const info = {
    pid: process.pid,
    host: '127.0.0.1',
    port: 9300,
    startedAt: 0,
    config: 'c',
    agentId: name,
    components: [],
  }
  writeFileSync(join(dir, 'run', 'agent.json'), JSON.stringify(info))
  if (watchdog) writeFileSync(join(dir, 'run', 'watchdog.pid'), `${process.pid}\n`)
  return dir
}

describe('leaderKill.unfit', () => {
  let root: string
  let server: Server
  let port: number
  const ctx = (cfg: AgentConfig, peers: string[]): FaultContext => ({
    config: cfg,
    configFile: join(root, 'self', 'config.json'),
    baseDir: join(root, 'self'),
    api: new AgentClient('http://127.0.0.1:9'),
    restorer: new Restorer(),
    peers,
  })
  const api = (cfg: AgentConfig) => cfg.services[0]!

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'noa-leader-kill-'))
    agentFolder(root, 'self', true)
    server = createServer((_, res) => res.end('ok'))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    port = (server.address() as AddressInfo).port
  })
  afterEach(async () => {
    await new Promise<void>((r) => server.close(() => r()))
    rmSync(root, { recursive: true, force: true })
  })

  it('should take a service of a PostgreSQL agent with supervised peers, whose process it finds', async () => {
    const cfg = config({ checkPort: port })
    const peers = [agentFolder(root, 'b', true), agentFolder(root, 'c', true)]
    expect(await leaderKill.unfit(api(cfg), ctx(cfg, peers))).toBeUndefined()
  })

  it('should say why when the store is not PostgreSQL or no other agent is named', async () => {
    const sqlite = config({ checkPort: port, store: { type: 'sqlite', path: 'data/noa.db' } })
    expect(await leaderKill.unfit(api(sqlite), ctx(sqlite, [agentFolder(root, 'b', true)]))).toBe(
      "the agent's store is sqlite: leader-kill needs several agents sharing a PostgreSQL store",
    )
    const alone = config({ checkPort: port })
    expect(await leaderKill.unfit(api(alone), ctx(alone, []))).toBe(
      'only this agent is known: name the folders of the other agents sharing its PostgreSQL store with --peer',
    )
  })

  it('should refuse agents it could not bring back: not running, or without the watchdog', async () => {
    const cfg = config({ checkPort: port })
    const bare = agentFolder(root, 'bare', false)
    expect(await leaderKill.unfit(api(cfg), ctx(cfg, [bare]))).toBe(
      `the agent in ${bare} (pid ${process.pid}) runs without noa's watchdog (start it with \`noa start --detach\`): the drill could not bring it back after killing it`,
    )
    const none = join(root, 'none')
    expect(await leaderKill.unfit(api(cfg), ctx(cfg, [none]))).toBe(
      `no agent runs in ${none} (no live pid in run/agent.json)`,
    )
  })

  it('should refuse a service only one agent can restart, or whose process it cannot find', async () => {
    const peers = [agentFolder(root, 'b', true)]
    const local = config({ checkPort: port, executor: { type: 'local', command: ['node', 's.js'] } })
    expect(await leaderKill.unfit(api(local), ctx(local, peers))).toMatch(
      /^runs under one agent's local supervisor: only that agent can restart it/,
    )
    const down = await freePort()
    const gone = config({ checkPort: down })
    expect(await leaderKill.unfit(api(gone), ctx(gone, peers))).toBe(`no process listens on port ${down}`)
    const picked = config({ checkPort: port, port: 0 })
    expect(await leaderKill.unfit(api(picked), ctx(picked, peers))).toMatch(/dashboard\.port 0/)
  })
})

describe('listeningProcess', () => {
  it('should find the process listening on a port', async () => {
    const server = createServer()
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    try {
      expect(listeningProcess((server.address() as AddressInfo).port)).toBe(process.pid)
    } finally {
      await new Promise<void>((r) => server.close(() => r()))
    }
  })
})
