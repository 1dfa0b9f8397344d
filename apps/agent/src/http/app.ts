import { readFile, stat } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { extname, join, normalize, resolve, sep } from 'node:path'
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response'
import { isSilenceStoreError } from '@noa/alerts'
import { silenceSchema } from '@noa/alerts/config'
import {
  type Clock,
  type ConfigIssue,
  createId,
  createLogger,
  errorMessage,
  isConfigError,
  type Logger,
  systemClock,
} from '@noa/core'
import { negotiate } from '@noa/metrics'
import { type Context, Hono, type MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { cors } from 'hono/cors'
import { z } from 'zod'
import type { ApiToken } from '../config/api-tokens.ts'
import { formatConfigIssues } from '../config/load.ts'
import type { AgentConfig } from '../config/schema.ts'
import { type AgentApi, type Page, toApiSilence } from './agent-api.ts'
import type { ReloadResult } from './api-types.ts'
import {
  actorOf,
  createTokenBook,
  type GuardFor,
  isLoopback,
  LEGACY_TOKEN_NAME,
  requireReader,
  requireRole,
  roleOf,
  whoami,
} from './auth.ts'
import { DRILL_BODY_BYTES, registerDrillRoutes } from './drills.ts'
import { parseFleetQuery } from './fleet-query.ts'
import { registerIncidentRoutes } from './incident-routes.ts'
import { registerMaintenanceRoutes } from './maintenance-routes.ts'
import { hostMatcher, requireKnownHost, SECURITY_HEADERS, securityHeaders } from './protect.ts'
import { createRateLimiter } from './rate-limit.ts'
import { registerSloRoutes } from './slo-routes.ts'
import { registerStatusPageRoutes } from './status-page-routes.ts'

type Env = { Bindings: { incoming: IncomingMessage; outgoing: ServerResponse } }

/** What the HTTP layer needs: the agent's narrow API, its settings, and what the CLI reads from the environment. */
export interface AppDeps {
  api: AgentApi
  settings: Pick<AgentConfig, 'api' | 'dashboard'>
  /** NOA_API_TOKEN, an admin's; without any token the write endpoints answer 403. */
  apiToken?: string
  /** Every token with its holder and role (`parseApiTokens`, which includes NOA_API_TOKEN); replaces `apiToken`. */
  apiTokens?: readonly ApiToken[]
  /** Folder of the dashboard build; served at / when it holds an index.html. */
  staticDir?: string
  clock?: Clock
  /** Where an internal error is logged, with the id its answer names. @default JSON lines on stderr */
  logger?: Logger
  /** The machine's addresses, answered for with a wildcard bind. @default those of `os.networkInterfaces()` */
  localAddresses?: readonly string[]
  /** Reads the configuration file again and applies its services (`POST /api/reload`). */
  reload?: () => Promise<Reloaded>
}

/** What reading the configuration again gave: what it changed, or every problem of the file. */
export type Reloaded = { ok: true; result: ReloadResult } | { ok: false; issues: readonly ConfigIssue[] }

const HEALING_TRIGGERS = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,63}$/, 'a trigger is lower-case letters, digits and -')
const healBody = z.strictObject({
  trigger: HEALING_TRIGGERS.default('manual'),
  dryRun: z.boolean().optional(),
})
const decisionBody = z.strictObject({
  by: z.string().max(200).optional(),
  comment: z.string().max(2000).optional(),
})
// API.md's matchers are Alertmanager's `{ name, value, isRegex?, isEqual? }`; @noa/alerts' are `{ label, op, value }`.
const matcherBody = z.union([
  z.strictObject({
    name: z.string().min(1),
    value: z.string(),
    isRegex: z.boolean().optional(),
    isEqual: z.boolean().optional(),
  }),
  z.strictObject({
    label: z.string().min(1),
    value: z.string(),
    op: z.enum(['=', '!=', '=~', '!~']).optional(),
  }),
])
const silenceBody = silenceSchema.extend({
  startsAt: z.number().int().min(0).optional(),
  matchers: z.array(matcherBody).min(1, 'a silence needs at least one matcher'),
})
type Matcher = { label: string; op: '=' | '!=' | '=~' | '!~'; value: string }
const toEngineMatcher = (m: z.output<typeof matcherBody>): Matcher =>
  'label' in m
    ? { label: m.label, op: m.op ?? '=', value: m.value }
    : {
        label: m.name,
        value: m.value,
        op: m.isEqual === false ? (m.isRegex ? '!~' : '!=') : m.isRegex ? '=~' : '=',
      }
