// Typed use of the packages as a TypeScript user writes it; compiled under `nodenext` (and run)
// and under `bundler`, with the packages' own declaration files checked (skipLibCheck off).

import { type AlertEngineOptions, createAlertEngine } from '@noa/alerts'
import { alertRuleSchema } from '@noa/alerts/config'
import { createRecordingChannel } from '@noa/alerts/testing'
import { type ConfigError, isConfigError } from '@noa/core'
import { createHealthMonitor, type HealthChange, type HealthMonitorOptions } from '@noa/health'
import { parseServiceChecks } from '@noa/health/config'
import { collectDefaultMetrics, metricsHandler, Registry } from '@noa/metrics'
import { createMemoryStore, isStoreError, type Store, StoreError } from '@noa/store'

const registry = new Registry()
const jobs = registry.counter({ name: 'jobs_total', help: 'Jobs done', labelNames: ['queue'] as const })
jobs.inc({ queue: 'mail' })
const defaults = collectDefaultMetrics(registry)

const options: HealthMonitorOptions = {
  services: [{ name: 'api', check: { type: 'tcp', host: '127.0.0.1', port: 9 } }],
}
const monitor = createHealthMonitor(options)
const changes: HealthChange[] = []
const off: () => void = monitor.on('change', (change) => changes.push(change))
off()
const handler: (
  req: import('node:http').IncomingMessage,
  res: import('node:http').ServerResponse,
) => Promise<void> = metricsHandler(registry)
void handler
const [checked] = parseServiceChecks([{ name: 'api', check: { type: 'tcp', host: '127.0.0.1', port: 9 } }])
if (checked?.timeout !== 5000) throw new Error('service defaults')

const rules: AlertEngineOptions['rules'] = [
  { name: 'cpu', condition: 'cpu_usage > 0.9', severity: 'critical' },
]
// @ts-expect-error: a misspelt rule option does not compile
const typo: AlertEngineOptions['rules'] = [{ name: 'cpu', conditon: 'cpu_usage > 0.9', severity: 'critical' }]
void typo
const channelTypo: AlertEngineOptions['channels'] = {
  // @ts-expect-error: a misspelt channel option does not compile either
  ops: { type: 'webhook', urll: 'https://example.com/hook' },
}
void channelTypo
alertRuleSchema.parse(rules[0])
const alertStore = createMemoryStore()
const engine = createAlertEngine({
  rules,
  channels: {
    ops: { channel: createRecordingChannel() },
    console: { type: 'console', minSeverity: 'warning' },
  },
  outbox: alertStore.outbox,
  write: () => {},
})
await engine.stop()
await alertStore.close()

const store: Store = createMemoryStore()
await store.samples.append([{ name: 'up', value: 1, at: Date.now() }])

function describe(error: unknown): string {
  if (isStoreError(error)) return `store (retryable: ${error.retryable})`
  if (isConfigError(error)) return `config: ${(error satisfies ConfigError).issues.length} issues`
  return 'other'
}
if (describe(new StoreError('x', { retryable: true })) !== 'store (retryable: true)') throw new Error('guard')
const text = await registry.metrics()
if (!text.includes('jobs_total{queue="mail"} 1')) throw new Error(`no jobs_total in\n${text}`)

await monitor.stop()
await store.close()
defaults.stop()
console.log('typescript: ok')
