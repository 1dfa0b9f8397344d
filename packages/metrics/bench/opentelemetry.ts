/**
 * The OpenTelemetry side of @noa/metrics against the OpenTelemetry JS SDK, in one run:
 * recording through the OpenTelemetry API (noa's bridge against @opentelemetry/sdk-metrics with
 * a reader attached), and one OTLP export of a registry (collect and encode the protobuf: noa's
 * exposition read back into OTLP against the SDK's collect and @opentelemetry/otlp-transformer's
 * serializer). Run with `pnpm --filter @noa/metrics bench`.
 */
import { createRequire } from 'node:module'
import type { Attributes, Meter } from '@opentelemetry/api'
import { ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer'
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics'
import { Registry } from '../src/index.ts'
import { createMeterProvider } from '../src/opentelemetry.ts'
import { encodeOtlpProtobuf, registryOtlpMetrics } from '../src/otlp.ts'
import { type Case, opsPerSecond, printRows } from './rounds.ts'

const BATCH = 1000
const ATTRIBUTES: Attributes[] = ['GET', 'POST', 'PUT', 'DELETE'].flatMap((method) =>
  ['/users/:id', '/orders', '/health'].map((route) => ({ method, route, status: '2xx' })),
)
/** Series of the export case: the default cardinality limit of both (2,000). */
const EXPORT_SERIES = 2_000

/** A reader that only collects when asked, as a periodic exporter's would. */
class CollectingReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

function sides() {
  const reader = new CollectingReader()
  const sdk = new MeterProvider({ readers: [reader] }).getMeter('bench')
  const registry = new Registry()
  const noa = createMeterProvider(registry, { scopeLabels: false }).getMeter('bench')
  return { reader, sdk, registry, noa }
}

function recordCases(): Record<string, Case> {
  const { sdk, noa } = sides()
  const record = (meter: Meter, kind: 'counter' | 'histogram') => {
    if (kind === 'counter') {
      const c = meter.createCounter('http_requests', { description: 'r' })
      return () => {
        for (let i = 0; i < BATCH; i++) c.add(1, ATTRIBUTES[i % ATTRIBUTES.length])
      }
    }
    const h = meter.createHistogram('http_duration', { description: 'd', unit: 's' })
    return () => {
      for (let i = 0; i < BATCH; i++) h.record((i % 100) / 100, ATTRIBUTES[i % ATTRIBUTES.length])
    }
  }
  return {
    'API counter add (12 attribute sets)': {
      noa: record(noa, 'counter'),
      peer: record(sdk, 'counter'),
      ops: BATCH,
    },
    'API histogram record': { noa: record(noa, 'histogram'), peer: record(sdk, 'histogram'), ops: BATCH },
  }
}

function exportCase(): Record<string, Case> {
  const { reader, sdk, registry, noa } = sides()
  for (const meter of [sdk, noa]) {
    const c = meter.createCounter('jobs', { description: 'Jobs done' })
    for (let i = 0; i < EXPORT_SERIES; i++) c.add(i, { queue: `queue-${i}`, region: i % 2 ? 'eu' : 'us' })
  }
  const start = Date.now()
  return {
    [`OTLP export of ${EXPORT_SERIES.toLocaleString('en')} series (collect + protobuf)`]: {
      noa: async () =>
        encodeOtlpProtobuf({
          resource: { 'service.name': 'bench' },
          scope: { name: 'bench' },
          metrics: await registryOtlpMetrics(registry, Date.now(), start),
        }),
      peer: async () =>
        ProtobufMetricsSerializer.serializeRequest([(await reader.collect()).resourceMetrics]),
      ops: 1,
    },
  }
}

const version = (name: string) =>
  (createRequire(import.meta.url)(`${name}/package.json`) as { version: string }).version

console.log(
  `@noa/metrics OpenTelemetry bridge and OTLP export vs @opentelemetry/sdk-metrics ${version('@opentelemetry/sdk-metrics')} and @opentelemetry/otlp-transformer ${version('@opentelemetry/otlp-transformer')} on Node ${process.version}`,
)
printRows(await opsPerSecond({ ...recordCases(), ...exportCase() }), 'OpenTelemetry JS SDK')
