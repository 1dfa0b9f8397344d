import { describe, expect, it } from 'vitest'
import { COMPONENTS } from '../../src/agent.ts'
import { validateConfig } from '../../src/config/load.ts'
import { hostMatcher } from '../../src/http/protect.ts'
import { agentSource, apiEnvVars, apiPort, at, type Json, read, yamlDoc, yamlDocs } from './repo.ts'

const STACK = 'k8s/deployments/monitoring-stack.yaml'
const SECRET_TEMPLATE = 'k8s/deployments/noa-secrets.example.yaml'
const docs = yamlDocs(STACK)
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'PersistentVolume'])

const all = (kind: string) => docs.filter((d) => d.kind === kind)
const one = (kind: string, name: string): Json => {
  const found = docs.filter((d) => d.kind === kind && at(d, 'metadata', 'name') === name)
  expect(found, `${kind}/${name}`).toHaveLength(1)
  return found[0] as Json
}
const deployments = all('Deployment')
const podSpec = (d: Json) => at(d, 'spec', 'template', 'spec') as Json
const container = (d: Json) => {
  const cs = at(podSpec(d), 'containers') as Json[]
  expect(cs).toHaveLength(1)
  return cs[0] as Json
}
const agentConfigText = () => String(at(one('ConfigMap', 'noa-config'), 'data', 'monitoring-config.json'))

