import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { formatConfigIssues, validateConfig } from '../config/load.ts'
import type { AgentConfig } from '../config/schema.ts'
import { AgentClient } from './agent-client.ts'
import { badDeploy, deployRules } from './bad-deploy-fault.ts'
import type { FaultContext } from './fault.ts'
import type { DrillEvent } from './measure.ts'
import { Restorer } from './restore.ts'

const deployRule = {
  name: 'bad-deploy',
  scope: 'service',
  condition: 'demo_request_error_ratio > 0.5',
  severity: 'critical',
  actions: ['notify', { type: 'heal', trigger: 'deployment-failure' }],
}

interface Options {
  rules?: unknown[]
  rollback?: boolean
  enabled?: boolean
  agent?: string
  token?: string
}

function context(metrics: string | undefined, options: Options = {}) {
  const result = validateConfig({
    store: { type: 'memory' },
    alerting: { channels: {}, ...(options.rules ? { rules: options.rules } : {}) },
    selfHealing: { strategies: { rollback: { enabled: options.enabled ?? true } } },
    services: [
      {
        name: 'api',
        check: { type: 'http', url: 'http://127.0.0.1:9/health' },
        ...(metrics ? { metrics } : {}),
        executor: {
          type: 'local',
          command: ['node', 'api.js'],
          ...(options.rollback === false ? {} : { rollback: ['./rollback.sh'] }),
        },
      },
    ],
  })
  if (!result.ok) throw new Error(formatConfigIssues(result.issues).join('\n'))
  const config: AgentConfig = result.config
  const ctx: FaultContext = {
    config,
    configFile: '',
    baseDir: '',
    api: new AgentClient(options.agent ?? 'http://127.0.0.1:9', options.token),
    restorer: new Restorer(),
  }
  return { ctx, service: config.services[0]! }
}

/**
 * A real server standing for both the service (its knobs) and the agent (its approvals): what
 * it lists at /drill, how it answers an approval, and every request it got (with its token).
 */
async function server(knobs: unknown, approveStatus = 200) {
  const requests: string[] = []
  const s: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      const auth = req.headers.authorization ? ` (${req.headers.authorization})` : ''
      requests.push(`${req.method} ${req.url}${auth}${body ? ` ${body}` : ''}`)
      const approving = req.url?.endsWith('/approve')
      res.writeHead(approving ? approveStatus : 200, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify(
          req.url === '/drill' ? { knobs } : approveStatus === 200 ? {} : { error: 'not pending' },
        ),
      )
    })
  })
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  servers.push(s)
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, requests }
}

const servers: Server[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r))
})

const approval = (at: number, id = 'appr_1'): DrillEvent => ({
  type: 'approval',
  at,
  id,
  service: 'api',
  action: 'rollback',
  status: 'pending',
})

const until = async (check: () => boolean) => {
  const deadline = Date.now() + 5000
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe('deployRules', () => {
  it('should find the per-service rules that heal a failed deployment, and none in the default set', () => {
    expect(deployRules(context(undefined).ctx.config)).toEqual([])
    expect(deployRules(context(undefined, { rules: [deployRule] }).ctx.config)).toEqual(['bad-deploy'])
    expect(
      deployRules(context(undefined, { rules: [{ ...deployRule, scope: 'global' }] }).ctx.config),
    ).toEqual([])
  })
})

describe('the bad-deploy fault', () => {
  it('should say why a service cannot take it, asking the service for its knob last', async () => {
    const unfit = async (...args: Parameters<typeof context>) => {
      const { ctx, service } = context(...args)
      return badDeploy.unfit(service, ctx)
    }
    const withKnob = await server(['memory', 'deploy'])
    const metrics = `${withKnob.url}/metrics`
    const rules = [deployRule]
    expect(await unfit(metrics, { rules, rollback: false })).toMatch(/^noa cannot roll it back/)
    expect(await unfit(metrics, { rules, enabled: false })).toBe(
      'the rollback strategy is off (selfHealing.strategies.rollback.enabled)',
    )
    expect(await unfit(undefined, { rules })).toMatch(/^noa does not scrape its \/metrics/)
    expect(await unfit(metrics)).toMatch(/^no per-service alert rule heals "deployment-failure"/)
    const other = await server(['memory'])
    expect(await unfit(`${other.url}/metrics`, { rules })).toBe(
      `no deploy drill knob listed at ${other.url}/drill`,
    )
    expect(await unfit(metrics, { rules })).toBeUndefined()
    expect(withKnob.requests).toEqual(['GET /drill'])
  })

  it('should deploy through the knob, approve the rollback noa asks for with the token, and roll back on undo', async () => {
    const both = await server(['deploy'])
    const { ctx, service } = context(`${both.url}/metrics`, {
      rules: [deployRule],
      agent: both.url,
      token: 't0k',
    })
    const injection = await badDeploy.inject(service, ctx)
    expect(injection).toMatchObject({ faulted: ['api'] })
    expect(ctx.restorer.pending).toEqual(['bad deploy of api'])
    // an approval from before the fault, or for another service, is not the drill's
    injection.onEvent?.(approval(injection.faultAt - 1, 'appr_old'))
    injection.onEvent?.({ ...approval(injection.faultAt), service: 'web' } as DrillEvent)
    injection.onEvent?.(approval(injection.faultAt))
    injection.onEvent?.(approval(injection.faultAt)) // the same request seen twice is approved once
    expect(injection.settled?.()).toBe(false)
    await until(() => injection.settled?.() === true)
    expect(injection.escalated?.()).toBeUndefined()
    await injection.undo()
    expect(both.requests).toEqual([
      'POST /drill/deploy',
      'POST /api/approvals/appr_1/approve (Bearer t0k) {"by":"noa drill","comment":"the drill of a bad deploy of api"}',
      'DELETE /drill/deploy',
    ])
    expect(ctx.restorer.pending).toEqual([])
  })

  it('should say it cannot approve without a token, and undo on Ctrl-C without writing to the agent', async () => {
    const both = await server(['deploy'])
    const { ctx, service } = context(`${both.url}/metrics`, { rules: [deployRule], agent: both.url })
    const injection = await badDeploy.inject(service, ctx)
    expect(injection.escalated?.()).toBeUndefined()
    injection.onEvent?.(approval(injection.faultAt))
    expect(injection.settled?.()).toBe(true)
    expect(injection.escalated?.()).toMatch(/^the drill cannot approve it: set NOA_API_TOKEN/)
    expect(await ctx.restorer.restoreAll()).toEqual([])
    expect(both.requests).toEqual(['POST /drill/deploy', 'DELETE /drill/deploy'])
  })

  it('should say why the agent refused its approval, and reject that approval when it undoes the fault', async () => {
    const both = await server(['deploy'], 409)
    const { ctx, service } = context(`${both.url}/metrics`, {
      rules: [deployRule],
      agent: both.url,
      token: 't0k',
    })
    const injection = await badDeploy.inject(service, ctx)
    injection.onEvent?.(approval(injection.faultAt))
    await until(() => injection.settled?.() === true)
    expect(injection.escalated?.()).toBe(
      "the agent did not take the drill's approval of the rollback (409: not pending)",
    )
    await injection.undo()
    expect(both.requests.slice(2)).toEqual([
      'DELETE /drill/deploy',
      'POST /api/approvals/appr_1/reject (Bearer t0k) {"by":"noa drill","comment":"the drill ended and undid its bad deploy"}',
    ])
  })
})
