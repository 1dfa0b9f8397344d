import { execFileSync, spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defaultRules } from '@noa/alerts'
import { createProcessCollector, createSystemCollector, Registry } from '@noa/metrics'
import { afterAll, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { startAgent, until } from '../helpers.ts'
import { agentSource, apiPort, at, type Json, read, repoRoot, yamlDoc, yamlDocs } from './repo.ts'

const PROM = 'config/prometheus/prometheus.yml'
const RULES = 'config/prometheus/rules/noa-rules.yml'
const DASHBOARD = 'config/grafana/noa-dashboard.json'
const prom = yamlDoc(PROM)
const rules = yamlDoc(RULES)
const dashboard = JSON.parse(read(DASHBOARD)) as Json
const ruleList = (at(rules, 'groups') as Json[]).flatMap((g) => g.rules as Json[])
const alerts = ruleList.filter((r) => r.alert)
const panels = at(dashboard, 'panels') as Json[]
const exprs = (ps: Json[]) =>
  ps.flatMap((p) => ((p.targets as Json[] | undefined) ?? []).map((t) => String(t.expr)))

/** Metric names an expression reads (recording rules, with a colon, excluded). */
const metricsIn = (expr: string) =>
  [...expr.matchAll(/\b((?:noa|process|nodejs)_[a-z0-9_]+)\b/g)].map((m) =>
    (m[1] as string).replace(/_(bucket|sum|count)$/, ''),
  )
/** What the agent registers: its own metrics (from its source) and the @noa/metrics collectors it registers. */
function agentMetricNames(): Set<string> {
  const source = agentSource()
  const names = new Set([...source.matchAll(/name: '([a-z_:][a-z0-9_:]*)'/g)].map((m) => m[1] as string))
  const registry = new Registry()
  if (source.includes('createSystemCollector(')) createSystemCollector().register(registry)
  if (source.includes('createProcessCollector(')) createProcessCollector().register(registry)
  for (const metric of registry.list()) names.add(metric.name)
  return names
}
const emitted = agentMetricNames()

const promtool = spawnSync('sh', ['-c', 'command -v promtool']).status === 0
if (!promtool)
  console.warn('promtool is not installed: the promtool checks are skipped (apt-get install prometheus)')
const tmp = mkdtempSync(join(tmpdir(), 'noa-prom-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

describe('Prometheus scrape configuration', () => {
  const jobs = at(prom, 'scrape_configs') as Json[]
  const stack = yamlDocs('k8s/deployments/monitoring-stack.yaml')

  it('should find the agents through the headless Service of the stack', () => {
    const k8s = jobs.find((j) => j.job_name === 'noa-agents') as Json
    expect(at(k8s, 'metrics_path')).toBe('/metrics')
    expect(at(k8s, 'kubernetes_sd_configs', 0, 'role')).toBe('endpoints')
    const namespace = String(at(k8s, 'kubernetes_sd_configs', 0, 'namespaces', 'names', 0))
    const keep = (at(k8s, 'relabel_configs') as Json[]).find((r) => r.action === 'keep') as Json
    const [service, port] = String(keep.regex).split(';')
    const svc = stack.find((d) => d.kind === 'Service' && at(d, 'metadata', 'name') === service)
    expect(at(svc, 'metadata', 'namespace')).toBe(namespace)
    expect(at(svc, 'spec', 'clusterIP')).toBe('None')
    expect(at(svc, 'spec', 'ports', 0, 'name')).toBe(port)
    expect(at(svc, 'spec', 'selector')).toEqual({ 'app.kubernetes.io/name': 'noa' })
  })

  it("should have a static example on the agent's port", () => {
    const job = jobs.find((j) => j.job_name === 'noa-static')
    expect(at(job, 'static_configs', 0, 'targets')).toEqual([`127.0.0.1:${apiPort()}`])
    expect(at(prom, 'rule_files')).toEqual(['rules/noa-rules.yml'])
  })

  it.skipIf(!promtool)('should pass promtool check config', () => {
    cpSync(join(repoRoot, 'config/prometheus'), join(tmp, 'prometheus'), { recursive: true })
    const file = join(tmp, 'prometheus', 'prometheus.yml')
    let result = spawnSync('promtool', ['check', 'config', file], { encoding: 'utf8' })
    if (result.status !== 0 && /kubernetes_sd_configs not found/.test(result.stderr + result.stdout)) {
      // Debian's prometheus is built without Kubernetes discovery: check the rest of the file.
      console.warn('this promtool has no kubernetes_sd: checking the config without the Kubernetes job')
      writeFileSync(
        file,
        stringify({ ...prom, scrape_configs: jobs.filter((j) => !j.kubernetes_sd_configs) }),
      )
      result = spawnSync('promtool', ['check', 'config', file], { encoding: 'utf8' })
    }
    expect(result.stderr + result.stdout).toContain('SUCCESS')
    expect(result.status).toBe(0)
  })
})

describe('Prometheus rules', () => {
  it("should mirror every one of noa's default rules with its severity", () => {
    for (const rule of defaultRules()) {
      const mirror = alerts.find((a) => at(a, 'labels', 'noa_rule') === rule.name)
      expect(mirror, rule.name).toBeDefined()
      expect(at(mirror, 'labels', 'severity'), rule.name).toBe(rule.severity)
      expect(at(mirror, 'annotations', 'summary'), rule.name).toBeTruthy()
    }
  })

  it("should use noa's thresholds", () => {
    const expr = (name: string) => String(alerts.find((a) => at(a, 'labels', 'noa_rule') === name)?.expr)
    expect(expr('high-error-rate')).toMatch(/> 0\.05$/)
    expect(expr('service-down')).toMatch(
      /^noa_service_up == 0 and on \(instance, service\) noa_service_critical == 1/,
    )
    expect(expr('service-unhealthy')).toMatch(
      /^noa_service_up == 0 and on \(instance, service\) noa_service_critical == 0/,
    )
    expect(expr('cpu-overload')).toBe('noa_system_cpu_usage_ratio > 0.90')
    expect(expr('memory-pressure')).toBe('noa_system_memory_usage_ratio > 0.85')
    expect(expr('high-latency')).toMatch(/> 1$/)
  })

  it('should read only metrics the agent exposes', () => {
    const used = ruleList.flatMap((r) => metricsIn(String(r.expr)))
    expect(used.length).toBeGreaterThan(5)
    for (const name of used) expect(emitted, `${name} is registered by the agent`).toContain(name)
  })

  it.skipIf(!promtool)('should pass promtool check rules and fire as noa would', () => {
    const file = join(repoRoot, RULES)
    expect(execFileSync('promtool', ['check', 'rules', file], { encoding: 'utf8' })).toContain('SUCCESS')
    const tests = {
      rule_files: [file],
      evaluation_interval: '30s',
      tests: [
        {
          interval: '30s',
          input_series: [
            { series: 'noa_service_up{service="api", instance="a"}', values: '1 1 0 0 0 0 0 0' },
            { series: 'noa_service_critical{service="api", instance="a"}', values: '1x8' },
            { series: 'noa_service_flapping{service="api", instance="a"}', values: '0x8' },
            { series: 'noa_service_up{service="docs", instance="a"}', values: '1 1 0 0 0 0 0 0' },
            { series: 'noa_service_critical{service="docs", instance="a"}', values: '0x8' },
            { series: 'noa_service_flapping{service="docs", instance="a"}', values: '0x8' },
            { series: 'noa_system_cpu_usage_ratio{instance="a"}', values: '0.95x12' },
          ],
          alert_rule_test: [
            { eval_time: '1m', alertname: 'NoaServiceDown', exp_alerts: [] },
            {
              eval_time: '3m',
              alertname: 'NoaServiceDown',
              exp_alerts: [
                {
                  exp_labels: {
                    severity: 'critical',
                    noa_rule: 'service-down',
                    service: 'api',
                    instance: 'a',
                  },
                  exp_annotations: {
                    summary: 'Service api is down',
                    description: 'The critical service api fails its health check (noa_service_up is 0).',
                  },
                },
              ],
            },
            {
              eval_time: '3m',
              alertname: 'NoaServiceUnhealthy',
              exp_alerts: [
                {
                  exp_labels: {
                    severity: 'warning',
                    noa_rule: 'service-unhealthy',
                    service: 'docs',
                    instance: 'a',
                  },
                  exp_annotations: {
                    summary: 'Service docs is unhealthy',
                    description: 'docs fails its health check (noa_service_up is 0).',
                  },
                },
              ],
            },
            {
              eval_time: '3m',
              alertname: 'NoaCpuOverload',
              exp_alerts: [
                {
                  exp_labels: { severity: 'critical', noa_rule: 'cpu-overload', instance: 'a' },
                  exp_annotations: {
                    summary: 'CPU overload on a: 95%',
                    description: 'CPU usage is above 90 %.',
                  },
                },
              ],
            },
          ],
        },
      ],
    }
    const testFile = join(tmp, 'rules.test.yml')
    writeFileSync(testFile, stringify(tests))
    const result = spawnSync('promtool', ['test', 'rules', testFile], { encoding: 'utf8' })
    expect(result.stdout + result.stderr).toContain('SUCCESS')
  })
})

describe('Grafana dashboard', () => {
  it('should be importable with a Prometheus data source input', () => {
    expect(at(dashboard, '__inputs')).toEqual([
      expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' }),
    ])
    expect(dashboard.id).toBeNull()
    expect(dashboard.uid).toBe('noa-overview')
    expect(dashboard.title).toBe('noa')
    const ids = panels.map((p) => p.id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const p of panels) {
      const pos = p.gridPos as { x: number; w: number }
      expect(pos.x + pos.w, String(p.title)).toBeLessThanOrEqual(24)
      if (p.type !== 'row') {
        expect(p.datasource, String(p.title)).toEqual({ type: 'prometheus', uid: '$' + '{DS_PROMETHEUS}' })
        expect((p.targets as Json[]).length, String(p.title)).toBeGreaterThan(0)
      }
    }
  })

  it('should chart the service, check, healing, alert and system metrics of the agent', () => {
    const used = new Set(exprs(panels).flatMap(metricsIn))
    for (const name of [
      'noa_service_up',
      'noa_check_duration_seconds',
      'noa_healing_actions_total',
      'noa_alerts',
      'noa_system_cpu_usage_ratio',
      'noa_system_memory_usage_ratio',
    ])
      expect(used).toContain(name)
    for (const name of used) expect(emitted, `${name} is registered by the agent`).toContain(name)
  })

  it("should query only metrics a running agent's /metrics has", async () => {
    const agent = await startAgent({
      healthChecks: { interval: 60_000, timeout: 1000, retries: 0 },
      services: [{ name: 'api', check: { type: 'tcp', host: '127.0.0.1', port: 1 } }],
    })
    try {
      await until(() => agent.agent.api.status().services[0]?.state === 'error', 10_000, 'the first check')
      const exposition = await (await fetch(`${agent.url}/metrics`)).text()
      const families = new Set([...exposition.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1] as string))
      const queried = new Set(exprs(panels).flatMap(metricsIn))
      expect(queried.size).toBeGreaterThan(10)
      for (const name of queried) expect(families, `${name} in the agent's /metrics`).toContain(name)
    } finally {
      await agent.close()
    }
  })
})
