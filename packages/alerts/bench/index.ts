// Benchmarks of @noa/alerts: rule evaluation and alert delivery latency.
// Run with `pnpm --filter @noa/alerts bench`. Not a test: figures go into the README.
import { performance } from 'node:perf_hooks'
import type { MetricSnapshot } from '@noa/core'
import { createMemoryStore } from '@noa/store'
import { Bench } from 'tinybench'
import { compileCondition, createAlertEngine, type ServiceHealth } from '../src/index.ts'
import { startReceiver } from '../src/testing/index.ts'

const snapshot: MetricSnapshot = {
  timestamp: new Date().toISOString(),
  system: { cpu: { usage: { average: 45.2 } }, memory: { usagePercent: 67.8 }, loadAverage: [1, 1, 1] },
  application: {
    requests: { total: 1000, errors: 5, errorRate: 0.005 },
    latency: { average: 120, p95: 250, p99: 500 },
  },
  business: { activeUsers: 42, tasksCompleted: 128 },
  custom: {},
}
const samples = Array.from({ length: 50 }, (_, i) => ({
  name: 'http_requests_total',
  labels: { status: i % 5 === 0 ? '5xx' : '2xx', route: `/r${i}` },
  value: i,
}))

// 1,000 rules of the shapes the seed uses, with varied thresholds.
const FIELDS = ['error_rate', 'cpu_usage', 'memory_usage', 'avg_latency', 'p99_latency'] as const
const conditions = Array.from({ length: 1000 }, (_, i) => {
  const f = FIELDS[i % FIELDS.length] as string
  const t = 0.5 + (i % 100) / 100
  if (i % 10 === 9) return `http_requests_total{status="5xx"} > ${i} && business.activeUsers > 1`
  if (i % 10 === 8) return `(${f} > ${t} || load_average > ${t * 10}) && !(error_rate > 1)`
  return `${f} > ${t * (f.endsWith('latency') ? 2000 : 1)}`
})

// The peer: the same 1,000 conditions written as plain JS closures (the floor no parser beats).
const pct = (v: number | undefined) => (v === undefined ? undefined : v / 100)
const read: Record<string, (s: MetricSnapshot) => number | undefined> = {
  error_rate: (s) => s.application.requests?.errorRate,
  cpu_usage: (s) => pct(s.system.cpu?.usage?.average),
  memory_usage: (s) => pct(s.system.memory?.usagePercent),
  avg_latency: (s) => s.application.latency?.average,
  p99_latency: (s) => s.application.latency?.p99,
}
const closures = conditions.map((_, i) => {
  const f = read[FIELDS[i % FIELDS.length] as string] as (s: MetricSnapshot) => number | undefined
  const t = 0.5 + (i % 100) / 100
  if (i % 10 === 9)
    return (s: MetricSnapshot) =>
      samples.filter((x) => x.labels.status === '5xx').reduce((a, x) => a + x.value, 0) > i &&
      (s.business.activeUsers ?? 0) > 1
  if (i % 10 === 8)
    return (s: MetricSnapshot) =>
      ((f(s) ?? 0) > t || (s.system.loadAverage?.[0] ?? 0) > t * 10) &&
      !((s.application.requests?.errorRate ?? 0) > 1)
  return (s: MetricSnapshot) => (f(s) ?? 0) > t
})

const compiled = conditions.map((c, i) => compileCondition(c, `r${i}`))
const engine = createAlertEngine({
  outbox: createMemoryStore().outbox,
  groupWaitMs: 0,
  rules: conditions.map((condition, i) => ({ name: `r${i}`, condition, severity: 'warning' })),
})

const bench = new Bench({ time: 1000, warmupTime: 200 })
bench
  .add('noa: 1,000 conditions (AST walk)', () => {
    for (const c of compiled) c.evaluate({ snapshot, service: undefined, samples })
  })
  .add('noa: engine.evaluate, 1,000 rules (lifecycle included)', async () => {
    await engine.evaluate({ snapshot, samples })
  })
  .add('peer: 1,000 plain JS closures', () => {
    for (const f of closures) f(snapshot)
  })
await bench.run()