const AGGS = ['avg', 'min', 'max', 'last', 'rate'] as const

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
}

const clientKey = (c: Context<Env>) =>
  c.env?.incoming?.socket?.remoteAddress ?? c.req.header('x-forwarded-for') ?? 'local'

/** A path as logged: a push check's token (the credential of its job) replaced. */
const loggedPath = (path: string) => path.replace(/^\/api\/push\/[^/]+/, '/api/push/<token>')

/** A beat's fields, from the query (`?status=down&msg=...`, for curl in cron) or a JSON body. */
const beatBody = z.object({
  status: z.enum(['up', 'down']).default('up'),
  msg: z.string().max(1000).optional(),
})

const bad = (c: Context, message: string, status: 400 | 404 | 409 | 413 | 415 | 422 = 400) =>
  c.json({ error: message }, status)

async function readJson(c: Context): Promise<{ ok: true; value: unknown } | { ok: false; res: Response }> {
  const type = c.req.header('content-type') ?? ''
  const text = await c.req.text()
  if (text.trim() === '') return { ok: true, value: {} }
  if (!/^application\/json\b/i.test(type))
    return { ok: false, res: bad(c, `expected content-type application/json; found ${type || 'none'}`, 415) }
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch {
    return { ok: false, res: bad(c, 'the body is not valid JSON') }
  }
}

function issuesOf(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')
}

const int = (value: string | undefined, fallback: number, min: number, max: number): number | string => {
  if (value === undefined || value === '') return fallback
  const n = Number(value)
  if (!Number.isFinite(n) || n < min || n > max)
    return `expected a number from ${min} to ${max}; found ${JSON.stringify(value)}`
  return Math.floor(n)
}

/** `?limit=&before=` of a newest-first list: a page of at most `limit` (1..1000) before `before` (epoch ms). */
function pageOf(c: Context, fallback: number): Page | string {
  const limit = int(c.req.query('limit'), fallback, 1, 1000)
  if (typeof limit === 'string') return `limit: ${limit}`
  const raw = c.req.query('before')
  if (raw === undefined) return { limit }
  const before = int(raw, 0, 0, 8.64e15)
  return typeof before === 'string' ? `before: ${before}` : { limit, before }
}

/**
 * The agent's HTTP API (see API.md): read endpoints, bearer-guarded writes, SSE, /metrics and
 * the dashboard build. Routes only: the agent is passed in and the server is started elsewhere.
 * Every answer carries {@link SECURITY_HEADERS}; a request for a host that is not the agent's
 * (DNS rebinding) gets 421; an internal error is logged with an id and answered with that id
 * only, never with its message (which may hold a path or a secret).
 *
 * @example
 * ```ts
 * const app = createApp({ agent, apiToken: process.env.NOA_API_TOKEN })
 * serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 9300 })
 * ```
 */
