import http from 'node:http'
import https from 'node:https'
import type { TLSSocket } from 'node:tls'
import type { Clock } from '@noa/core'
import type { AbortListener, CallbackChecker, Cancellable, Checker, CheckOutcome } from '../../checker.ts'
import { errorOutcome, onAbort } from '../../checker.ts'
import { certificateFailure, evaluate, needsBody, type Verdict, verdictOf } from './evaluate.ts'
import { PlainAttempt, type PlainPlan } from './plain-attempt.ts'
import { PlainPool } from './plain-pool.ts'
import type { HttpCheckOptions } from './schema.ts'

/** Options of {@link createHttpChecker}. */
export interface HttpCheckerOptions {
  /** Idle keep-alive sockets kept per host. @default 1024 */
  maxFreeSockets?: number
  /**
   * `User-Agent` sent when the check sets none. None by default: every header costs time on
   * every request (set one here or in a check's `headers` if access logs need it).
   */
  userAgent?: string
  /**
   * Plain `http:` GET and HEAD checks go through noa's own keep-alive HTTP/1.1 client (a
   * prepared request on a pooled socket, the answer parsed for what the check needs): about
   * half the CPU of node:http per check. `false` sends every check through node:http.
   * @default true
   */
  plainClient?: boolean
  /** The plain client closes a keep-alive socket unused this long. @default 60000 */
  idleTimeoutMs?: number
}

/** The http checker, with a look at the plain client's sockets. */
export interface HttpChecker extends Checker<HttpCheckOptions> {
  /** The plain client's sockets: open (in use or idle) and idle. */
  plainSockets(): { open: number; idle: number }
}

/** What every node:http attempt of one target needs, worked out once. */
interface NodePlan extends Verdict {
  plain: false
  target: HttpCheckOptions
  request: https.RequestOptions
  https: boolean
  needBody: boolean
}

type Plan = NodePlan | (PlainPlan & { plain: true })

const DAY_MS = 86_400_000

/**
 * The `http` (and `https`) checker. Plain `http:` GET and HEAD checks, nearly all health
 * checks, go through a minimal keep-alive HTTP/1.1 client over node:net (see plain-pool.ts);
 * everything else (https, bodies, other methods, unusual headers) through node:http/https
 * with keep-alive agents. Reads at most `maxBodyBytes` of a body (none without a body
 * condition) and closes the socket beyond that or on abort.
 *
 * @example
 * ```ts
 * const checker = createHttpChecker()
 * const outcome = await checker.run(httpCheckSchema.parse({ type: 'http', url: 'http://localhost:8001/health' }),
 *   { signal: AbortSignal.timeout(5_000), clock: systemClock })
 * ```
 */
