/**
 * The agent's periodic O(fleet) tasks at 10,000 services, in this process, each measured as the
 * longest time it holds the event loop (what a request arriving meanwhile waits), the way it
 * ran before and the way it runs now, in the same run:
 * - the `/api/status` body: the whole list rebuilt and serialized (before, once a second) and
 *   one refresh of the services checked in the last second (now);
 * - the fleet feed's tick (every refresh interval): one walk, and the longest of its slices;
 * - a rule evaluation over the fleet (every metrics round and change burst): the read of its
 *   context and the evaluation, each in one pass and the longest of its slices;
 * - the agent's own `GET /metrics` (every Prometheus scrape): the per-service gauges' walk of
 *   the fleet and the exposition, in one pass and the longest of their slices.
 * The real monitor, healing and alert engines; results are applied by hand (no checks run).
 * Each figure is the task's longest hold of the event loop in CPU time (median and minimum of
 * the repeats), so waits for a CPU taken by other processes do not inflate it; its wall time is
 * printed beside it.
 *
 *   pnpm --filter @noa/agent exec tsx bench/scale-loop.ts [--services 10000] [--repeats 15]
 */
import { parseArgs } from 'node:util'
import { createAlertEngine, defaultRules } from '@noa/alerts'
import { FakeClock } from '@noa/core'
import { createHealingEngine } from '@noa/healing'
import { createHealthMonitor } from '@noa/health'
import { Registry } from '@noa/metrics'
import { createMemoryStore } from '@noa/store'
import { FleetFeed } from '../src/http/fleet-feed.ts'
import { FleetIndex } from '../src/http/fleet-index.ts'
import { ruleContext } from '../src/incident/facts.ts'
import type { MetricsRound } from '../src/metrics/round.ts'
import { createOwnMetrics } from '../src/own-metrics.ts'
import { StatusView } from '../src/status-view.ts'

const { values: args } = parseArgs({
  options: {
    services: { type: 'string', default: '10000' },
    repeats: { type: 'string', default: '15' },
  },
})
const N = Number(args.services)
const REPEATS = Number(args.repeats)
const CHECKS_PER_SECOND = Math.round(N / 30)

const clock = new FakeClock()
const names = Array.from({ length: N }, (_, i) => `svc-${i}`)
const health = createHealthMonitor({
  clock,
  services: names.map((name, i) => ({
    name,
    check: { type: 'http' as const, url: `http://127.0.0.1:1/health/${i}` },
  })),
})
const healing = createHealingEngine({ clock, config: { logsDir: '/tmp/noa-scale-loop' } })
const store = createMemoryStore({ clock })
const round = { latest: undefined, samples: [], scrapeLimited: () => undefined } as unknown as MetricsRound
const sources = { health, healing, round, clock, runningHealings: () => 0, pendingApprovals: () => 0 }

/**
 * A second of checks: each result goes through the monitor as one of its own (thresholds,
 * then the `result` event every listener of the agent gets), without a network round trip.
 */
let turn = 0
function oneSecondOfResults(): void {
  for (let k = 0; k < CHECKS_PER_SECOND; k++) {
    const name = names[(turn++ * 7919) % N]!
    health.report(name, { state: 'healthy' }, { decisive: false })
  }
}

/**
 * The process's time on a CPU, ms (getrusage: exact, unlike /proc's per-thread figures, which
 * move in scheduler ticks): what a task costs whatever else the machine runs. The bench is one
 * thread but for V8's GC helpers, whose share is small here.
 */
const onCpu = () => {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}

interface Block {
  /** The longest stretch between two turns of the event loop, in CPU time. */
  cpu: number
  /** The same stretch in wall time (grows with the waits for a CPU on a busy machine). */
  wall: number
}

/** The longest stretch between two turns of the event loop while `task` runs. */
async function longestBlock(task: () => Promise<unknown>): Promise<Block> {
  let last = { cpu: onCpu(), wall: performance.now() }
  const longest: Block = { cpu: 0, wall: 0 }
  let on = true
  const turnOfLoop = () => {
    const now = { cpu: onCpu(), wall: performance.now() }
    longest.cpu = Math.max(longest.cpu, now.cpu - last.cpu)
    longest.wall = Math.max(longest.wall, now.wall - last.wall)
    last = now
    if (on) setImmediate(turnOfLoop)
  }
  setImmediate(turnOfLoop)
  await new Promise((r) => setImmediate(r))
  last = { cpu: onCpu(), wall: performance.now() }
  await task()
  on = false
  turnOfLoop()
  return longest
}

interface Figures {
  cpu: { min: number; median: number }
  wall: { median: number }
}

async function repeat(task: () => Promise<Block>): Promise<Figures> {
  const blocks: Block[] = []
  for (let i = 0; i < REPEATS; i++) blocks.push(await task())
  const sorted = (key: keyof Block) => blocks.map((b) => b[key]).sort((a, b) => a - b)
  const cpu = sorted('cpu')
  return {
    cpu: { min: cpu[0]!, median: cpu[Math.floor(REPEATS / 2)]! },
    wall: { median: sorted('wall')[Math.floor(REPEATS / 2)]! },
  }
}

