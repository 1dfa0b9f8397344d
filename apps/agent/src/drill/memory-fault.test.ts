import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { formatConfigIssues, validateConfig } from '../config/load.ts'
import type { AgentConfig } from '../config/schema.ts'
import { AgentClient } from './agent-client.ts'
import type { FaultContext } from './fault.ts'
import { memoryFault, memoryRules } from './memory-fault.ts'
import { Restorer } from './restore.ts'

const memoryRule = {
  name: 'memory-growth',
  scope: 'service',
  condition: 'process_resident_memory_bytes > 2e8',
  severity: 'warning',
  actions: ['notify', { type: 'heal', trigger: 'memory-leak' }],
}

function context(metrics: string | undefined, options: { rules?: unknown[]; executor?: boolean } = {}) {
  const result = validateConfig({
    store: { type: 'memory' },
    alerting: { channels: {}, ...(options.rules ? { rules: options.rules } : {}) },
    services: [
      {
        name: 'api',
        check: { type: 'http', url: 'http://127.0.0.1:9/health' },
        ...(metrics ? { metrics } : {}),
        ...(options.executor === false ? {} : { executor: { type: 'local', command: ['node', 'api.js'] } }),
      },
    ],
  })
  if (!result.ok) throw new Error(formatConfigIssues(result.issues).join('\n'))
  const config: AgentConfig = result.config
  const ctx: FaultContext = {
    config,
    configFile: '',
    baseDir: '',
    api: new AgentClient('http://127.0.0.1:9'),
    restorer: new Restorer(),
  }
  return { ctx, service: config.services[0]! }
}

/** A real service with drill knobs: what it lists at /drill, and every knob request it got. */
async function knobService(knobs: unknown, postStatus = 200) {
  const requests: string[] = []
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`)
    const body =
      req.url === '/drill' ? { knobs } : postStatus === 200 ? { growing: true } : { error: 'rate must be' }
    res.writeHead(req.method === 'POST' ? postStatus : 200, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  servers.push(server)
  return { url, requests }
}

const servers: Server[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r))
})

const growth = { bytesPerSecond: 1000, capBytes: 5000 }

describe('memoryRules', () => {
  it('should find the per-service rules that heal a memory leak, and none in the default set', () => {
    expect(memoryRules(context(undefined).ctx.config)).toEqual([])
    expect(memoryRules(context(undefined, { rules: [memoryRule] }).ctx.config)).toEqual(['memory-growth'])
    // a fleet-wide rule cannot say which service to restart
    const global = { ...memoryRule, scope: 'global' }
    expect(memoryRules(context(undefined, { rules: [global] }).ctx.config)).toEqual([])
  })
})

describe('the memory fault', () => {
  it('should say why a service cannot take it, asking the service for its knob last', async () => {
    const driver = memoryFault(growth)
    const unfit = async (...args: Parameters<typeof context>) => {
      const { ctx, service } = context(...args)
      return driver.unfit(service, ctx)
    }
    const withKnob = await knobService(['memory'])
    const rules = [memoryRule]
    expect(await unfit(`${withKnob.url}/metrics`, { rules, executor: false })).toBe(
      'noa cannot restart it (no executor)',
    )
    expect(await unfit(undefined, { rules })).toMatch(/^noa does not scrape its \/metrics/)
    expect(await unfit(`${withKnob.url}/metrics`)).toMatch(/^no per-service alert rule heals "memory-leak"/)
    const other = await knobService(['disk'])
    expect(await unfit(`${other.url}/metrics`, { rules })).toBe(
      `no memory drill knob listed at ${other.url}/drill`,
    )
    // nothing listens there
    const closed = await knobService([])
    await new Promise((r) => servers.pop()!.close(r))
    expect(await unfit(`${closed.url}/metrics`, { rules })).toBe(
      `no memory drill knob answered at ${closed.url}/drill (fetch failed: ECONNREFUSED)`,
    )
    expect(await unfit(`${withKnob.url}/metrics`, { rules })).toBeUndefined()
    expect(withKnob.requests).toEqual(['GET /drill'])
  })

  it('should start the growth through the knob and stop it on undo, registered with the restorer', async () => {
    const knob = await knobService(['memory'])
    const { ctx, service } = context(`${knob.url}/metrics`, { rules: [memoryRule] })
    const injection = await memoryFault(growth).inject(service, ctx)
    expect(injection).toMatchObject({ faulted: ['api'] })
    expect(injection.injections()).toBe(1)
    expect(ctx.restorer.pending).toEqual(['memory growth of api'])
    // Ctrl-C: the restorer stops it
    expect(await ctx.restorer.restoreAll()).toEqual([])
    expect(knob.requests).toEqual(['POST /drill/memory?rate=1000&cap=5000', 'DELETE /drill/memory'])
    await injection.undo()
    expect(knob.requests).toHaveLength(2)
  })

  it('should undo at once and throw when the knob refuses the growth', async () => {
    const knob = await knobService(['memory'], 400)
    const { ctx, service } = context(`${knob.url}/metrics`, { rules: [memoryRule] })
    await expect(memoryFault(growth).inject(service, ctx)).rejects.toThrow(/answered 400: rate must be/)
    expect(ctx.restorer.pending).toEqual([])
    expect(knob.requests).toEqual(['POST /drill/memory?rate=1000&cap=5000', 'DELETE /drill/memory'])
  })
})