export function createApp(deps: AppDeps): Hono<Env> {
  const { api: agent, settings } = deps
  const clock = deps.clock ?? systemClock
  const api = settings.api
  const app = new Hono<Env>()
  const writeLimiter = createRateLimiter({ ...api.writeRateLimit, clock })
  const sseLimiter = createRateLimiter({ ...api.sseRateLimit, clock })
  const limit =
    (limiter: ReturnType<typeof createRateLimiter>): MiddlewareHandler<Env> =>
    async (c, next) => {
      const key = clientKey(c)
      if (!limiter.take(key)) {
        c.header('retry-after', String(Math.max(1, Math.ceil(limiter.retryAfterMs(key) / 1000))))
        return c.json({ error: 'too many requests' }, 429)
      }
      await next()
    }

  const logger = deps.logger ?? createLogger({ level: 'error', base: { component: 'api' } })
  // An error is an answer, never a crash; its message stays in the log.
  app.onError((error, c) => {
    const id = createId('err')
    logger.error('request failed', {
      id,
      method: c.req.method,
      path: loggedPath(c.req.path),
      error: errorMessage(error),
    })
    return c.json({ error: `internal error ${id}: the agent's log has the details`, id }, 500)
  })
  app.use('*', securityHeaders())
  app.use(
    '*',
    requireKnownHost(
      hostMatcher({
        bindHost: settings.dashboard.host,
        allowedHosts: api.allowedHosts,
        ...(deps.localAddresses ? { localAddresses: deps.localAddresses } : {}),
      }),
    ),
  )
  app.notFound((c) => c.json({ error: `no route for ${c.req.method} ${loggedPath(c.req.path)}` }, 404))

  const origins = settings.dashboard.corsOrigins
  if (origins.length > 0) {
    const corsMiddleware = cors({
      origin: origins,
      allowHeaders: ['authorization', 'content-type', 'last-event-id'],
    })
    // The SSE route answers on the raw socket; it sets its CORS header itself.
    app.use('/api/*', (c, next) => (c.req.path === '/api/sse' ? next() : corsMiddleware(c, next)))
  }
  app.use('/api/*', async (c, next) => {
    await next()
    // The SSE route answers on the raw socket: its response must stay the marker object.
    if (c.req.path !== '/api/sse' && !c.res.headers.has('cache-control'))
      c.header('cache-control', 'no-store')
  })
  // ---- who may read: anyone on loopback; beyond this machine a viewer token or above (see auth.ts)
  const book = createTokenBook(
    deps.apiTokens ??
      (deps.apiToken ? [{ name: LEGACY_TOKEN_NAME, role: 'admin', token: deps.apiToken }] : []),
  )
  const readsClosed = !isLoopback(settings.dashboard.host)
  app.use('*', requireReader(book, { closed: readsClosed, queryTokenPath: '/api/sse' }))

  // ---- read endpoints
  app.get('/api/health', (c) => {
    const health = agent.health()
    // A probe from beyond this machine learns that the agent is up, not what the fleet holds.
    if (readsClosed && !roleOf(c))
      return c.json({ timestamp: health.timestamp, overall: health.overall, store: { ok: health.store.ok } })
    return c.json(health)
  })
  app.get('/api/whoami', (c) => c.json(whoami(c)))
  // Serialized once per change, not per request: at 10,000 services the body is over 1 MB. Its
  // cache-control is set here: added after the handler, it turns @hono/node-server's light
  // response into a web Response read back as a stream, a third of the route's time at 1,000/s.
  app.get('/api/status', (c) => {
    const body = agent.statusJson()
    // The bytes go to the socket as they are: held until the answer is written (or its
    // connection closed), then reused for a later body. Without the node server, never reused.
    c.env?.outgoing?.once('close', body.release)
    return c.body(body.bytes, 200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
  })
  app.get('/api/metrics', (c) => {
    const latest = agent.latestMetrics()
    return latest ? c.json(latest) : c.json({ error: 'no metrics collected yet' }, 503)
  })
  app.get('/api/metrics/recent', async (c) => {
    const n = int(c.req.query('limit'), 60, 1, 1000)
    if (typeof n === 'string') return bad(c, `limit: ${n}`)
    const { snapshots, omitted } = await agent.recentMetrics(n)
    // The body is the seed's array: what did not fit is said in a header.
    if (omitted > 0) c.header('x-noa-omitted', String(omitted))
    return c.json(snapshots)
  })
  app.get('/api/metrics/query', async (c) => {
    const name = c.req.query('name')
    if (!name || !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name))
      return bad(c, `name: expected a metric name; found ${JSON.stringify(name ?? null)}`)
    const now = clock.now()
    const to = int(c.req.query('to'), now, 0, 8.64e15)
    if (typeof to === 'string') return bad(c, `to: ${to}`)
    const from = int(c.req.query('from'), to - 3_600_000, 0, 8.64e15)
    if (typeof from === 'string') return bad(c, `from: ${from}`)
    if (from >= to) return bad(c, `from must be before to; found from=${from} to=${to}`)
    const fallbackStep = Math.max(1000, Math.ceil((to - from) / 360 / 1000) * 1000)
    const step = int(c.req.query('step'), fallbackStep, 1000, 86_400_000)
    if (typeof step === 'string') return bad(c, `step: ${step}`)
    if ((to - from) / step > 11_000) return bad(c, `too many points: (to - from) / step must be <= 11000`)
    const agg = c.req.query('agg') ?? 'avg'
    if (!(AGGS as readonly string[]).includes(agg))
      return bad(c, `agg: expected one of ${AGGS.join(', ')}; found ${JSON.stringify(agg)}`)
    const labels: Record<string, string> = {}
    for (const [key, value] of Object.entries(c.req.queries())) {
      const m = /^match\[([a-zA-Z_][a-zA-Z0-9_]*)\]$/.exec(key)
      if (m) labels[m[1]!] = value[0] ?? ''
    }
    const { series, omitted } = await agent.queryMetrics({
      name,
      labels,
      start: from,
      end: to,
      step,
      aggregation: agg as (typeof AGGS)[number],
    })
    return c.json({
      name,
      from,
      to,
      step,
      series: series.map((s) => ({ labels: s.series.labels, points: s.points })),
      ...(omitted > 0 ? { omittedSeries: omitted } : {}),
    })
  })
  app.get('/api/services', (c) => {
    const query = parseFleetQuery(c.req.queries())
    if (!query.ok) return bad(c, query.error)
    return c.json(agent.services(query.filter, query.page))
  })
  app.get('/api/summary', (c) => c.json(agent.summary()))
  app.get('/api/services/:name', async (c) => {
    const name = c.req.param('name')
    if (!agent.hasService(name)) return bad(c, `unknown service ${JSON.stringify(name)}`, 404)
    return c.json(await agent.service(name))
  })
  app.get('/api/alerts', async (c) => {
    const state = c.req.query('state')
    if (state !== undefined && !['pending', 'firing', 'resolved'].includes(state))
      return bad(c, `state: expected pending, firing or resolved; found ${JSON.stringify(state)}`)
    const p = pageOf(c, 500)
    if (typeof p === 'string') return bad(c, p)
    return c.json(await agent.alerts({ ...p, ...(state ? { state: state as 'pending' } : {}) }))
  })
  app.get('/api/healing', async (c) => {
    const p = pageOf(c, 50)
    if (typeof p === 'string') return bad(c, p)
    const service = c.req.query('service')
    return c.json(await agent.healings({ ...p, ...(service ? { service } : {}) }))
  })
  app.get('/api/approvals', async (c) => {
    const status = c.req.query('status')
    if (status !== undefined && !['pending', 'approved', 'rejected', 'expired'].includes(status))
      return bad(
        c,
        `status: expected pending, approved, rejected or expired; found ${JSON.stringify(status)}`,
      )
    const p = pageOf(c, 200)
    if (typeof p === 'string') return bad(c, p)
    return c.json(await agent.approvals({ ...p, ...(status ? { status: status as 'pending' } : {}) }))
  })
  app.get('/api/sse', limit(sseLimiter), (c) => {
    const res = c.env?.outgoing
    if (!res) return c.json({ error: 'SSE needs the node server' }, 500)
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value)
    const origin = c.req.header('origin')
    if (origin && origins.includes(origin)) {
      res.setHeader('access-control-allow-origin', origin)
      res.setHeader('vary', 'Origin')
    }
    if (!agent.attachEvents(res, c.req.header('last-event-id') ?? c.req.query('lastEventId')))
      return c.json({ error: 'too many event streams' }, 503)
    return RESPONSE_ALREADY_SENT
  })
  app.get('/metrics', async (c) => {
    const { format, contentType } = negotiate(c.req.header('accept'))
    // Bytes of a buffer of their own (Buffer.concat's), never a SharedArrayBuffer.
    const bytes = (await agent.renderMetrics(format)) as Uint8Array<ArrayBuffer>
    return c.body(bytes, 200, { 'content-type': contentType })
  })

  // ---- write endpoints: token, rate limit, body cap
  const capBody = (maxSize: number) =>
    bodyLimit({ maxSize, onError: (c) => c.json({ error: `body larger than ${maxSize} bytes` }, 413) })
  /** The guard of a write that needs `role`: rate limit, token of that role or above, body cap. */
  const guardFor = ((role, maxBody = api.bodyLimit) =>
    [limit(writeLimiter), requireRole(book, role), capBody(maxBody)] as const) satisfies GuardFor
  // What a person on call does: heal, silence, decide approvals (and maintenance windows).
  const operator = guardFor('operator')
  // Changing the agent itself: reload its configuration, record drills. The default of a new write.
  const guard = guardFor('admin')
  // ---- push checks: the token in the path is the credential (a cron job has no other)
  const pushLimiter = createRateLimiter({ ...api.pushRateLimit, clock })
  const beat = async (c: Context<Env>, body: unknown) => {
    const parsed = beatBody.safeParse({ ...c.req.query(), ...(body as object) })
    if (!parsed.success) return bad(c, issuesOf(parsed.error))
    const { status, msg } = parsed.data
    const taken = await agent.beat(c.req.param('token') ?? '', { status, message: msg })
    if (!taken) return bad(c, 'no push check has this token', 404)
    return c.json({ ok: true, service: taken.service })
  }
  app.get('/api/push/:token', limit(pushLimiter), (c) => beat(c, {}))
  app.post('/api/push/:token', limit(pushLimiter), capBody(4096), async (c) => {
    const body = await readJson(c)
    return body.ok ? beat(c, body.value) : body.res
  })

  app.post('/api/heal/:service', ...operator, async (c) => {
    const service = c.req.param('service')
    if (!agent.hasService(service)) return bad(c, `unknown service ${JSON.stringify(service)}`, 404)
    const body = await readJson(c)
    if (!body.ok) return body.res
    const parsed = healBody.safeParse(body.value)
    if (!parsed.success) return bad(c, issuesOf(parsed.error))
    const healing = await agent.heal(service, parsed.data.trigger, parsed.data.dryRun, actorOf(c))
    return c.json({ healing }, 202)
  })
  for (const decision of ['approve', 'reject'] as const)
    app.post(`/api/approvals/:id/${decision}`, ...operator, async (c) => {
      const id = c.req.param('id')
      const body = await readJson(c)
      if (!body.ok) return body.res
      const parsed = decisionBody.safeParse(body.value)
      if (!parsed.success) return bad(c, issuesOf(parsed.error))
      const existing = await agent.approval(id)
      if (!existing) return bad(c, `unknown approval ${JSON.stringify(id)}`, 404)
      if (existing.status !== 'pending')
        return bad(c, `approval ${id} is ${existing.status}, not pending`, 409)
      // The token says who decided; a `by` of the body (a shared token's person) stays in the comment.
      const by = actorOf(c)
      const { by: said, comment } = parsed.data
      const noted = said && said !== by ? `(by ${said})${comment ? ` ${comment}` : ''}` : comment
      const approval = await agent.decide(id, decision === 'approve', by, noted)
      if (!approval) return bad(c, `approval ${id} is no longer pending`, 409)
      return c.json({ approval })
    })
  app.post('/api/reload', ...guard, async (c) => {
    if (!deps.reload) return c.json({ error: 'this agent cannot reload its configuration' }, 404)
    const reloaded = await deps.reload()
    logger.info('configuration reload asked', { by: actorOf(c), ok: reloaded.ok })
    if (reloaded.ok) return c.json(reloaded.result)
    return c.json(
      {
        error: 'the configuration has problems; nothing changed',
        issues: formatConfigIssues(reloaded.issues),
      },
      422,
    )
  })
  app.post('/api/silences', ...operator, async (c) => {
    const body = await readJson(c)
    if (!body.ok) return body.res
    const parsed = silenceBody.safeParse(body.value)
    if (!parsed.success) return bad(c, issuesOf(parsed.error))
    try {
      const silence = await agent.addSilence({
        ...parsed.data,
        matchers: parsed.data.matchers.map(toEngineMatcher),
        startsAt: parsed.data.startsAt ?? clock.now(),
        // Who the token names, whatever the body says.
        createdBy: actorOf(c),
      })
      return c.json({ silence: toApiSilence(silence) }, 201)
    } catch (error) {
      if (isConfigError(error)) return bad(c, error.issues.map((i) => `${i.path}: ${i.message}`).join('; '))
      if (isSilenceStoreError(error))
        return c.json({ error: 'the silence cannot be stored now; try again when the store is back' }, 503)
      throw error
    }
  })
  app.delete('/api/silences/:id', ...operator, async (c) => {
    const id = c.req.param('id')
    let silence: Awaited<ReturnType<AgentApi['expireSilence']>>
    try {
      silence = await agent.expireSilence(id)
    } catch (error) {
      if (!isSilenceStoreError(error)) throw error
      return c.json({ error: 'the silence cannot be expired now; try again when the store is back' }, 503)
    }
    if (!silence) return bad(c, `unknown silence ${JSON.stringify(id)}`, 404)
    logger.info('silence expired', { id, by: actorOf(c) })
    return c.json({ silence: toApiSilence(silence) })
  })
  // a drill run holds up to DRILL_LIMITS.results results: more than a general write's body
  const drillGuard = guardFor('admin', Math.max(api.bodyLimit, DRILL_BODY_BYTES))
  registerDrillRoutes(app, { agent, guard: drillGuard, readJson, issuesOf, logger })
  registerSloRoutes(app, { agent })
  registerStatusPageRoutes(app, { page: () => agent.statusPage() })
  registerMaintenanceRoutes(app, { agent, guard: guardFor('operator'), readJson, issuesOf })
  registerIncidentRoutes(app, { agent, guard: guardFor('operator'), readJson, issuesOf })
  app.all('/api/*', (c) =>
    c.json(
      { error: `no route for ${c.req.method} ${loggedPath(c.req.path)}` },
      c.req.method === 'GET' ? 404 : 405,
    ),
  )

  // ---- the dashboard build
  if (deps.staticDir) {
    const root = resolve(deps.staticDir)
    app.get('*', async (c) => {
      let rel: string
      try {
        rel = normalize(decodeURIComponent(c.req.path)).replace(/^([/\\])+/, '')
      } catch {
        return c.json({ error: 'not found' }, 404)
      }
      if (rel.split(/[/\\]/).includes('..')) return c.json({ error: 'not found' }, 404)
      let file = join(root, rel)
      if (!file.startsWith(root + sep) && file !== root) return c.json({ error: 'not found' }, 404)
      try {
        if ((await stat(file)).isDirectory()) file = join(file, 'index.html')
      } catch {
        // single-page app: unknown paths without an extension get index.html
        if (extname(rel) !== '') return c.json({ error: 'not found' }, 404)
        file = join(root, 'index.html')
      }
      try {
        const body = await readFile(file)
        const immutable = rel.startsWith('assets/')
        return c.body(body, 200, {
          'content-type': MIME[extname(file)] ?? 'application/octet-stream',
          'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
        })
      } catch {
        return c.json({ error: 'not found' }, 404)
      }
    })
  }
  return app
}