const rows: Array<[string, Figures]> = []
const fmt = (t: Figures) =>
  `${t.cpu.median.toFixed(1)} ms on a CPU (min ${t.cpu.min.toFixed(1)}), wall ${t.wall.median.toFixed(1)} ms`
const show = (what: string, t: Figures) => {
  rows.push([what, t])
  console.log(`  ${what}: ${fmt(t)}`)
}

async function main() {
  console.log(
    `noa event-loop tasks at ${N} services (${CHECKS_PER_SECOND} results a second), ${REPEATS} repeats, Node ${process.version}`,
  )
  for (const name of names) health.report(name, { state: 'healthy' })

  const alerts = createAlertEngine({
    outbox: store.outbox,
    alertLog: store.alerts,
    clock,
    rules: defaultRules(),
  })
  const view = new StatusView({ ...sources, alerts })
  view.json()
  show(
    '/api/status body, whole list built and serialized (before: once a second)',
    await repeat(() => longestBlock(async () => new StatusView({ ...sources, alerts }).json())),
  )
  show(
    '/api/status body, one refresh after a second of results (now)',
    await repeat(async () => {
      oneSecondOfResults()
      await clock.advance(1000)
      return longestBlock(async () => view.json())
    }),
  )

  const feed = (tickSlice: number) => {
    const index = new FleetIndex()
    const f = new FleetFeed({
      index,
      health,
      healing,
      sse: { publish: () => 0 },
      clock,
      extras: () => ({
        metrics: { cpu: null, memory: null, errorRate: null, latency: null },
        alerts: { firing: 0, pending: 0 },
        healing: { running: 0, pendingApprovals: 0 },
      }),
      tickSlice,
    })
    f.configure(names.map((name) => ({ name, critical: true })))
    return f
  }
  const whole = feed(Number.POSITIVE_INFINITY)
  const sliced = feed(500)
  await whole.tick()
  await sliced.tick()
  show('fleet tick, one walk (before)', await repeat(() => longestBlock(() => whole.tick())))
  show('fleet tick, longest slice of 500 (now)', await repeat(() => longestBlock(() => sliced.tick())))
  whole.close()
  sliced.close()

  const facts = { ...sources, escalations: new Map<string, string>(), agent: {} }
  show(
    'rule evaluation context, one read of the fleet (before)',
    await repeat(() => longestBlock(() => ruleContext(facts, Number.MAX_SAFE_INTEGER))),
  )
  show(
    'rule evaluation context, longest slice of 1,000 (now)',
    await repeat(() => longestBlock(() => ruleContext(facts))),
  )
  const engine = (evaluationSlice: number) =>
    createAlertEngine({ outbox: store.outbox, clock, rules: defaultRules(), evaluationSlice })
  const onePass = engine(Number.MAX_SAFE_INTEGER)
  const inSlices = engine(2000)
  const context = await ruleContext(facts)
  show(
    'rule evaluation, one pass (before)',
    await repeat(() => longestBlock(() => onePass.evaluate(context))),
  )
  show(
    'rule evaluation, longest slice of 2,000 (now)',
    await repeat(() => longestBlock(() => inSlices.evaluate(context))),
  )

  // The agent's registry as a scrape finds it: the per-service gauges and the check metrics
  // every result feeds (each per-service metric stops at its 2,000-series limit).
  const ownRegistry = (oneGo: boolean) => {
    const registry = new Registry(oneGo ? { renderSlice: Number.POSITIVE_INFINITY } : {})
    const own = createOwnMetrics(
      registry,
      { health, healing, sseClients: () => 0 },
      oneGo ? { serviceSlice: Number.POSITIVE_INFINITY } : {},
    )
    for (const name of names) {
      own.checks.inc({ service: name, state: 'healthy' })
      own.results.inc({ state: 'healthy' })
      own.duration.labels({ service: name }).observe(0.003)
      own.lateness.observe(0.001)
    }
    return registry
  }
  const scrapeOneGo = ownRegistry(true)
  const scrapeSliced = ownRegistry(false)
  const lines = (await scrapeSliced.metrics()).split('\n').length - 1
  console.log(`  (the agent's /metrics: ${lines} lines)`)
  show(
    '/metrics, collected and written in one pass (before)',
    await repeat(() => longestBlock(() => scrapeOneGo.metrics())),
  )
  show(
    '/metrics as bytes, longest slice of 1,000 services or 2,000 lines (now)',
    await repeat(() => longestBlock(() => scrapeSliced.metricsBytes())),
  )

  console.log(
    '\n| task (longest hold of the event loop, median) | on a CPU | min | wall |\n| --- | --- | --- | --- |',
  )
  for (const [what, t] of rows)
    console.log(
      `| ${what} | ${t.cpu.median.toFixed(1)} ms | ${t.cpu.min.toFixed(1)} ms | ${t.wall.median.toFixed(1)} ms |`,
    )
  await healing.close()
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error)
    process.exit(1)
  },
)