export function createHttpChecker(options: HttpCheckerOptions = {}): HttpChecker {
  const agentOptions = {
    keepAlive: true,
    maxFreeSockets: options.maxFreeSockets ?? 1024,
    scheduling: 'lifo' as const,
  }
  const httpAgent = new http.Agent(agentOptions)
  const httpsAgent = new https.Agent(agentOptions)
  const pool = new PlainPool({
    maxIdlePerOrigin: agentOptions.maxFreeSockets,
    idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
  })
  const plainClient = options.plainClient ?? true
  const userAgent = options.userAgent
  const plans = new WeakMap<HttpCheckOptions, Plan>()

  const planFor = (target: HttpCheckOptions): Plan => {
    let plan = plans.get(target)
    if (plan) return plan
    const url = new URL(target.url)
    const isHttps = url.protocol === 'https:'
    const headers: Record<string, string> = userAgent
      ? { 'user-agent': userAgent, ...target.headers }
      : { ...target.headers }
    if (target.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length'))
      headers['content-length'] = String(Buffer.byteLength(target.body))
    if (url.username || url.password)
      headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`
    const hostname = url.hostname.replace(/^\[|\]$/g, '')
    const port = url.port ? Number(url.port) : isHttps ? 443 : 80
    const simple = simpleHeaders(target, headers)
    const verdict = verdictOf(target)
    if (plainClient && !isHttps && simple !== undefined && plainHeadersOk(simple) && !envProxy())
      plan = {
        plain: true,
        ...verdict,
        target,
        pool,
        origin: pool.origin(hostname, port),
        request: plainRequest(target.method, url, simple),
        noBody: target.method === 'HEAD',
        needBody: needsBody(target),
      }
    else
      plan = {
        plain: false,
        ...verdict,
        target,
        https: isHttps,
        // Only what differs from node's defaults: each option costs time on every request.
        request: {
          hostname,
          port,
          path: `${url.pathname}${url.search}`,
          agent: isHttps ? httpsAgent : httpAgent,
          ...(target.method === 'GET' ? {} : { method: target.method }),
          ...(simple === undefined
            ? Object.keys(headers).length > 0
              ? { headers }
              : {}
            : { headers: [...simple.flat(), 'Host', url.host] }),
          ...(isHttps ? { rejectUnauthorized: target.tls.rejectUnauthorized, ca: target.tls.ca } : {}),
        },
        needBody: needsBody(target),
      }
    plans.set(target, plan)
    return plan
  }

  const checker: CallbackChecker<HttpCheckOptions, Plan> & HttpChecker = {
    run(target, { signal, clock }) {
      const plan = planFor(target)
      return new Promise((resolve) => {
        if (signal.aborted) resolve(errorOutcome(signal.reason, signal))
        else startHttp(plan, clock, signal, resolve, undefined, 0)
      })
    },
    // The monitor keeps the plan with the service: no lookup per attempt.
    prepare: planFor,
    start(plan, { clock }, done, token, attempt) {
      return startHttp(plan, clock, undefined, done, token, attempt)
    },
    close() {
      httpAgent.destroy()
      httpsAgent.destroy()
      pool.close()
    },
    plainSockets: () => pool.stats(),
  }
  return checker
}

/** Proxies from the environment are node:http's business (NODE_USE_ENV_PROXY, newer node). */
const envProxy = () => Boolean(process.env.NODE_USE_ENV_PROXY)

/**
 * The headers of a GET or HEAD without a body, one per name (case aside, at its first place
 * with its last value, as setHeader keeps them), without Host: node writes such a list as is,
 * with no setHeader per header and no lookups per request (a tenth of a bare request's time),
 * and the plain client writes it in its prepared request. Other requests (undefined here)
 * keep the object, so that node computes their framing (Content-Length, chunked) as before;
 * so does one with its own Host header (for https, node takes the TLS server name from it).
 */
function simpleHeaders(
  target: HttpCheckOptions,
  headers: Record<string, string>,
): Array<[string, string]> | undefined {
  const names = Object.keys(headers)
  const simple =
    (target.method === 'GET' || target.method === 'HEAD') &&
    target.body === undefined &&
    !names.some((name) => name.toLowerCase() === 'host')
  if (!simple) return undefined
  const byName = new Map<string, [string, string]>()
  for (const name of names) {
    const key = name.toLowerCase()
    const seen = byName.get(key)
    if (seen) seen[1] = headers[name]!
    else byName.set(key, [name, headers[name]!])
  }
  return [...byName.values()]
}

// As node checks them: a header name is a token, a value holds no control character but tab.
const TOKEN = /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/
const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/
/** Headers that change the framing or the connection: node:http's business. */
const FRAMING = new Set([
  'connection',
  'content-length',
  'transfer-encoding',
  'expect',
  'upgrade',
  'te',
  'trailer',
])

/** Whether the plain client may send these headers as they are (else node:http refuses or handles them). */
function plainHeadersOk(headers: Array<[string, string]>): boolean {
  return headers.every(
    ([name, value]) => TOKEN.test(name) && !BAD_VALUE.test(value) && !FRAMING.has(name.toLowerCase()),
  )
}

/** The whole request of a plain GET or HEAD, as node's client would write it. */
function plainRequest(method: string, url: URL, headers: Array<[string, string]>): Buffer {
  let head = `${method} ${url.pathname}${url.search} HTTP/1.1\r\n`
  for (const [name, value] of headers) head += `${name}: ${value}\r\n`
  head += `Host: ${url.host}\r\nConnection: keep-alive\r\n\r\n`
  return Buffer.from(head, 'latin1')
}

/** Runs one request and calls `done` once with its outcome (and the caller's token and attempt). */
function startHttp<T>(
  plan: Plan,
  clock: Clock,
  signal: AbortSignal | undefined,
  done: (outcome: CheckOutcome, token: T, attempt: number) => void,
  token: T,
  attempt: number,
): Cancellable {
  if (plan.plain) {
    const plain = new PlainAttempt(plan, signal, clock, done, token, attempt)
    plain.send()
    return plain
  }
  const state = new HttpAttempt(plan.target, plan, signal, clock, done, token, attempt)
  state.send()
  return state
}

const ATTEMPT = Symbol('noa.httpAttempt')
type TaggedRequest = http.ClientRequest & { [ATTEMPT]: HttpAttempt<unknown> }
type TaggedResponse = http.IncomingMessage & { [ATTEMPT]: HttpAttempt<unknown> }
const attemptOf = (res: http.IncomingMessage) => (res as TaggedResponse)[ATTEMPT]

/** Methods that may be sent again: the first request may have reached the server. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'])

// The request's and response's listeners are shared functions that find their request's state
// through `this`: no closures per request.
function onRequestError(this: TaggedRequest, error: Error) {
  const state = this[ATTEMPT]
  if (state.req !== this || state.finished) return
  // A kept-alive socket the server closed while it sat idle fails the next request sent on it
  // (the close crossed the request): that says nothing about the service. Sent once more, on a
  // new connection, as node's documentation advises; a second failure is the answer.
  if (
    this.reusedSocket &&
    !state.resent &&
    state.statusCode === 0 &&
    IDEMPOTENT.has(state.target.method) &&
    ((error as NodeJS.ErrnoException).code === 'ECONNRESET' ||
      (error as NodeJS.ErrnoException).code === 'EPIPE')
  ) {
    state.resent = true
    state.send()
    return
  }
  state.finish(certificateFailure(state.target, error) ?? errorOutcome(error, state.signal))
}
function onResponse(this: TaggedRequest, res: http.IncomingMessage) {
  this[ATTEMPT].response(res)
}
function onResponseData(this: http.IncomingMessage, chunk: Buffer) {
  attemptOf(this).data(this, chunk)
}
// A connection that closes before the end of the body makes the response emit `error` (aborted).
function onResponseError(this: http.IncomingMessage) {
  attemptOf(this).finish({
    state: 'error',
    message: 'connection closed before the answer was complete',
    details: attemptOf(this).details,
    retryable: true,
  })
}
function onResponseEnd(this: http.IncomingMessage) {
  attemptOf(this).end()
}

/** One request in flight. */
class HttpAttempt<T> implements Cancellable, AbortListener {
  readonly started: number
  finished = false
  statusCode = 0
  details: Record<string, unknown> = {}
  chunks: Buffer[] | undefined = undefined
  bytes = 0
  /** The request in flight (a second one when the first died on a stale kept-alive socket). */
  req!: http.ClientRequest
  /** Sent again once already (see onRequestError). */
  resent = false
  /** The listeners of `signal` this attempt is in (run() only: the monitor cancels through the handle). */
  readonly #aborts: Set<AbortListener> | undefined

  constructor(
    readonly target: HttpCheckOptions,
    readonly plan: NodePlan,
    readonly signal: AbortSignal | undefined,
    readonly clock: Clock,
    readonly done: (outcome: CheckOutcome, token: T, attempt: number) => void,
    readonly token: T,
    readonly attempt: number,
  ) {
    this.started = clock.monotonic()
    this.#aborts = signal === undefined ? undefined : onAbort(signal, this)
  }

  /** Sends the request. */
  send() {
    const req = (this.plan.https ? https : http).request(this.plan.request) as TaggedRequest
    this.req = req
    req[ATTEMPT] = this as unknown as HttpAttempt<unknown>
    req.on('error', onRequestError)
    req.on('response', onResponse)
    req.end(this.target.body)
  }

  /** The signal aborted: a timeout or a shutdown. */
  onAbort() {
    // Destroying the request closes the socket: the work stops, not just the waiting.
    this.req.destroy()
    this.finish(errorOutcome(this.signal?.reason, this.signal))
  }

  /** The caller ended the attempt (it settled it already): stop the work. */
  cancel() {
    this.req.destroy()
    this.finish({ state: 'error', message: 'check cancelled', retryable: true })
  }

  finish(outcome: CheckOutcome) {
    if (this.finished) return
    this.finished = true
    this.#aborts?.delete(this)
    this.done(outcome, this.token, this.attempt)
  }

  response(res: http.IncomingMessage) {
    const { target } = this
    const statusCode = res.statusCode ?? 0
    this.statusCode = statusCode
    const details: Record<string, unknown> = { statusCode }
    this.details = details
    ;(res as TaggedResponse)[ATTEMPT] = this as unknown as HttpAttempt<unknown>
    if (target.minCertDays !== undefined) {
      const cert = (res.socket as TLSSocket).getPeerCertificate?.()
      const validTo = cert?.valid_to ? Date.parse(cert.valid_to) : Number.NaN
      if (Number.isFinite(validTo)) details.certDaysLeft = Math.floor((validTo - this.clock.now()) / DAY_MS)
    }
    if (this.plan.needBody) this.chunks = []
    // A body whose declared length is within the cap cannot grow past it (the parser stops at
    // Content-Length): drain it without counting. Without a length (chunked), count the bytes.
    const length = this.chunks ? undefined : res.headers['content-length']
    if (length !== undefined && Number(length) <= target.maxBodyBytes) res.resume()
    else res.on('data', onResponseData)
    res.on('error', onResponseError)
    res.on('end', onResponseEnd)
  }

  data(res: http.IncomingMessage, chunk: Buffer) {
    this.bytes += chunk.length
    if (this.bytes <= this.target.maxBodyBytes) this.chunks?.push(chunk)
    else {
      res.destroy()
      this.req.destroy()
      this.finish({
        state: 'unhealthy',
        message: `body larger than ${this.target.maxBodyBytes} bytes`,
        details: this.details,
        retryable: false,
      })
    }
  }

  end() {
    const responseTimeMs = Math.round((this.clock.monotonic() - this.started) * 100) / 100
    this.details.responseTimeMs = responseTimeMs
    this.finish(
      evaluate(
        this.target,
        this.plan,
        this.statusCode,
        responseTimeMs,
        this.chunks ? Buffer.concat(this.chunks) : undefined,
        this.details,
      ),
    )
  }
}
