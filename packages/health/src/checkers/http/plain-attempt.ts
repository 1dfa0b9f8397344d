import type { Clock } from '@noa/core'
import type { AbortListener, Cancellable, CheckOutcome } from '../../checker.ts'
import { errorOutcome, onAbort } from '../../checker.ts'
import { evaluate, type Verdict } from './evaluate.ts'
import type { Connection, Exchange, Origin, PlainPool } from './plain-pool.ts'
import { Parse } from './response-parser.ts'
import type { HttpCheckOptions } from './schema.ts'

/** What every plain attempt of one target needs, worked out once. */
export interface PlainPlan extends Verdict {
  target: HttpCheckOptions
  pool: PlainPool
  origin: Origin
  /** The whole request, as written on the socket. */
  request: Buffer
  /** HEAD: the answer has no body whatever its headers say. */
  noBody: boolean
  needBody: boolean
}

/** The error node's client gives for a connection that closed before any answer. */
function hangUp(): Error {
  return Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })
}

/**
 * One GET or HEAD over the plain client: a prepared request written on a pooled socket, the
 * answer parsed as it comes. The same outcomes as the node:http path for the same answers.
 */
export class PlainAttempt<T> implements Cancellable, AbortListener, Exchange {
  readonly started: number
  finished = false
  /** Sent again once already, after a kept-alive socket died under the first request. */
  resent = false
  connection!: Connection
  /** The listeners of `signal` this attempt is in (run() only: the monitor cancels through the handle). */
  readonly #aborts: Set<AbortListener> | undefined

  constructor(
    readonly plan: PlainPlan,
    readonly signal: AbortSignal | undefined,
    readonly clock: Clock,
    readonly done: (outcome: CheckOutcome, token: T, attempt: number) => void,
    readonly token: T,
    readonly attempt: number,
  ) {
    this.started = clock.monotonic()
    this.#aborts = signal === undefined ? undefined : onAbort(signal, this)
  }

  /** Sends the request on an idle connection, or on a new one when `fresh`. */
  send(fresh = false) {
    const { plan } = this
    const connection = fresh ? plan.pool.connect(plan.origin) : plan.pool.acquire(plan.origin)
    this.connection = connection
    connection.send(this, plan.request, plan.noBody, plan.needBody, plan.target.maxBodyBytes)
  }

  answered(statusCode: number, body: Buffer[] | undefined) {
    const responseTimeMs = Math.round((this.clock.monotonic() - this.started) * 100) / 100
    const { plan } = this
    const details = { statusCode, responseTimeMs }
    const bytes = body === undefined ? undefined : body.length === 1 ? body[0] : Buffer.concat(body)
    this.finish(evaluate(plan.target, plan, statusCode, responseTimeMs, bytes, details))
  }

  broken(result: Parse, connection: Connection) {
    const { parser } = connection
    if (result === Parse.Invalid) {
      const error = parser.error!
      this.finish({ state: 'error', message: error.message, details: { code: error.code }, retryable: true })
    } else if (result === Parse.TooLarge) {
      this.finish({
        state: 'unhealthy',
        message: `body larger than ${this.plan.target.maxBodyBytes} bytes`,
        details: { statusCode: parser.statusCode },
        retryable: false,
      })
    } else if (parser.statusCode !== 0) {
      this.finish({
        state: 'error',
        message: 'connection closed before the answer was complete',
        details: { statusCode: parser.statusCode },
        retryable: true,
      })
    } else if (!this.resendOnStale(connection)) this.finish(errorOutcome(hangUp()))
  }

  socketError(error: Error, connection: Connection) {
    const code = (error as NodeJS.ErrnoException).code
    if ((code === 'ECONNRESET' || code === 'EPIPE') && this.resendOnStale(connection)) return
    this.finish(errorOutcome(error, this.signal))
  }

  /**
   * A kept-alive socket the server closed while it sat idle fails the next request sent on it
   * (the close crossed the request): that says nothing about the service. A GET or HEAD is
   * sent once more, on a new connection; a second failure is the answer.
   */
  resendOnStale(connection: Connection): boolean {
    if (this.resent || !connection.reused || connection.parser.received || this.finished) return false
    this.resent = true
    this.send(true)
    return true
  }

  /** The signal aborted: a timeout or a shutdown. */
  onAbort() {
    // Finished already, its connection may carry another check's request now.
    if (this.finished) return
    // Closing the socket stops the work, not just the waiting.
    this.connection.abandon()
    this.finish(errorOutcome(this.signal?.reason, this.signal))
  }

  /** The caller ended the attempt (it settled it already): stop the work. */
  cancel() {
    if (this.finished) return
    this.connection.abandon()
    this.finish({ state: 'error', message: 'check cancelled', retryable: true })
  }

  finish(outcome: CheckOutcome) {
    if (this.finished) return
    this.finished = true
    this.#aborts?.delete(this)
    this.done(outcome, this.token, this.attempt)
  }
}