describe('monitoring-stack.yaml', () => {
  it('should parse into objects that each have apiVersion, kind and metadata.name', () => {
    expect(docs.length).toBeGreaterThanOrEqual(15)
    for (const d of docs) {
      const id = `${String(d.kind)}/${String(at(d, 'metadata', 'name'))}`
      expect(d.apiVersion, id).toMatch(/^([a-z0-9.-]+\/)?v\d+((alpha|beta)\d+)?$/)
      expect(d.kind, id).toMatch(/^[A-Z][A-Za-z]+$/)
      expect(at(d, 'metadata', 'name'), id).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
      if (!CLUSTER_SCOPED.has(String(d.kind))) expect(at(d, 'metadata', 'namespace'), id).toBe('monitoring')
    }
    const ids = docs.map((d) => `${String(d.kind)}/${String(at(d, 'metadata', 'name'))}`)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('should create the monitoring namespace with the seed labels', () => {
    expect(at(one('Namespace', 'monitoring'), 'metadata', 'labels')).toEqual({
      name: 'monitoring',
      environment: 'production',
    })
  })

  it('should give each component the resources of the seed', () => {
    const figures: Record<string, [string, string, string, string]> = {
      'health-check-monitor': ['128Mi', '100m', '256Mi', '200m'],
      'metrics-collector': ['256Mi', '200m', '512Mi', '500m'],
      'self-healing-controller': ['128Mi', '100m', '256Mi', '200m'],
      dashboard: ['128Mi', '100m', '256Mi', '200m'],
    }
    expect(deployments.map((d) => at(d, 'metadata', 'name')).sort()).toEqual(Object.keys(figures).sort())
    for (const [name, [reqMem, reqCpu, limMem, limCpu]] of Object.entries(figures)) {
      const d = one('Deployment', name)
      expect(at(d, 'spec', 'replicas'), name).toBe(1)
      expect(at(container(d), 'resources'), name).toEqual({
        requests: { memory: reqMem, cpu: reqCpu },
        limits: { memory: limMem, cpu: limCpu },
      })
    }
  })

  it('should probe with the seed timings on a route the agent serves', () => {
    const routes = agentSource()
    for (const d of deployments) {
      const c = container(d)
      const live = at(c, 'livenessProbe') as Json
      const ready = at(c, 'readinessProbe') as Json
      expect([at(live, 'initialDelaySeconds'), at(live, 'periodSeconds')]).toEqual([30, 60])
      expect([at(ready, 'initialDelaySeconds'), at(ready, 'periodSeconds')]).toEqual([10, 30])
      for (const probe of [live, ready]) {
        const path = String(at(probe, 'httpGet', 'path'))
        expect(['/api/health', '/api/status']).toContain(path)
        expect(routes, `the agent routes ${path}`).toContain(`app.get('${path}'`)
        expect(at(probe, 'httpGet', 'port')).toBe('http')
      }
    }
  })

  it('should scale the health check monitor from 1 to 3 replicas', () => {
    const hpa = one('HorizontalPodAutoscaler', 'health-check-monitor')
    expect(hpa.apiVersion).toBe('autoscaling/v2')
    expect(at(hpa, 'spec', 'scaleTargetRef')).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'health-check-monitor',
    })
    expect([at(hpa, 'spec', 'minReplicas'), at(hpa, 'spec', 'maxReplicas')]).toEqual([1, 3])
  })

  it('should keep the metrics history on a 10Gi volume mounted at data/', () => {
    const pvc = one('PersistentVolumeClaim', 'metrics-collector-data')
    expect(at(pvc, 'spec', 'resources', 'requests', 'storage')).toBe('10Gi')
    const d = one('Deployment', 'metrics-collector')
    const data = (at(podSpec(d), 'volumes') as Json[]).find((v) => v.name === 'data')
    expect(at(data, 'persistentVolumeClaim', 'claimName')).toBe('metrics-collector-data')
    // A ReadWriteOnce volume cannot be attached to the old and the new pod at once.
    expect(at(d, 'spec', 'strategy', 'type')).toBe('Recreate')
  })

  it('should run every agent component, and only those, from one pinned image', () => {
    const started = deployments.map((d) => at(container(d), 'args') as string[])
    for (const args of started) expect(args[0]).toBe('start')
    expect(started.map((a) => a[1]).sort()).toEqual([...COMPONENTS].sort())
    for (const args of started) expect(args).toHaveLength(2)
    const images = new Set(deployments.map((d) => String(at(container(d), 'image'))))
    expect(images.size).toBe(1)
    const [image] = [...images]
    expect(image).toMatch(/^ghcr\.io\/noa\/agent:\d+\.\d+\.\d+$/)
  })

  it("should listen and serve on the agent's port 9300", () => {
    const port = apiPort()
    expect(port).toBe(9300)
    for (const d of deployments) {
      const c = container(d)
      expect(at(c, 'ports')).toEqual([{ name: 'http', containerPort: port, protocol: 'TCP' }])
      const env = at(c, 'env') as Json[]
      expect(env.find((e) => e.name === 'NOA_PORT')?.value).toBe(String(port))
      expect(env.find((e) => e.name === 'NOA_HOST')?.value).toBe('0.0.0.0')
      const labels = at(d, 'spec', 'template', 'metadata', 'labels') as Json
      expect(at(d, 'spec', 'selector', 'matchLabels')).toEqual({
        'app.kubernetes.io/name': labels['app.kubernetes.io/name'],
        'app.kubernetes.io/component': labels['app.kubernetes.io/component'],
      })
    }
    const services = all('Service')
    expect(at(one('Service', 'metrics-collector'), 'spec', 'type')).toBe('ClusterIP')
    for (const s of services) {
      expect(at(s, 'spec', 'type')).toBe('ClusterIP')
      expect(at(s, 'spec', 'ports')).toEqual([{ name: 'http', port, targetPort: 'http', protocol: 'TCP' }])
      const selector = at(s, 'spec', 'selector') as Record<string, string>
      const matched = deployments.filter((d) =>
        Object.entries(selector).every(
          ([k, v]) => (at(d, 'spec', 'template', 'metadata', 'labels') as Json)[k] === v,
        ),
      )
      expect(matched.length, `pods behind Service ${String(at(s, 'metadata', 'name'))}`).toBeGreaterThan(0)
    }
  })

  it('should set only environment variables the agent reads or the config interpolates', () => {
    const known = new Set(apiEnvVars())
    expect([...known]).toEqual(
      expect.arrayContaining(['NOA_CONFIG', 'NOA_API_TOKEN', 'NOA_HOST', 'NOA_PORT']),
    )
    const interpolated = new Set([...agentConfigText().matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]))
    expect(interpolated).toEqual(new Set(['NOA_POSTGRES_URL']))
    const secret = yamlDoc(SECRET_TEMPLATE)
    const secretKeys = Object.keys(at(secret, 'stringData') as Json)
    for (const d of deployments) {
      const env = at(container(d), 'env') as Json[]
      for (const e of env) {
        const name = String(e.name)
        expect(known.has(name) || interpolated.has(name), `${name} is read by the agent`).toBe(true)
        const ref = at(e, 'valueFrom', 'secretKeyRef') as Json | undefined
        if (ref) {
          expect(ref.name).toBe(at(secret, 'metadata', 'name'))
          expect(secretKeys).toContain(ref.key)
        }
      }
      // Secrets only from the Secret, never as plain values in the manifest.
      for (const name of ['NOA_API_TOKEN', 'NOA_POSTGRES_URL'])
        expect(
          at(
            env.find((e) => e.name === name),
            'valueFrom',
            'secretKeyRef',
          ),
          name,
        ).toBeDefined()
    }
  })

  it("should hold a configuration the agent's own validation accepts", () => {
    const env: Record<string, string> = {}
    for (const e of at(container(deployments[0] as Json), 'env') as Json[])
      env[String(e.name)] = typeof e.value === 'string' ? e.value : 'from-the-secret'
    env.NOA_POSTGRES_URL = 'postgres://noa:pw@postgres.monitoring.svc:5432/noa'
    const text = agentConfigText()
    const result = validateConfig(JSON.parse(text), env)
    expect(result.ok ? [] : result.issues).toEqual([])
    if (!result.ok) return
    expect(result.config.store).toMatchObject({ type: 'postgres', connectionString: env.NOA_POSTGRES_URL })
    expect(result.config.dashboard.port).toBe(apiPort())
    expect(result.config.dashboard.host).toBe('0.0.0.0')
    for (const s of result.config.services)
      expect(s.executor).toMatchObject({ type: 'kubernetes', inCluster: true })
    // Without the Secret's variable the agent refuses the file: the URL really comes from it.
    const missing = validateConfig(JSON.parse(text), { ...env, NOA_POSTGRES_URL: '' })
    expect(missing.ok).toBe(false)
  })

  it('should answer, on its wildcard bind, the DNS names of the Services in front of it and nothing else', () => {
    const env = { NOA_POSTGRES_URL: 'postgres://noa:pw@postgres.monitoring.svc:5432/noa' }
    const result = validateConfig(JSON.parse(agentConfigText()), env)
    if (!result.ok) throw new Error(JSON.stringify(result.issues))
    const podIp = '10.244.1.17'
    const allowed = hostMatcher({
      bindHost: result.config.dashboard.host,
      allowedHosts: result.config.api.allowedHosts,
      localAddresses: ['127.0.0.1', podIp],
    })
    const port = apiPort()
    // Every ClusterIP Service, in each form cluster DNS resolves (headless noa-agents is reached by pod IP).
    const services = all('Service').filter((s) => at(s, 'spec', 'clusterIP') !== 'None')
    expect(services.map((s) => at(s, 'metadata', 'name')).sort()).toEqual(['dashboard', 'metrics-collector'])
    for (const s of services) {
      const name = String(at(s, 'metadata', 'name'))
      for (const host of [
        name,
        `${name}.monitoring`,
        `${name}.monitoring.svc`,
        `${name}.monitoring.svc.cluster.local`,
      ])
        expect(allowed(`${host}:${port}`), host).toBe(true)
    }
    // The kubelet's probes and Prometheus use the pod's address; port-forward uses 127.0.0.1.
    expect([`${podIp}:${port}`, `127.0.0.1:${port}`, `localhost:${port}`].every(allowed)).toBe(true)
    expect(allowed(`rebound.attacker.example:${port}`)).toBe(false)
    expect(allowed(`dashboard.other-namespace.svc:${port}`)).toBe(false)
  })

  it('should mount the ConfigMap where NOA_CONFIG points', () => {
    for (const d of deployments) {
      const env = at(container(d), 'env') as Json[]
      const file = String(env.find((e) => e.name === 'NOA_CONFIG')?.value)
      const mount = (at(container(d), 'volumeMounts') as Json[]).find((m) => m.name === 'config')
      expect(mount).toEqual({ name: 'config', mountPath: '/etc/noa', readOnly: true })
      expect(file).toBe('/etc/noa/monitoring-config.json')
      const vol = (at(podSpec(d), 'volumes') as Json[]).find((v) => v.name === 'config')
      expect(at(vol, 'configMap', 'name')).toBe('noa-config')
    }
  })

  it('should run as non-root on a read-only root filesystem with writable data, logs, run and /tmp', () => {
    for (const d of deployments) {
      const pod = at(podSpec(d), 'securityContext') as Json
      expect(pod.runAsNonRoot).toBe(true)
      expect(pod.runAsUser).toBeGreaterThan(0)
      const sc = at(container(d), 'securityContext') as Json
      expect(sc).toEqual({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      })
      const volumes = new Map((at(podSpec(d), 'volumes') as Json[]).map((v) => [String(v.name), v]))
      const mounts = at(container(d), 'volumeMounts') as Json[]
      for (const path of ['/app/data', '/app/logs', '/app/run', '/tmp']) {
        const m = mounts.find((x) => x.mountPath === path)
        expect(m, path).toBeDefined()
        expect(m?.readOnly, path).not.toBe(true)
        const v = volumes.get(String(m?.name)) as Json
        expect(v.emptyDir !== undefined || v.persistentVolumeClaim !== undefined, path).toBe(true)
      }
    }
  })
})

