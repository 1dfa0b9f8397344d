import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createKubernetesExecutor, kubernetesExecutorSchema } from './kubernetes.ts'

interface Seen {
  method: string
  path: string
  type?: string
  auth?: string
  body?: unknown
}

/** A FAKE Kubernetes API server: no kube-apiserver can run here. It answers the few endpoints noa uses. */
class FakeKubeApi {
  server: Server
  seen: Seen[] = []
  replicas = 2
  revision = 3
  answer: { status: number; message: string } | undefined
  constructor() {
    this.server = createServer(async (req, res) => this.#handle(req, res))
  }
  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r))
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }
  async #handle(req: IncomingMessage, res: import('node:http').ServerResponse) {
    let text = ''
    for await (const c of req) text += c
    const seen: Seen = { method: req.method ?? '', path: req.url ?? '' }
    if (req.headers['content-type']) seen.type = req.headers['content-type']
    if (req.headers.authorization) seen.auth = req.headers.authorization
    if (text) seen.body = JSON.parse(text)
    this.seen.push(seen)
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
    }
    if (this.answer) return send(this.answer.status, { kind: 'Status', message: this.answer.message })
    const dep = '/apis/apps/v1/namespaces/prod/deployments/api'
    if (seen.path === `${dep}/scale` && seen.method === 'GET')
      return send(200, { spec: { replicas: this.replicas } })
    if (seen.path === `${dep}/scale` && seen.method === 'PATCH') {
      this.replicas = (seen.body as { spec: { replicas: number } }).spec.replicas
      return send(200, { spec: { replicas: this.replicas } })
    }
    if (seen.path === dep && seen.method === 'GET')
      return send(200, {
        metadata: { annotations: { 'deployment.kubernetes.io/revision': String(this.revision) } },
        spec: { replicas: this.replicas, selector: { matchLabels: { app: 'api' } } },
        status: { readyReplicas: 1 },
      })
    if (seen.path === dep && seen.method === 'PATCH') return send(200, {})
    if (seen.path.startsWith('/apis/apps/v1/namespaces/prod/replicasets'))
      return send(200, {
        items: [1, 2, 3].map((rev) => ({
          metadata: { annotations: { 'deployment.kubernetes.io/revision': String(rev) } },
          spec: {
            template: {
              metadata: { labels: { app: 'api', 'pod-template-hash': `h${rev}` } },
              spec: { image: `api:${rev}` },
            },
          },
        })),
      })
    if (seen.path === '/api/v1/namespaces/prod/pods/api-7d9' && seen.method === 'DELETE') return send(200, {})
    return send(404, { message: 'not found' })
  }
}

let api: FakeKubeApi
let url: string
let dir: string

beforeEach(async () => {
  api = new FakeKubeApi()
  url = await api.listen()
  dir = await mkdtemp(join(tmpdir(), 'noa-kube-'))
})

afterEach(async () => {
  await new Promise((r) => api.server.close(r))
  await rm(dir, { recursive: true, force: true })
})

const build = (extra: Record<string, unknown> = {}) =>
  createKubernetesExecutor(
    kubernetesExecutorSchema.parse({
      type: 'kubernetes',
      deployment: 'api',
      namespace: 'prod',
      apiUrl: url,
      token: 'tok-123',
      maxReplicas: 3,
      ...extra,
    }),
  )

