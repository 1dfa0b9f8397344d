import { readFile } from 'node:fs/promises'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { z } from 'zod'
import type {
  ActionOptions,
  ActionResult,
  Capability,
  Executor,
  ExecutorStatus,
  RollbackTarget,
} from '../../executor.ts'
import { failed, trimOutput } from '../../executor.ts'

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount'
// Kubernetes' own rules for names, so a name can never be a path (`..`) in an API URL.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

/** Options of the kubernetes executor: one Deployment, reached through the Kubernetes API. */
export const kubernetesExecutorSchema = z
  .strictObject({
    type: z.literal('kubernetes'),
    /** The Deployment's name (a Kubernetes DNS subdomain name). */
    deployment: z
      .string()
      .regex(DNS_SUBDOMAIN, 'expected a Kubernetes name: lower-case letters, digits, "-" and "."'),
    /** @default 'default' */
    namespace: z
      .string()
      .regex(DNS_LABEL, 'expected a Kubernetes namespace: lower-case letters, digits and "-", at most 63')
      .default('default'),
    /** API server URL; with `inCluster` it defaults to https://kubernetes.default.svc. */
    apiUrl: z.url().optional(),
    /** Use the pod's service account (token and CA under /var/run/secrets/kubernetes.io/serviceaccount). @default false */
    inCluster: z.boolean().default(false),
    /** Path of a kubeconfig file (YAML or JSON). */
    kubeconfig: z.string().optional(),
    /** Context of the kubeconfig. @default its current-context */
    context: z.string().optional(),
    /** Bearer token; never logged. */
    token: z.string().optional(),
    tokenFile: z.string().optional(),
    /** CA bundle path for the API server's certificate. */
    caFile: z.string().optional(),
    /** @default false */
    insecureSkipTlsVerify: z.boolean().default(false),
    /** Upper bound of replicas when scaling. @default 10 */
    maxReplicas: z.number().int().positive().default(10),
    /** @default 10000 */
    timeoutMs: z.number().int().positive().default(10_000),
  })
  .refine((o) => o.apiUrl || o.inCluster || o.kubeconfig, {
    message: 'needs apiUrl, inCluster: true or kubeconfig to reach the Kubernetes API',
    path: ['apiUrl'],
  })

/** Options of the kubernetes executor. */
export type KubernetesExecutorOptions = z.input<typeof kubernetesExecutorSchema>

interface Connection {
  server: string
  token?: string
  ca?: Buffer | string
  cert?: Buffer
  key?: Buffer
  insecure: boolean
}

interface KubeResponse {
  status: number
  body: unknown
  text: string
}

type Json = Record<string, unknown>

const get = (o: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Json)[k] : undefined), o)

async function loadKubeconfig(path: string, context?: string): Promise<Omit<Connection, 'insecure'>> {
  const text = await readFile(path, 'utf8')
  const { parse } = await import('yaml')
  const doc = parse(text) as Json
  const ctxName = context ?? (doc['current-context'] as string | undefined)
  const find = (list: unknown, name: unknown) =>
    (Array.isArray(list) ? list : []).find((e) => (e as Json).name === name) as Json | undefined
  const ctx = find(doc.contexts, ctxName)
  if (!ctx) throw new Error(`kubeconfig ${path} has no context ${JSON.stringify(ctxName)}`)
  const cluster = get(find(doc.clusters, get(ctx, 'context', 'cluster')), 'cluster') as Json | undefined
  const user = (get(find(doc.users, get(ctx, 'context', 'user')), 'user') as Json | undefined) ?? {}
  if (!cluster?.server) throw new Error(`kubeconfig ${path}: context ${ctxName} names no cluster server`)
  const b64 = (v: unknown) => (typeof v === 'string' ? Buffer.from(v, 'base64') : undefined)
  const conn: Omit<Connection, 'insecure'> = { server: String(cluster.server) }
  const ca = b64(cluster['certificate-authority-data'])
  if (ca) conn.ca = ca
  else if (typeof cluster['certificate-authority'] === 'string')
    conn.ca = await readFile(cluster['certificate-authority'])
  if (typeof user.token === 'string') conn.token = user.token
  else if (typeof user.tokenFile === 'string') conn.token = (await readFile(user.tokenFile, 'utf8')).trim()
  const cert = b64(user['client-certificate-data'])
  const key = b64(user['client-key-data'])
  if (cert) conn.cert = cert
  if (key) conn.key = key
  return conn
}

