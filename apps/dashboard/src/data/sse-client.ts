import { createBackoff } from '@noa/core'

/** One server-sent event. */
export interface SseMessage {
  id?: string
  event: string
  data: string
}

/**
 * Incremental `text/event-stream` parser (the WHATWG rules the dashboard needs: `id`,
 * `event`, multi-line `data`, comments, CR/LF/CRLF line ends).
 */
export class SseParser {
  #buffer = ''
  #event = ''
  #data: string[] = []
  #id: string | undefined

  /** Feeds a chunk; returns the events it completed. */
  push(chunk: string): SseMessage[] {
    this.#buffer += chunk
    const out: SseMessage[] = []
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.#buffer)
      // A lone CR at the end may be the first half of CRLF: wait for more.
      if (!match || (match[0] === '\r' && match.index === this.#buffer.length - 1)) break
      const line = this.#buffer.slice(0, match.index)
      this.#buffer = this.#buffer.slice(match.index + match[0].length)
      this.#line(line, out)
    }
    return out
  }

  #line(line: string, out: SseMessage[]): void {
    if (line === '') {
      if (this.#data.length > 0) {
        const message: SseMessage = { event: this.#event || 'message', data: this.#data.join('\n') }
        if (this.#id !== undefined) message.id = this.#id
        out.push(message)
      }
      this.#event = ''
      this.#data = []
      return
    }
    if (line.startsWith(':')) return
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    let value = colon === -1 ? '' : line.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    if (field === 'event') this.#event = value
    else if (field === 'data') this.#data.push(value)
    else if (field === 'id' && !value.includes('\0')) this.#id = value
  }
}

/** Where a stream connection stands. */
export type SseState = 'connecting' | 'open' | 'closed'

/** Options of {@link SseClient}. */
export interface SseClientOptions {
  url: string
  onMessage: (message: SseMessage) => void
  onState?: (state: SseState, detail?: string) => void
  /** @default globalThis.fetch */
  fetch?: typeof fetch
  /** Headers of each connection (the read token), asked again at every reconnect. */
  headers?: () => Record<string, string>
  /** First reconnect delay, ms; grows to `maxRetryMs`. @default 1000 */
  retryMs?: number
  /** @default 15000 */
  maxRetryMs?: number
  /** With no byte (not even the 15 s ping) for this long, the connection is dropped and opened again. @default 45000 */
  idleTimeoutMs?: number
}

/**
 * A server-sent events connection over fetch, so that a reconnect can send
 * `Last-Event-ID` and resume where it left off (a browser's EventSource cannot set it
 * on a new connection, and gives up on a non-200 answer).
 *
 * @example
 * ```ts
 * const client = new SseClient({ url: '/api/sse', onMessage: (m) => console.log(m.event) })
 * client.start()
 * // later
 * client.stop()
 * ```
 */
export class SseClient {
  readonly #options: SseClientOptions
  readonly #backoff
  #controller: AbortController | undefined
  #stopped = true
  #retryTimer: ReturnType<typeof setTimeout> | undefined
  #attempt = 0
  /** Id of the last event received; sent as `Last-Event-ID` when reconnecting. */
  lastEventId: string | undefined
  state: SseState = 'closed'

  constructor(options: SseClientOptions) {
    this.#options = options
    const initialMs = options.retryMs ?? 1000
    this.#backoff = createBackoff({ initialMs, maxMs: Math.max(initialMs, options.maxRetryMs ?? 15_000) })
  }

  start(): void {
    if (!this.#stopped) return
    this.#stopped = false
    void this.#connect()
  }

  stop(): void {
    this.#stopped = true
    clearTimeout(this.#retryTimer)
    this.#controller?.abort()
    this.#setState('closed', 'stopped')
  }

  #setState(state: SseState, detail?: string): void {
    this.state = state
    this.#options.onState?.(state, detail)
  }

  async #connect(): Promise<void> {
    const controller = new AbortController()
    this.#controller = controller
    const idleMs = this.#options.idleTimeoutMs ?? 45_000
    let idle: ReturnType<typeof setTimeout> | undefined
    const touch = () => {
      clearTimeout(idle)
      idle = setTimeout(() => controller.abort(new Error('no data')), idleMs)
    }
    this.#setState('connecting')
    let reason = 'the stream ended'
    try {
      const headers: Record<string, string> = {
        accept: 'text/event-stream',
        ...this.#options.headers?.(),
      }
      if (this.lastEventId !== undefined) headers['last-event-id'] = this.lastEventId
      const doFetch = this.#options.fetch ?? ((i, init) => globalThis.fetch(i, init))
      touch()
      const response = await doFetch(this.#options.url, {
        headers,
        signal: controller.signal,
        cache: 'no-store',
      })
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`)
      this.#setState('open')
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
      const parser = new SseParser()
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        touch()
        for (const message of parser.push(value)) {
          // Only a stream that delivers resets the backoff: one that opens and drops at once
          // must not turn into a reconnect loop at the shortest delay.
          this.#attempt = 0
          if (message.id !== undefined) this.lastEventId = message.id
          this.#options.onMessage(message)
        }
      }
    } catch (error) {
      reason = error instanceof Error ? error.message : String(error)
    } finally {
      clearTimeout(idle)
    }
    if (this.#stopped) return
    this.#setState('closed', reason)
    const delay = this.#backoff.delay(this.#attempt++)
    this.#retryTimer = setTimeout(() => {
      if (!this.#stopped) void this.#connect()
    }, delay)
  }
}