console.log('\n## Evaluating 1,000 rules against a snapshot (target < 5 ms)\n')
const rows = bench.tasks.map((t) => {
  const r = t.result as unknown as { latency: { mean: number; p99: number }; throughput: { mean: number } }
  return { name: t.name, mean: r.latency.mean, p99: r.latency.p99, ops: r.throughput.mean }
})
const peer = rows.find((r) => r.name.startsWith('peer')) as (typeof rows)[number]
for (const r of rows)
  console.log(
    `${r.name.padEnd(56)} ${r.mean.toFixed(3).padStart(8)} ms mean  ${r.p99.toFixed(3).padStart(8)} ms p99  ${Math.round(r.ops).toLocaleString('en').padStart(8)} ops/s  ${(peer.mean / r.mean).toFixed(2)}x peer`,
  )

// ---- The default rules over a fleet: what the agent judges every metrics round ----
const FLEET = 10_000
const fleet: Record<string, ServiceHealth> = {}
for (let i = 0; i < FLEET; i++)
  fleet[`svc-${i}`] = {
    state: i % 100 === 0 ? 'error' : 'healthy',
    critical: true,
    dependsOn: [],
    blockedBy: [],
    failures: i % 100 === 0 ? 3 : 0,
    flapping: false,
    degraded: false,
    healingFailed: false,
    circuitOpen: false,
    scrapeLimited: false,
  }
const fleetEngine = createAlertEngine({ outbox: createMemoryStore().outbox, groupWaitMs: 0 })
const fleetRounds: number[] = []
for (let i = 0; i < 40; i++) {
  const start = performance.now()
  await fleetEngine.evaluate({ snapshot, services: fleet, samples: [] })
  fleetRounds.push(performance.now() - start)
}
fleetRounds.sort((a, b) => a - b)
console.log(`\n## The default rules over ${FLEET.toLocaleString('en')} services, 1 % of them down\n`)
console.log(
  `noa: engine.evaluate   p50 ${fleetRounds[20]!.toFixed(1)} ms  min ${fleetRounds[0]!.toFixed(1)} ms  (node ${process.execArgv.join(' ') || 'defaults'})`,
)

// ---- From a threshold crossing (for 0) to the webhook receiver having the request ----
const ROUNDS = 300
const receiver = await startReceiver(200)
const store = createMemoryStore()
const alerting = createAlertEngine({
  outbox: store.outbox,
  groupWaitMs: 0,
  rules: [{ name: 'cpu-overload', condition: 'cpu_usage > 0.90', severity: 'critical' }],
  channels: { ops: { type: 'webhook', url: `${receiver.url}/hook` } },
})
await alerting.start()
const hot: MetricSnapshot = { ...snapshot, system: { ...snapshot.system, cpu: { usage: { average: 97 } } } }
const latencies: number[] = []
for (let i = 0; i < ROUNDS; i++) {
  const start = performance.now()
  const before = receiver.accepted.length
  await alerting.evaluate({ snapshot: hot })
  await receiver.waitForAccepted(before + 1)
  latencies.push(performance.now() - start)
  await alerting.evaluate({ snapshot }) // resolve, and wait for its notification too
  await receiver.waitForAccepted(before + 2)
}
await alerting.stop()

// The peer: one bare fetch POST of the same payload to the same receiver.
const body = receiver.accepted[0]?.body ?? '{}'
const direct: number[] = []
for (let i = 0; i < ROUNDS; i++) {
  const start = performance.now()
  const res = await fetch(`${receiver.url}/hook`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json' },
  })
  await res.arrayBuffer()
  direct.push(performance.now() - start)
}
await receiver.close()

const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] as number
}
console.log(
  `\n## Threshold crossing -> webhook receiver on loopback, ${ROUNDS} alerts (target p99 < 50 ms)\n`,
)
console.log(
  `noa: evaluate -> outbox -> worker -> webhook   p50 ${q(latencies, 0.5).toFixed(2)} ms  p99 ${q(latencies, 0.99).toFixed(2)} ms`,
)
console.log(
  `peer: bare fetch POST of the same body        p50 ${q(direct, 0.5).toFixed(2)} ms  p99 ${q(direct, 0.99).toFixed(2)} ms`,
)
console.log(`ratio (p50 noa / peer): ${(q(latencies, 0.5) / q(direct, 0.5)).toFixed(2)}x`)
