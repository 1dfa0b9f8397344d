import { isConfigError, parseOptions } from '@noa/core'
import { describe, expect, it } from 'vitest'
import { selfHealingSchema, serviceHealingSchema } from './options.ts'

function problems(fn: () => unknown): string[] {
  try {
    fn()
  } catch (error) {
    if (isConfigError(error)) return error.issues.map((i) => `${i.path}: ${i.message}`)
    throw error
  }
  throw new Error('expected a ConfigError')
}

describe('selfHealingSchema', () => {
  it('should refuse keys it does not know at every level, naming the key they are a typo of', () => {
    expect(
      problems(() =>
        parseOptions(
          selfHealingSchema,
          {
            autoRestrat: true,
            circuitBreaker: { failureTreshold: 2 },
            strategies: { serviceRestart: { maxConsecutve: 2 }, rolback: {} },
          },
          'selfHealing',
        ),
      ),
    ).toEqual([
      'selfHealing.circuitBreaker.failureTreshold: unknown key; did you mean failureThreshold?',
      'selfHealing.strategies.serviceRestart.maxConsecutve: unknown key; did you mean maxConsecutive?',
      'selfHealing.strategies.rolback: unknown key; did you mean rollback?',
      'selfHealing.autoRestrat: unknown key; did you mean autoRestart?',
    ])
  })
})

describe('serviceHealingSchema', () => {
  it('should refuse unknown keys in executors, hooks and rollback sources', () => {
    expect(
      problems(() =>
        parseOptions(
          serviceHealingSchema,
          {
            executor: { type: 'local', command: ['node', 'x.js'], shutdownTimeout: 5000 },
            state: { save: { type: 'http', url: 'http://127.0.0.1:1/save', header: {} } },
            rollback: { source: 'git', branch: 'main' },
            degrade: { type: 'env', name: 'READ_ONLY', vaule: '1' },
          },
          'services.api',
        ),
      ),
    ).toEqual([
      'services.api.executor.shutdownTimeout: unknown key; did you mean shutdownTimeoutMs?',
      'services.api.state.save.header: unknown key; did you mean headers?',
      'services.api.rollback.branch: unknown key; allowed: source, dir, ref',
      'services.api.degrade.vaule: unknown key; did you mean value?',
    ])
  })

  it('should take only Kubernetes names for a deployment and its namespace', () => {
    const k8s = (deployment: string, namespace: string) =>
      parseOptions(
        serviceHealingSchema,
        { executor: { type: 'kubernetes', deployment, namespace, inCluster: true } },
        'services.api',
      )
    expect(k8s('mcp-server', 'prod-1').executor).toMatchObject({
      deployment: 'mcp-server',
      namespace: 'prod-1',
    })
    expect(problems(() => k8s('..', 'a/b'))).toEqual([
      'services.api.executor.deployment: expected a Kubernetes name: lower-case letters, digits, "-" and "."; found ".."',
      'services.api.executor.namespace: expected a Kubernetes namespace: lower-case letters, digits and "-", at most 63; found "a/b"',
    ])
  })
})