describe('RBAC of the self-healing controller', () => {
  // What healing does through the Kubernetes API (packages/healing kubernetes executor): rollout
  // restart and undo patch the Deployment, scale uses the scale subresource, undo lists
  // ReplicaSets, a stuck pod is deleted, events record the audit trail.
  const allowedCluster: Record<string, string[]> = {
    'apps/deployments': ['get', 'list', 'watch', 'update', 'patch'],
    'apps/deployments/scale': ['get', 'update', 'patch'],
    'apps/replicasets': ['get', 'list', 'watch'],
    '/pods': ['get', 'list', 'watch', 'delete'],
    '/events': ['create', 'patch'],
  }
  const allowedNamespaced: Record<string, string[]> = {
    'coordination.k8s.io/leases': ['get', 'list', 'watch', 'create', 'update', 'patch'],
  }
  const grants = (role: Json) =>
    (at(role, 'rules') as Json[]).flatMap((r) =>
      (r.apiGroups as string[]).flatMap((g) =>
        (r.resources as string[]).map((res) => ({ key: `${g}/${res}`, verbs: r.verbs as string[], rule: r })),
      ),
    )

  it('should grant no more than the listed verbs, never a wildcard or secrets', () => {
    const roles = [...all('ClusterRole'), ...all('Role')]
    expect(roles.length).toBe(2)
    for (const role of roles) {
      const allowed = role.kind === 'ClusterRole' ? allowedCluster : allowedNamespaced
      for (const g of grants(role)) {
        expect(Object.keys(allowed), `${String(role.kind)} grants ${g.key}`).toContain(g.key)
        expect(allowed[g.key]).toEqual(expect.arrayContaining(g.verbs))
        expect(g.key).not.toMatch(/secrets|\*/)
        expect(g.verbs).not.toContain('*')
        expect(g.rule.resourceNames).toBeUndefined()
        expect(g.rule.nonResourceURLs).toBeUndefined()
      }
    }
    const cluster = grants(one('ClusterRole', 'noa-healing-controller'))
    expect(cluster.find((g) => g.key === 'apps/deployments')?.verbs).toEqual(
      allowedCluster['apps/deployments'],
    )
    expect(cluster.find((g) => g.key === '/pods')?.verbs).toEqual(allowedCluster['/pods'])
    expect(cluster.find((g) => g.key === '/events')?.verbs).toEqual(allowedCluster['/events'])
    const leases = grants(one('Role', 'noa-leader-election'))
    expect(leases.map((g) => g.key)).toEqual(['coordination.k8s.io/leases'])
  })

  it('should bind the roles to the controller, the only pod with an API token', () => {
    for (const [kind, roleKind] of [
      ['ClusterRoleBinding', 'ClusterRole'],
      ['RoleBinding', 'Role'],
    ] as const) {
      for (const b of all(kind)) {
        expect(at(b, 'roleRef', 'kind')).toBe(roleKind)
        one(roleKind, String(at(b, 'roleRef', 'name')))
        expect(at(b, 'subjects')).toEqual([
          { kind: 'ServiceAccount', name: 'noa-healing-controller', namespace: 'monitoring' },
        ])
      }
    }
    one('ServiceAccount', 'noa-healing-controller')
    for (const d of deployments) {
      const healing = at(container(d), 'args') as string[]
      const spec = podSpec(d)
      if (healing[1] === 'healing') {
        expect(spec.serviceAccountName).toBe('noa-healing-controller')
        expect(spec.automountServiceAccountToken).toBe(true)
      } else {
        expect(spec.serviceAccountName).toBe('noa-agent')
        expect(spec.automountServiceAccountToken).toBe(false)
      }
    }
  })
})

describe('noa-secrets.example.yaml', () => {
  it('should be a placeholder template that the stack does not contain', () => {
    const secret = yamlDoc(SECRET_TEMPLATE)
    expect(secret).toMatchObject({ apiVersion: 'v1', kind: 'Secret', type: 'Opaque' })
    expect(at(secret, 'metadata', 'namespace')).toBe('monitoring')
    const data = at(secret, 'stringData') as Record<string, string>
    expect(Object.keys(data).sort()).toEqual(['NOA_API_TOKEN', 'NOA_POSTGRES_URL'])
    for (const value of Object.values(data)) expect(value).toContain('CHANGE_ME')
    expect(data.NOA_POSTGRES_URL).toMatch(/^postgres:\/\//)
    // Applying the stack again must never overwrite real credentials with placeholders.
    expect(all('Secret')).toEqual([])
    expect(read(STACK)).not.toContain('CHANGE_ME')
  })
})
