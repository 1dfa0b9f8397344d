// The demo fleet of config/monitoring-config.json, set up for drills in a folder of its own: free
// ports, the demo service by its absolute path, no random failure of its own (a drill's faults
// are the only ones), checks and metrics every second, healing guards that let one drill follow
// another, a flapping window of 15 s, and the demo's rules with the memory and bad-deploy rules'
// waits cut to 1 s. Its rollbacks ask for an approval, which `noa drill` gives with the token.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { stopRecorded } from '@noa/healing'
import { servicesRunDir } from '../src/cli/paths.ts'
import { freePort } from '../test/helpers.ts'
import { type AgentProcess, sleep, startAgent } from './agent-process.ts'

const REPO = resolve(import.meta.dirname, '../../..')
const DEMO = resolve(REPO, 'apps/demo/dist/service.js')
const ROLLBACK = resolve(REPO, 'apps/demo/dist/rollback.js')

type Service = { name: string; executor?: { command?: string[]; rollback?: string[] } } & Record<
  string,
  unknown
>
type Rule = { actions?: Array<string | { type: string; trigger?: string }> } & Record<string, unknown>

/** The triggers of the rules a drill waits for: a memory leak, a failed deployment. */
const DRILLED_TRIGGERS = new Set(['memory-leak', 'deployment-failure'])

/**
 * The demo's rules, the ones that heal a memory leak or a failed deployment firing after 1 s
 * and with no cooldown: a memory or bad-deploy drill is seen in seconds, and the next one on
 * the same service is healed too.
 */
function drillRules(rules: Array<Rule | 'defaults'> | undefined): Array<Rule | 'defaults'> | undefined {
  return rules?.map((rule) =>
    rule !== 'defaults' &&
    rule.actions?.some((a) => typeof a === 'object' && DRILLED_TRIGGERS.has(a.trigger ?? ''))
      ? { ...rule, for: 1000, cooldown: 0 }
      : rule,
  )
}

/** The demo fleet's config, rewritten for drills (its paths relative to the agent's folder). */
export async function drillFleetConfig(): Promise<Record<string, unknown>> {
  const demo = JSON.parse(readFileSync(resolve(REPO, 'config/monitoring-config.json'), 'utf8')) as {
    services: Service[]
    alerting?: { rules?: Array<Rule | 'defaults'> }
  }
  const rules = drillRules(demo.alerting?.rules)
  let services = JSON.stringify(demo.services)
  for (const port of new Set([...services.matchAll(/127\.0\.0\.1:(\d+)/g)].map((m) => m[1]!))) {
    const free = String(await freePort())
    services = services
      .replaceAll(`127.0.0.1:${port}/`, `127.0.0.1:${free}/`)
      .replaceAll(`"${port}"`, `"${free}"`)
  }
  const fleet = (JSON.parse(services) as Service[]).map((s) => {
    const command = s.executor?.command ?? []
    const fail = command.indexOf('--fail')
    const cleaned = fail === -1 ? command : command.slice(0, fail)
    return {
      ...s,
      drill: true,
      // a crash loop (3 kills, 6 changes) flaps; drills 15 s apart on one service do not
      flapping: { windowMs: 15_000, limit: 5 },
      executor: {
        ...s.executor,
        command: cleaned.map((a) => (a === 'apps/demo/dist/service.js' ? DEMO : a)),
        ...(s.executor?.rollback
          ? { rollback: s.executor.rollback.map((a) => (a === 'apps/demo/dist/rollback.js' ? ROLLBACK : a)) }
          : {}),
        shutdownTimeoutMs: 1000,
      },
    }
  })
  return {
    healthChecks: { enabled: true, interval: 1000, timeout: 500, retries: 1 },
    selfHealing: {
      enabled: true,
      autoRestart: true,
      maxRestarts: 1000,
      restartCooldown: 1000,
      // a rollback looks for the drill's approval every 200 ms
      approvalPollInterval: 200,
      strategies: {
        serviceRestart: { enabled: true, cooldown: 1000, maxConsecutive: 100, stopWait: 200, startWait: 500 },
        rollback: { enabled: true, automatic: false, approvalRequired: true },
      },
    },
    alerting: { enabled: true, channels: { console: { enabled: false } }, ...(rules ? { rules } : {}) },
    metrics: { enabled: true, collectInterval: 1000, storage: { path: 'data/metrics' } },
    dashboard: { enabled: true, host: '127.0.0.1', port: 0 },
    services: fleet,
    store: { type: 'sqlite', path: 'data/noa.db' },
    logs: { dir: 'logs/monitoring', level: 'info', retentionDays: 1 },
    hooks: [],
  }
}

/** How long the fleet may take to be healthy once the agent runs. */
const FLEET_UP_MS = 60_000

/**
 * Waits until the agent sees every service healthy: the plan asks some services for their drill
 * knobs, and a service still starting would be left out of the run.
 */
export async function untilFleetHealthy(base: string, names: readonly string[]): Promise<void> {
  const deadline = Date.now() + FLEET_UP_MS
  for (;;) {
    const states = await Promise.all(
      names.map(async (name) => {
        const res = await fetch(`${base}/api/services/${encodeURIComponent(name)}`).catch(() => undefined)
        const body = (await res?.json().catch(() => undefined)) as
          | { service?: { state?: string } }
          | undefined
        return body?.service?.state
      }),
    )
    if (states.every((state) => state === 'healthy')) return
    if (Date.now() > deadline)
      throw new Error(`the demo fleet is not healthy after ${FLEET_UP_MS / 1000} s: ${states.join(', ')}`)
    await sleep(200)
  }
}

/**
 * Starts the real agent (bin/noa.mjs) on the drill fleet in `dir` and waits until its services
 * are healthy; stop() also ends the services it ran.
 */
export async function startDrillFleet(dir: string, token: string): Promise<AgentProcess> {
  const config = await drillFleetConfig()
  const before = process.env.NOA_API_TOKEN
  process.env.NOA_API_TOKEN = token
  try {
    const agent = await startAgent(dir, config)
    const names = (config.services as Service[]).map((s) => s.name)
    await untilFleetHealthy(agent.base, names).catch(async (error) => {
      await agent.stop()
      await stopRecorded(servicesRunDir(dir), { timeoutMs: 5000 })
      throw error
    })
    return {
      ...agent,
      async stop() {
        await agent.stop()
        // supervised services outlive their agent; stop them as `noa stop` does
        await stopRecorded(servicesRunDir(dir), { timeoutMs: 5000 })
      },
    }
  } finally {
    if (before === undefined) delete process.env.NOA_API_TOKEN
    else process.env.NOA_API_TOKEN = before
  }
}
