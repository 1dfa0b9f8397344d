// Typed use of the packages as a TypeScript user writes it; compiled under `nodenext` (and run)
// and under `bundler`, with the packages' own declaration files checked (skipLibCheck off).
import { type ConfigError, isConfigError } from '@noa/core'
import { createHealthMonitor, type HealthMonitorOptions } from '@noa/health'
import { collectDefaultMetrics, Registry } from '@noa/metrics'
import { createMemoryStore, isStoreError, type Store, StoreError } from '@noa/store'

const registry = new Registry()
const jobs = registry.counter({ name: 'jobs_total', help: 'Jobs done', labelNames: ['queue'] as const })
jobs.inc({ queue: 'mail' })
const defaults = collectDefaultMetrics(registry)

const options: HealthMonitorOptions = {
  services: [{ name: 'api', check: { type: 'tcp', host: '127.0.0.1', port: 9 } }],
}
const monitor = createHealthMonitor(options)

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