describe('kubernetes executor (against a fake API server)', () => {
  it('should scale through the scale subresource, bounded by maxReplicas', async () => {
    const ex = build()
    expect(await ex.scale?.(1)).toEqual({
      ok: true,
      output: 'scaled deployment prod/api from 2 to 3',
      replicas: 3,
    })
    expect(api.seen[1]).toEqual({
      method: 'PATCH',
      path: '/apis/apps/v1/namespaces/prod/deployments/api/scale',
      type: 'application/merge-patch+json',
      auth: 'Bearer tok-123',
      body: { spec: { replicas: 3 } },
    })
    expect(await ex.scale?.(1)).toMatchObject({
      ok: false,
      error: 'deployment prod/api already at 3 replicas, max 3',
      replicas: 3,
    })
  })

  it('should rollout restart by patching the restartedAt annotation', async () => {
    const r = await build().restart?.()
    expect(r?.ok).toBe(true)
    const patch = api.seen[0]!
    expect(patch.type).toBe('application/strategic-merge-patch+json')
    const at = (patch.body as { spec: { template: { metadata: { annotations: Record<string, string> } } } })
      .spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']
    expect(Number.isNaN(Date.parse(at ?? ''))).toBe(false)
  })

  it('should rollout undo to the previous revision template', async () => {
    const r = await build().rollback?.({})
    expect(r).toEqual({ ok: true, output: 'rolled deployment prod/api back to revision 2' })
    expect(api.seen.at(-1)).toEqual({
      method: 'PATCH',
      path: '/apis/apps/v1/namespaces/prod/deployments/api',
      type: 'application/json-patch+json',
      auth: 'Bearer tok-123',
      body: [
        {
          op: 'replace',
          path: '/spec/template',
          value: { metadata: { labels: { app: 'api' } }, spec: { image: 'api:2' } },
        },
      ],
    })
    expect((await build().rollback?.({ revision: 9 }))?.error).toBe(
      'rollout undo deployment prod/api: no previous revision found',
    )
  })

  it('should delete a pod and read the status', async () => {
    const ex = build()
    expect(await ex.deletePod('api-7d9')).toEqual({ ok: true, output: 'deleted pod prod/api-7d9' })
    expect(await ex.status?.()).toEqual({ ok: true, running: true, replicas: 2, output: '1/2 ready' })
  })

  it('should turn 403 into a final failure and 409 into a retryable one', async () => {
    api.answer = { status: 403, message: 'deployments.apps "api" is forbidden: User "noa" cannot patch' }
    const forbidden = await build().restart?.()
    expect(forbidden).toEqual({
      ok: false,
      error:
        'rollout restart deployment prod/api: forbidden (403): deployments.apps "api" is forbidden: User "noa" cannot patch',
      retryable: false,
    })
    api.answer = { status: 409, message: 'the object has been modified' }
    expect(await build().scale?.(1)).toMatchObject({
      ok: false,
      retryable: true,
      error: 'scale deployment prod/api: conflict (409): the object has been modified',
    })
    expect(JSON.stringify(forbidden)).not.toContain('tok-123')
  })

  it('should read the server and token from a kubeconfig', async () => {
    const path = join(dir, 'config')
    await writeFile(
      path,
      `apiVersion: v1\ncurrent-context: test\ncontexts:\n- name: test\n  context: { cluster: c1, user: u1 }\nclusters:\n- name: c1\n  cluster: { server: "${url}" }\nusers:\n- name: u1\n  user: { token: from-kubeconfig }\n`,
    )
    const ex = createKubernetesExecutor(
      kubernetesExecutorSchema.parse({
        type: 'kubernetes',
        deployment: 'api',
        namespace: 'prod',
        kubeconfig: path,
      }),
    )
    expect((await ex.status?.())?.ok).toBe(true)
    expect(api.seen[0]?.auth).toBe('Bearer from-kubeconfig')
    const wrong = createKubernetesExecutor(
      kubernetesExecutorSchema.parse({
        type: 'kubernetes',
        deployment: 'api',
        kubeconfig: path,
        context: 'nope',
      }),
    )
    expect((await wrong.status?.())?.error).toMatch(/has no context "nope"/)
  })

  it('should fail without crashing when the API cannot be reached', async () => {
    const ex = createKubernetesExecutor(
      kubernetesExecutorSchema.parse({ type: 'kubernetes', deployment: 'api', apiUrl: 'http://127.0.0.1:1' }),
    )
    expect(await ex.restart?.()).toMatchObject({ ok: false, retryable: true })
  })

  it('should refuse options that name no way to reach the API', () => {
    const r = kubernetesExecutorSchema.safeParse({ type: 'kubernetes', deployment: 'api' })
    expect(r.success).toBe(false)
  })
})

describe('kubernetes executor error answers (fake API server)', () => {
  it('should name 401, 404 and 5xx answers on every action', async () => {
    const tokenFile = join(dir, 'token')
    await writeFile(tokenFile, 'file-token\n')
    const ex = build({ token: undefined, tokenFile })
    for (const [status, word, retryable] of [
      [401, 'unauthorized (401)', false],
      [404, 'not found (404)', false],
      [500, 'API answered 500', true],
    ] as const) {
      api.answer = { status, message: 'nope' }
      expect(await ex.status?.()).toEqual({
        ok: false,
        error: `status deployment prod/api: ${word}: nope`,
        retryable,
      })
      expect((await ex.rollback?.({}))?.error).toBe(`rollout undo deployment prod/api: ${word}: nope`)
      expect((await ex.deletePod('x'))?.error).toBe(`delete pod x of deployment prod/api: ${word}: nope`)
      expect((await ex.scale?.(1))?.error).toBe(`scale deployment prod/api: ${word}: nope`)
    }
    expect(api.seen[0]?.auth).toBe('Bearer file-token')
  })
})
