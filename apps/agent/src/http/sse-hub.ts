import type { ServerResponse } from 'node:http'
import { type Clock, systemClock, type Timer } from '@noa/core'

/** Options of {@link SseHub}. */
export interface SseHubOptions {
  /** Events kept for `Last-Event-ID` resume. @default 1000 */
  bufferSize?: number
  /**
   * Bytes of events kept for resume: a fleet's `services` deltas can be large, so the ring is
   * bounded by size as well as by count (the oldest go first). @default 8388608 (8 MiB)
   */
  bufferBytes?: number
  /** Interval of the keep-alive comment. @default 15000 */
  heartbeatMs?: number
  /** Bytes a client may have unsent before it is dropped as too slow. @default 1048576 */
  maxQueuedBytes?: number
  /** Open streams at most; further ones are refused. @default 2000 */
  maxClients?: number
  clock?: Clock
}

interface BufferedEvent {
  id: number
  frame: string
}

/** Counters of the hub, for /metrics. */
export interface SseStats {
  clients: number
  published: number
  droppedSlowClients: number
  refused: number
}

/**
 * Fan-out of server-sent events to many clients. Each event is serialised once and
 * written to every open response; a client that falls more than `maxQueuedBytes`
 * behind is disconnected instead of being buffered without bound. The last
 * `bufferSize` events are kept so a reconnecting client resumes from `Last-Event-ID`.
 */
export class SseHub {
  readonly #clients = new Set<ServerResponse>()
  readonly #ring: BufferedEvent[] = []
  readonly #bufferSize: number
  readonly #bufferBytes: number
  #ringBytes = 0
  readonly #maxQueuedBytes: number
  readonly #maxClients: number
  readonly #heartbeatMs: number
  readonly #clock: Clock
  #heartbeat: Timer | undefined
  #nextId = 1
  #closed = false
  readonly stats: SseStats = { clients: 0, published: 0, droppedSlowClients: 0, refused: 0 }

  constructor(options: SseHubOptions = {}) {
    this.#bufferSize = options.bufferSize ?? 1000
    this.#bufferBytes = options.bufferBytes ?? 8 * 1024 * 1024
    this.#maxQueuedBytes = options.maxQueuedBytes ?? 1024 * 1024
    this.#maxClients = options.maxClients ?? 2000
    this.#heartbeatMs = options.heartbeatMs ?? 15_000
    this.#clock = options.clock ?? systemClock
  }

  /** Number of open streams. */
  get size(): number {
    return this.#clients.size
  }

  /** Id of the last event published, 0 before the first. */
  get lastId(): number {
    return this.#nextId - 1
  }

  /** Sends `data` as JSON under the event name `event` to every client; returns the event id. */
  publish(event: string, data: unknown): number {
    const id = this.#nextId++
    const name = event.replace(/[\r\n]/g, '')
    const frame = `id: ${id}\nevent: ${name}\ndata: ${JSON.stringify(data)}\n\n`
    this.#ring.push({ id, frame })
    this.#ringBytes += frame.length
    while (
      this.#ring.length > this.#bufferSize ||
      (this.#ringBytes > this.#bufferBytes && this.#ring.length > 1)
    )
      this.#ringBytes -= this.#ring.shift()!.frame.length
    this.stats.published++
    for (const res of this.#clients) this.#write(res, frame)
    return id
  }

  /**
   * Starts an event stream on `res`: writes the headers, replays the events after
   * `lastEventId` that are still buffered, and keeps the response open until the
   * client goes away or the hub closes. Returns false when the hub is full or closed.
   */
  attach(res: ServerResponse, lastEventId?: string | null): boolean {
    if (this.#closed || this.#clients.size >= this.#maxClients) {
      this.stats.refused++
      return false
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    })
    res.socket?.setNoDelay(true)
    this.#clients.add(res)
    this.stats.clients = this.#clients.size
    res.on('close', () => this.#detach(res))
    let replay = 'retry: 3000\n\n'
    const after = lastEventId === undefined || lastEventId === null ? Number.NaN : Number(lastEventId)
    if (Number.isInteger(after)) {
      for (const e of this.#ring) if (e.id > after) replay += e.frame
    }
    this.#write(res, replay)
    this.#armHeartbeat()
    return true
  }

  /** Ends every stream and stops the heartbeat. */
  close(): void {
    this.#closed = true
    this.#heartbeat?.cancel()
    this.#heartbeat = undefined
    for (const res of this.#clients) res.end()
    this.#clients.clear()
    this.stats.clients = 0
  }

  #write(res: ServerResponse, chunk: string): void {
    if (res.writableEnded || res.destroyed) {
      this.#detach(res)
      return
    }
    res.write(chunk)
    if (res.writableLength > this.#maxQueuedBytes) {
      this.stats.droppedSlowClients++
      this.#detach(res)
      res.destroy()
    }
  }

  #detach(res: ServerResponse): void {
    if (this.#clients.delete(res)) this.stats.clients = this.#clients.size
  }

  #armHeartbeat(): void {
    if (this.#heartbeat || this.#closed) return
    const beat = () => {
      this.#heartbeat = undefined
      if (this.#clients.size === 0 || this.#closed) return
      for (const res of this.#clients) this.#write(res, ': ping\n\n')
      this.#armHeartbeat()
    }
    this.#heartbeat = this.#clock.setTimeout(beat, this.#heartbeatMs)
  }
}
