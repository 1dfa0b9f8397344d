import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { formatConfigIssues, validateConfig } from '../config/load.ts'
import type { AgentConfig } from '../config/schema.ts'
import { AgentClient } from './agent-client.ts'
import { FAULT_DRIVERS } from './drivers.ts'
import type { FaultContext, FaultDriver } from './fault.ts'
import { planDrills } from './plan.ts'
import { dependencyDown } from './process-faults.ts'
import { Restorer } from './restore.ts'

function config(services: Array<{ name: string; drill?: boolean; dependsOn?: string[] }>): AgentConfig {
  const result = validateConfig({
    store: { type: 'memory' },
    services: services.map((s) => ({
      check: { type: 'http', url: 'http://127.0.0.1:9/health' },
      executor: { type: 'local', command: ['node', 'service.js'] },
      ...s,
    })),
  })
  if (!result.ok) throw new Error(formatConfigIssues(result.issues).join('\n'))
  return result.config
}

/** A test double: every service can take it, and it touches only that service. */
const anyService: FaultDriver = {
  targets: (service) => [service.name],
  unfit: () => undefined,
  inject: () => Promise.reject(new Error('not injected in a plan')),
}

describe('planDrills', () => {
  let dir: string
  let ctx: FaultContext

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'noa-plan-'))
    ctx = {
      config: config([
        { name: 'api', drill: true },
        { name: 'db' },
        { name: 'web', drill: true, dependsOn: ['db'] },
      ]),
      configFile: join(dir, 'config.json'),
      baseDir: dir,
      api: new AgentClient('http://127.0.0.1:9'),
      restorer: new Restorer(),
    }
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('should refuse a named service that is not marked drill: true, unless --yes', async () => {
    const refused = await planDrills(
      { faults: ['crash'], service: 'db', rounds: 1, yes: false },
      { crash: anyService },
      ctx,
    )
    expect(refused).toEqual({
      ok: false,
      problems: [
        'refusing to drill crash on db: db is not marked "drill": true in the config (mark it, or pass --yes)',
      ],
    })
    const allowed = await planDrills(
      { faults: ['crash'], service: 'db', rounds: 1, yes: true },
      { crash: anyService },
      ctx,
    )
    expect(allowed).toEqual({ ok: true, items: [{ fault: 'crash', service: 'db', round: 0 }], notes: [] })
  })

  it('should refuse a drill whose fault lands on an unmarked dependency', async () => {
    const plan = await planDrills(
      { faults: ['dependency-down'], service: 'web', rounds: 1, yes: false },
      { 'dependency-down': dependencyDown },
      ctx,
    )
    expect(plan.ok).toBe(false)
    expect(!plan.ok && plan.problems[0]).toMatch(
      /^refusing to drill dependency-down on web: db is not marked/,
    )
  })

  it('should pick only marked services, going round them across rounds', async () => {
    const plan = await planDrills(
      { faults: ['crash', 'hang'], rounds: 2, yes: false },
      { crash: anyService, hang: anyService },
      ctx,
    )
    expect(plan).toEqual({
      ok: true,
      items: [
        { fault: 'crash', service: 'api', round: 0 },
        { fault: 'hang', service: 'web', round: 0 },
        { fault: 'crash', service: 'web', round: 1 },
        { fault: 'hang', service: 'api', round: 1 },
      ],
      notes: [],
    })
  })

  it('should say "not supported yet" for a fault without a driver, and why no service can take one', async () => {
    const { 'leader-kill': _, ...drivers } = FAULT_DRIVERS
    const plan = await planDrills(
      { faults: ['store-down', 'leader-kill', 'crash'], rounds: 1, yes: false },
      drivers,
      ctx,
    )
    expect(plan).toEqual({
      ok: true,
      items: [],
      notes: [
        'store-down: no service can take it (api: its store is in memory (store.type "memory"): there is no store to take down; web: its store is in memory (store.type "memory"): there is no store to take down)',
        'leader-kill: not supported yet',
        'crash: no service can take it (api: no supervised process recorded under run/services; web: no supervised process recorded under run/services)',
      ],
    })
  })

  it('should refuse the run when no service is marked at all', async () => {
    ctx.config = config([{ name: 'db' }])
    expect(await planDrills({ faults: [], rounds: 1, yes: false }, FAULT_DRIVERS, ctx)).toEqual({
      ok: false,
      problems: [
        'no service is marked "drill": true in the config (mark the ones drills may break, or pass --yes)',
      ],
    })
  })
})
