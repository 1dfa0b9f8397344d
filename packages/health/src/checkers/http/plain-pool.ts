import net, { type Socket } from 'node:net'
import { Parse, ResponseParser } from './response-parser.ts'

/**
 * The keep-alive sockets of the plain http client: per origin a stack of idle connections
 * (the last one returned is the next one used, as node's agent with `scheduling: 'lifo'`), at
 * most `maxIdlePerOrigin` of them, each closed after `idleTimeoutMs` unused. Every socket it
 * opened is in `#open` until it closed, so that `close()` can end them all.
 */

/** Who waits for the answer on a connection: told exactly once how it went. */
export interface Exchange {
  /** The whole answer came; the connection went back to the pool (or was closed) already. */
  answered(statusCode: number, body: Buffer[] | undefined): void
  /** The answer was refused (Invalid, TooLarge) or cut short (Closed); the connection is closed. */
  broken(result: Parse, connection: Connection): void
  /** The socket failed (refused, reset); the connection is closed. */
  socketError(error: Error, connection: Connection): void
}

/** Where connections go: one host and port. */
export interface Origin {
  readonly host: string
  readonly port: number
  /** Idle connections, the oldest first. */
  readonly idle: Connection[]
}

export interface PlainPoolOptions {
  /** Idle connections kept per origin; one more is closed. */
  maxIdlePerOrigin: number
  /** An idle connection unused this long is closed. */
  idleTimeoutMs: number
  /** Milliseconds, monotonic; injectable for tests. */
  now?: () => number
}

const CONNECTION = Symbol('noa.plainConnection')
type TaggedSocket = Socket & { [CONNECTION]: Connection }

// One set of listener functions for every socket: they find their connection through `this`.
function onData(this: TaggedSocket, chunk: Buffer) {
  this[CONNECTION].data(chunk)
}
function onEnd(this: TaggedSocket) {
  this[CONNECTION].end()
}
function onError(this: TaggedSocket, error: Error) {
  this[CONNECTION].error(error)
}
function onClose(this: TaggedSocket) {
  this[CONNECTION].closed()
}

/** One socket and the parser of the answers that come on it. */
export class Connection {
  readonly socket: TaggedSocket
  readonly parser = new ResponseParser()
  /** The request in flight, if any. */
  exchange: Exchange | undefined = undefined
  /** It carried a whole answer before: a failure of the next request may be a close that crossed it. */
  reused = false
  idle = false
  idleSince = 0
  #destroyed = false

  constructor(
    readonly pool: PlainPool,
    readonly origin: Origin,
  ) {
    // As node's agent with keepAlive: no Nagle delay, TCP keep-alive probes after 1 s idle.
    const socket = net.connect({
      host: origin.host,
      port: origin.port,
      noDelay: true,
      keepAlive: true,
      keepAliveInitialDelay: 1000,
    }) as TaggedSocket
    socket[CONNECTION] = this
    socket.on('data', onData)
    socket.on('end', onEnd)
    socket.on('error', onError)
    socket.on('close', onClose)
    this.socket = socket
  }

  /** Sends a prepared request; the answer goes to `exchange`. */
  send(exchange: Exchange, request: Buffer, noBody: boolean, collectBody: boolean, maxBodyBytes: number) {
    this.exchange = exchange
    this.parser.reset(noBody, collectBody, maxBodyBytes)
    this.socket.write(request)
  }

  data(chunk: Buffer) {
    const exchange = this.exchange
    // Bytes nobody asked for (on an idle connection): the connection is out of step, close it.
    if (exchange === undefined) return this.destroy()
    const parser = this.parser
    const result = parser.execute(chunk)
    if (result === Parse.More) return
    this.exchange = undefined
    if (result !== Parse.Done) {
      this.destroy()
      exchange.broken(result, this)
      return
    }
    // Read before the connection goes back: the next request on it resets the parser.
    const { statusCode, chunks } = parser
    if (parser.keepAlive && !parser.trailing) this.pool.release(this)
    else this.destroy()
    exchange.answered(statusCode, chunks)
  }

  /** The server closed its side: the end of a close-delimited answer, or of the connection. */
  end() {
    const exchange = this.exchange
    this.exchange = undefined
    this.destroy()
    if (exchange === undefined) return
    const result = this.parser.eof()
    if (result === Parse.Done) exchange.answered(this.parser.statusCode, this.parser.chunks)
    else exchange.broken(result, this)
  }

