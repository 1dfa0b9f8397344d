import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import type { AgentService } from '../config/schema.ts'
import type { FaultContext, FaultDriver, Injection } from './fault.ts'
import { type ProxyMode, startFaultProxy } from './proxy.ts'

/**
 * The config file as it was before a drill rewrote it, kept beside it while the drill runs: a
 * drill killed before it could put the file back (SIGKILL, a crash) leaves it for the next one.
 */
export const backupOf = (file: string) => `${file}.noa-drill-backup`

/**
 * Puts back a config file a killed drill left rewritten; true when there was one. The next
 * drill does this before anything else.
 */
export function restoreLeftBackup(file: string): boolean {
  const backup = backupOf(file)
  if (!existsSync(backup)) return false
  renameSync(backup, file)
  return true
}

/** The longest a check may take to see a service through the proxy once the agent reloaded. */
export function firstCheckWithinMs(service: AgentService): number {
  return service.interval + service.timeout * (service.retries + 1) + 10_000
}

/** The service's entry in the config file as written, when the file is JSON and lists it itself. */
function entryInFile(
  file: string,
  name: string,
): { text: string; raw: { services: unknown[] }; index: number } {
  if (!file.endsWith('.json'))
    throw new Error('the config file is not JSON (the drill reroutes checks in JSON files only)')
  const text = readFileSync(file, 'utf8')
  const raw = JSON.parse(text) as { services?: unknown }
  const services = Array.isArray(raw.services) ? raw.services : []
  const index = services.findIndex((s) => (s as { name?: unknown }).name === name)
  if (index === -1)
    throw new Error('not listed in the config file\'s "services" (templates and services.d are not rerouted)')
  return { text, raw: raw as { services: unknown[] }, index }
}

function unfit(service: AgentService, ctx: FaultContext): string | undefined {
  if (service.check.type !== 'http') return 'its check is not an http check'
  if (!ctx.api.hasToken) return 'the drill must reload the agent: set NOA_API_TOKEN'
  try {
    entryInFile(ctx.configFile, service.name)
    return undefined
  } catch (error) {
    return (error as Error).message
  }
}

async function reload(ctx: FaultContext): Promise<void> {
  const answer = await ctx.api.post<{ error?: string; issues?: string[] }>('/api/reload', {})
  if (answer.status !== 200)
    throw new Error(
      `the agent refused the reload (${answer.status}): ${answer.body.error ?? ''} ${answer.body.issues?.join('; ') ?? ''}`,
    )
}

/**
 * Puts a fault-injecting proxy in front of an HTTP service: the service's check URL in the config
 * file is pointed at the proxy and the agent reloads it (a reload keeps the supervised process);
 * once the agent sees the service healthy through the proxy, the proxy turns to `mode`. The
 * fault is taken to live in the process: a healing that acts on the service clears it, as a
 * restart would. Undone by putting the file back as it was, reloading and closing the proxy.
 */
async function behindProxy(service: AgentService, ctx: FaultContext, mode: ProxyMode): Promise<Injection> {
  if (service.check.type !== 'http') throw new Error(`${service.name}: its check is not an http check`)
  const checkUrl = new URL(String(service.check.url))
  const { text, raw, index } = entryInFile(ctx.configFile, service.name)
  const proxy = await startFaultProxy(checkUrl.origin)
  const entry = raw.services[index] as { check: { url: string } }
  entry.check.url = `${proxy.url}${checkUrl.pathname}${checkUrl.search}`
  const undo = ctx.restorer.add(`proxy in front of ${service.name} (config file rewritten)`, async () => {
    proxy.mode({ kind: 'pass' })
    writeFileSync(ctx.configFile, text)
    rmSync(backupOf(ctx.configFile), { force: true })
    try {
      await reload(ctx)
    } finally {
      await proxy.close()
    }
  })
  writeFileSync(backupOf(ctx.configFile), text)
  writeFileSync(ctx.configFile, `${JSON.stringify(raw, null, 2)}\n`)
  await reload(ctx)
  const deadline = Date.now() + firstCheckWithinMs(service)
  while (!(proxy.counts.passed > 0 && (await ctx.api.state(service.name)) === 'healthy')) {
    if (Date.now() > deadline) {
      await undo()
      throw new Error(`${service.name}: not seen healthy through the drill's proxy`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  const faultAt = Date.now()
  proxy.mode(mode)
  return {
    faultAt,
    faulted: [service.name],
    injections: () => 1,
    onEvent(event) {
      if (event.type !== 'healing' || event.record.service !== service.name) return
      if (event.record.outcome !== 'skipped' && !event.record.dryRun && event.record.steps.length > 0)
        proxy.mode({ kind: 'pass' })
    },
    undo,
  }
}

/** slow: the service answers later than its check's timeout, through the proxy. */
export const slow: FaultDriver = {
  targets: (service) => [service.name],
  unfit,
  inject: (service, ctx) => behindProxy(service, ctx, { kind: 'slow', delayMs: service.timeout + 1000 }),
}

/** errors: a burst of 503 answers, through the proxy. */
export const errors: FaultDriver = {
  targets: (service) => [service.name],
  unfit,
  inject: (service, ctx) => behindProxy(service, ctx, { kind: 'errors', status: 503 }),
}
