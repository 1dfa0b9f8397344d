/**
 * @noa/metrics against prom-client, side by side in one run: ops/s of each and the ratio.
 * Run with `pnpm --filter @noa/metrics bench` (it passes --expose-gc for the memory case).
 */
import * as prom from 'prom-client'
import { createSystemCollector, Registry } from '../src/index.ts'
import { opsPerSecond, printRows, type Row } from './rounds.ts'

const BATCH = 1000
const METHODS = ['GET', 'POST', 'PUT', 'DELETE']
const ROUTES = ['/users/:id', '/orders', '/health']
const LABELS = METHODS.flatMap((method) => ROUTES.map((route) => ({ method, route, status: '2xx' })))

function counterCase() {
  const registry = new Registry()
  const noa = registry.counter({ name: 'req_total', help: 'r', labelNames: ['method', 'route', 'status'] })
  const promRegistry = new prom.Registry()
  const promCounter = new prom.Counter({
    name: 'req_total',
    help: 'r',
    labelNames: ['method', 'route', 'status'],
    registers: [promRegistry],
  })
  const bound = LABELS.map((l) => noa.labels(l))
  const promBound = LABELS.map((l) => promCounter.labels(l))
  return {
    'labelled counter inc': {
      ops: BATCH,
      noa: () => {
        for (let i = 0; i < BATCH; i++) noa.inc(LABELS[i % LABELS.length]!, 1)
      },
      peer: () => {
        for (let i = 0; i < BATCH; i++) promCounter.inc(LABELS[i % LABELS.length]!, 1)
      },
    },
    'bound counter inc (labels() child)': {
      ops: BATCH,
      noa: () => {
        for (let i = 0; i < BATCH; i++) bound[i % bound.length]!.inc(1)
      },
      peer: () => {
        for (let i = 0; i < BATCH; i++) promBound[i % promBound.length]!.inc(1)
      },
    },
  }
}

function histogramCase() {
  const registry = new Registry()
  const noa = registry.histogram({
    name: 'lat_seconds',
    help: 'l',
    labelNames: ['method', 'route', 'status'],
  })
  const promRegistry = new prom.Registry()
  const promHistogram = new prom.Histogram({
    name: 'lat_seconds',
    help: 'l',
    labelNames: ['method', 'route', 'status'],
    registers: [promRegistry],
  })
  const values = Array.from({ length: 64 }, (_, i) => (i * 0.173) % 3)
  return {
    'labelled histogram observe': {
      ops: BATCH,
      noa: () => {
        for (let i = 0; i < BATCH; i++) noa.observe(LABELS[i % LABELS.length]!, values[i & 63]!)
      },
      peer: () => {
        for (let i = 0; i < BATCH; i++) promHistogram.observe(LABELS[i % LABELS.length]!, values[i & 63]!)
      },
    },
  }
}

function renderCase(series: number) {
  const registry = new Registry()
  const noa = registry.counter({
    name: 'req_total',
    help: 'r',
    labelNames: ['route', 'method'],
    maxSeries: series,
  })
  const promRegistry = new prom.Registry()
  const promCounter = new prom.Counter({
    name: 'req_total',
    help: 'r',
    labelNames: ['route', 'method'],
    registers: [promRegistry],
  })
  for (let i = 0; i < series; i++) {
    const labels = { route: `/api/v1/resource/${i >> 2}`, method: METHODS[i & 3]! }
    noa.inc(labels, i)
    promCounter.inc(labels, i)
  }
  if (noa.seriesCount !== series) throw new Error('series missing')
  return {
    [`render ${series.toLocaleString('en')} labelled series`]: {
      ops: 1,
      noa: () => registry.metrics(),
      peer: () => promRegistry.metrics(),
    },
  }
}

function heapUsed(): number {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) throw new Error('run with --expose-gc')
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

function memoryPerHistogramSeries(n: number): Row {
  const labels = Array.from({ length: n }, (_, i) => ({ route: `/r/${i}`, method: METHODS[i & 3]! }))
  const before1 = heapUsed()
  const registry = new Registry()
  const h = registry.histogram({
    name: 'lat_seconds',
    help: 'l',
    labelNames: ['route', 'method'],
    maxSeries: n,
  })
  for (const l of labels) h.observe(l, 0.3)
  const noa = (heapUsed() - before1) / n
  const before2 = heapUsed()
  const promRegistry = new prom.Registry()
  const ph = new prom.Histogram({
    name: 'lat_seconds',
    help: 'l',
    labelNames: ['route', 'method'],
    registers: [promRegistry],
  })
  for (const l of labels) ph.observe(l, 0.3)
  const promBytes = (heapUsed() - before2) / n
  // Both stay reachable until both are measured.
  if (h.seriesCount !== n || (promRegistry.getMetricsAsArray().length as number) !== 1)
    throw new Error('lost series')
  return {
    case: `memory per histogram series (${n.toLocaleString('en')} series)`,
    noa,
    peer: promBytes,
    unit: 'bytes',
    higher: false,
  }
}

async function systemCollection(): Promise<string> {
  const system = createSystemCollector({ reuseMs: 0 })
  let t = performance.now()
  await system.collect()
  const cold = performance.now() - t
  const warm: number[] = []
  for (let i = 0; i < 20; i++) {
    t = performance.now()
    await system.collect()
    warm.push(performance.now() - t)
  }
  warm.sort((a, b) => a - b)
  return `system collection: first ${cold.toFixed(1)} ms, then median ${warm[10]!.toFixed(1)} ms, max ${warm[19]!.toFixed(1)} ms (20 runs)`
}

async function main() {
  console.log(
    `@noa/metrics vs prom-client ${(await import('prom-client/package.json', { with: { type: 'json' } })).default.version} on Node ${process.version}`,
  )
  const rows = [
    ...(await opsPerSecond({ ...counterCase(), ...histogramCase(), ...renderCase(10_000) })),
    memoryPerHistogramSeries(10_000),
  ]
  printRows(rows, 'prom-client')
  console.log('')
  console.log(await systemCollection())
}

await main()