/** The Kubernetes executor, with `deletePod` besides the common actions. */
export interface KubernetesExecutor extends Executor {
  /** Deletes one pod so its controller replaces it. */
  deletePod(name: string, options?: ActionOptions): Promise<ActionResult>
}

/**
 * An executor for a Kubernetes Deployment through the API (no kubectl): scale, rollout
 * restart (the `restartedAt` annotation), rollout undo (back to the previous ReplicaSet's
 * template), delete pod, status. A 403 is a failure that will not pass by retrying; a 409
 * is a retryable conflict.
 *
 * @example
 * ```ts
 * const ex = createKubernetesExecutor(kubernetesExecutorSchema.parse({ type: 'kubernetes', deployment: 'api', inCluster: true }))
 * await ex.scale?.(1)
 * ```
 */
export function createKubernetesExecutor(
  options: z.output<typeof kubernetesExecutorSchema>,
): KubernetesExecutor {
  let connection: Promise<Connection> | undefined
  const connect = () => {
    connection ??= (async (): Promise<Connection> => {
      let conn: Omit<Connection, 'insecure'>
      if (options.kubeconfig) conn = await loadKubeconfig(options.kubeconfig, options.context)
      else if (options.inCluster) {
        conn = {
          server: options.apiUrl ?? 'https://kubernetes.default.svc',
          token: (await readFile(`${SA_DIR}/token`, 'utf8')).trim(),
          ca: await readFile(`${SA_DIR}/ca.crt`),
        }
      } else conn = { server: options.apiUrl as string }
      if (options.apiUrl) conn.server = options.apiUrl
      if (options.token) conn.token = options.token
      else if (options.tokenFile) conn.token = (await readFile(options.tokenFile, 'utf8')).trim()
      if (options.caFile) conn.ca = await readFile(options.caFile)
      return { ...conn, insecure: options.insecureSkipTlsVerify }
    })()
    connection.catch(() => {
      connection = undefined
    })
    return connection
  }

  const send = async (
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
    signal?: AbortSignal,
  ): Promise<KubeResponse> => {
    const conn = await connect()
    const url = new URL(path, conn.server)
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const headers: Record<string, string> = { accept: 'application/json' }
    if (conn.token) headers.authorization = `Bearer ${conn.token}`
    if (payload !== undefined) {
      headers['content-type'] = contentType
      headers['content-length'] = String(Buffer.byteLength(payload))
    }
    const requestFn = url.protocol === 'https:' ? httpsRequest : httpRequest
    return new Promise((resolve, reject) => {
      const req = requestFn(
        url,
        {
          method,
          headers,
          timeout: options.timeoutMs,
          ...(signal ? { signal } : {}),
          ...(url.protocol === 'https:'
            ? {
                rejectUnauthorized: !conn.insecure,
                ...(conn.ca ? { ca: conn.ca } : {}),
                ...(conn.cert ? { cert: conn.cert } : {}),
                ...(conn.key ? { key: conn.key } : {}),
              }
            : {}),
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString()
            let parsed: unknown
            try {
              parsed = text ? JSON.parse(text) : undefined
            } catch {
              parsed = undefined
            }
            resolve({ status: res.statusCode ?? 0, body: parsed, text })
          })
          res.on('error', reject)
        },
      )
      req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)))
      req.on('error', reject)
      req.end(payload)
    })
  }

  const ns = encodeURIComponent(options.namespace)
  const name = encodeURIComponent(options.deployment)
  const deploymentPath = `/apis/apps/v1/namespaces/${ns}/deployments/${name}`
  const what = `deployment ${options.namespace}/${options.deployment}`

  const problem = (action: string, res: KubeResponse): ActionResult => {
    const reason = (get(res.body, 'message') as string | undefined) ?? trimOutput(res.text, 300)
    if (res.status === 403) return failed(`${action} ${what}: forbidden (403): ${reason}`, false)
    if (res.status === 404) return failed(`${action} ${what}: not found (404): ${reason}`, false)
    if (res.status === 409) return failed(`${action} ${what}: conflict (409): ${reason}`, true)
    if (res.status === 401) return failed(`${action} ${what}: unauthorized (401): ${reason}`, false)
    return failed(
      `${action} ${what}: API answered ${res.status}: ${reason}`,
      res.status >= 500 || res.status === 429,
    )
  }
  const guard = async <T extends ActionResult>(action: string, fn: () => Promise<T | ActionResult>) => {
    try {
      return await fn()
    } catch (e) {
      return failed(`${action} ${what}: ${(e as Error).message}`, true)
    }
  }

  const capabilities: Capability[] = ['restart', 'scale', 'rollback', 'status']
  return {
    type: 'kubernetes',
    capabilities,
    restart: (o) =>
      guard('rollout restart', async () => {
        const at = new Date().toISOString()
        const patch = {
          spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': at } } } },
        }
        const res = await send(
          'PATCH',
          deploymentPath,
          patch,
          'application/strategic-merge-patch+json',
          o?.signal,
        )
        if (res.status >= 300) return problem('rollout restart', res)
        return { ok: true, output: `rollout restart of ${what} at ${at}` }
      }),
    scale: (delta, o) =>
      guard('scale', async () => {
        const current = await send('GET', `${deploymentPath}/scale`, undefined, undefined, o?.signal)
        if (current.status >= 300) return problem('scale', current)
        const replicas = Number(get(current.body, 'spec', 'replicas') ?? 0)
        const max = Math.min(o?.max ?? options.maxReplicas, options.maxReplicas)
        const target = replicas + delta
        if (target > max)
          return { ...failed(`${what} already at ${replicas} replicas, max ${max}`), replicas }
        if (target < 0) return { ...failed(`${what} cannot scale below 0`), replicas }
        const patch = { spec: { replicas: target } }
        const res = await send(
          'PATCH',
          `${deploymentPath}/scale`,
          patch,
          'application/merge-patch+json',
          o?.signal,
        )
        if (res.status >= 300) return { ...problem('scale', res), replicas }
        return { ok: true, output: `scaled ${what} from ${replicas} to ${target}`, replicas: target }
      }),
    rollback: (target: RollbackTarget, o) =>
      guard('rollout undo', async () => {
        const dep = await send('GET', deploymentPath, undefined, undefined, o?.signal)
        if (dep.status >= 300) return problem('rollout undo', dep)
        const labels = get(dep.body, 'spec', 'selector', 'matchLabels') as Record<string, string> | undefined
        const selector = Object.entries(labels ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(',')
        const rsList = await send(
          'GET',
          `/apis/apps/v1/namespaces/${ns}/replicasets?labelSelector=${encodeURIComponent(selector)}`,
          undefined,
          undefined,
          o?.signal,
        )
        if (rsList.status >= 300) return problem('rollout undo', rsList)
        const revisionOf = (rs: unknown) =>
          Number(get(rs, 'metadata', 'annotations', 'deployment.kubernetes.io/revision') ?? 0)
        const current = Number(
          get(dep.body, 'metadata', 'annotations', 'deployment.kubernetes.io/revision') ?? 0,
        )
        const items = ((get(rsList.body, 'items') as unknown[]) ?? []).sort(
          (a, b) => revisionOf(b) - revisionOf(a),
        )
        const previous =
          target.revision !== undefined
            ? items.find((rs) => revisionOf(rs) === target.revision)
            : items.find((rs) => revisionOf(rs) < current)
        if (!previous) return failed(`rollout undo ${what}: no previous revision found`, false)
        const template = structuredClone(get(previous, 'spec', 'template')) as Json
        const tplLabels = get(template, 'metadata', 'labels') as Record<string, string> | undefined
        if (tplLabels) delete tplLabels['pod-template-hash']
        const res = await send(
          'PATCH',
          deploymentPath,
          [{ op: 'replace', path: '/spec/template', value: template }],
          'application/json-patch+json',
          o?.signal,
        )
        if (res.status >= 300) return problem('rollout undo', res)
        return { ok: true, output: `rolled ${what} back to revision ${revisionOf(previous)}` }
      }),
    status: (o) =>
      guard('status', async (): Promise<ExecutorStatus | ActionResult> => {
        const res = await send('GET', deploymentPath, undefined, undefined, o?.signal)
        if (res.status >= 300) return problem('status', res)
        const replicas = Number(get(res.body, 'spec', 'replicas') ?? 0)
        const ready = Number(get(res.body, 'status', 'readyReplicas') ?? 0)
        return { ok: true, running: ready > 0, replicas, output: `${ready}/${replicas} ready` }
      }),
    deletePod: (pod, o) =>
      guard('delete pod', async () => {
        const res = await send(
          'DELETE',
          `/api/v1/namespaces/${ns}/pods/${encodeURIComponent(pod)}`,
          undefined,
          undefined,
          o?.signal,
        )
        if (res.status >= 300) return problem(`delete pod ${pod} of`, res)
        return { ok: true, output: `deleted pod ${options.namespace}/${pod}` }
      }),
  }
}