  error(error: Error) {
    const exchange = this.exchange
    this.exchange = undefined
    this.destroy()
    exchange?.socketError(error, this)
  }

  closed() {
    this.#destroyed = true
    this.pool.forget(this)
    // Closed with no end and no error (the pool was closed): the answer is cut short.
    const exchange = this.exchange
    this.exchange = undefined
    exchange?.broken(Parse.Closed, this)
  }

  /** The caller gave up on the exchange (timeout, cancel): the socket goes, whatever it still holds. */
  abandon() {
    this.exchange = undefined
    this.destroy()
  }

  destroy() {
    if (this.#destroyed) return
    this.#destroyed = true
    this.pool.forget(this)
    this.socket.destroy()
  }

  get destroyed(): boolean {
    return this.#destroyed
  }
}

/** The connections of one plain http client. */
export class PlainPool {
  readonly #origins = new Map<string, Origin>()
  readonly #open = new Set<Connection>()
  readonly #maxIdle: number
  readonly #idleTimeoutMs: number
  readonly #now: () => number
  #sweeper: NodeJS.Timeout | undefined = undefined
  #idleCount = 0

  constructor(options: PlainPoolOptions) {
    this.#maxIdle = options.maxIdlePerOrigin
    this.#idleTimeoutMs = options.idleTimeoutMs
    this.#now = options.now ?? (() => performance.now())
  }

  /** The origin of a host and port, made once and kept by the caller's plan. */
  origin(host: string, port: number): Origin {
    const key = `${host}:${port}`
    let origin = this.#origins.get(key)
    if (origin === undefined) {
      origin = { host, port, idle: [] }
      this.#origins.set(key, origin)
    }
    return origin
  }

  /** The most recently used idle connection to `origin`, or a new one. */
  acquire(origin: Origin): Connection {
    const connection = origin.idle.pop()
    if (connection === undefined) return this.connect(origin)
    connection.idle = false
    this.#idleCount--
    return connection
  }

  /** A new connection to `origin`. */
  connect(origin: Origin): Connection {
    const connection = new Connection(this, origin)
    this.#open.add(connection)
    return connection
  }

  /** A connection whose answer is complete: kept for the next request, or closed past the bound. */
  release(connection: Connection) {
    const { idle } = connection.origin
    if (idle.length >= this.#maxIdle) return connection.destroy()
    const now = this.#now()
    connection.reused = true
    connection.idle = true
    connection.idleSince = now
    idle.push(connection)
    this.#idleCount++
    this.#expire(idle, now)
    if (this.#sweeper === undefined) {
      // Origins that are no longer checked keep no sockets for long either.
      this.#sweeper = setInterval(() => this.sweep(), Math.max(1_000, this.#idleTimeoutMs / 2))
      this.#sweeper.unref()
    }
  }

  /** Closes every idle connection unused for longer than the idle timeout. */
  sweep() {
    const now = this.#now()
    for (const [key, origin] of this.#origins) {
      this.#expire(origin.idle, now)
      // An origin with no idle socket leaves the map, which would otherwise keep every origin
      // ever checked; the plans that hold it go on using it, a new plan gets a new one.
      if (origin.idle.length === 0) this.#origins.delete(key)
    }
    if (this.#idleCount === 0 && this.#sweeper !== undefined) {
      clearInterval(this.#sweeper)
      this.#sweeper = undefined
    }
  }

  #expire(idle: Connection[], now: number) {
    // The oldest are first: the stack's bottom is what LIFO use leaves unused.
    while (idle.length > 0 && now - idle[0]!.idleSince > this.#idleTimeoutMs) idle[0]!.destroy()
  }

  /** A connection closed: it is no longer open nor idle. */
  forget(connection: Connection) {
    this.#open.delete(connection)
    if (!connection.idle) return
    connection.idle = false
    this.#idleCount--
    const { idle } = connection.origin
    const at = idle.indexOf(connection)
    if (at !== -1) idle.splice(at, 1)
  }

  /** Closes every connection, idle or busy. The pool can be used again afterwards. */
  close() {
    for (const connection of [...this.#open]) connection.destroy()
    if (this.#sweeper !== undefined) clearInterval(this.#sweeper)
    this.#sweeper = undefined
  }

  /** How many sockets are open and how many of them idle (for tests and diagnostics). */
  stats(): { open: number; idle: number } {
    return { open: this.#open.size, idle: this.#idleCount }
  }
}
