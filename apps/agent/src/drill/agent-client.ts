import { get, type IncomingMessage } from 'node:http'
import type { AlertRecord, Approval, HealingRecord, StateChange } from '@noa/core'
import type { ServiceStatus } from '@noa/health'
import type { DrillEvent } from './measure.ts'

/** What a drill reads of a service's status. */
export type DrillServiceStatus = Pick<ServiceStatus, 'state' | 'flapping' | 'recentChanges'>

/** An answer of the agent's API: its status and JSON body. */
export interface ApiAnswer<T> {
  status: number
  body: T
}

/**
 * The drill's view of a running agent: its HTTP API (reads, and writes with the token) and its
 * event stream (`/api/sse`) turned into drill events.
 */
export class AgentClient {
  readonly base: string
  readonly #token: string | undefined

  constructor(base: string, token?: string) {
    this.base = base
    this.#token = token
  }

  get hasToken(): boolean {
    return this.#token !== undefined
  }

  async get<T>(path: string): Promise<ApiAnswer<T>> {
    const res = await fetch(`${this.base}${path}`, { signal: AbortSignal.timeout(10_000) })
    return { status: res.status, body: (await res.json().catch(() => ({}))) as T }
  }

  /** A write: JSON body, bearer token. Refused here, without a request, when there is no token. */
  async post<T>(path: string, body: unknown): Promise<ApiAnswer<T>> {
    if (!this.#token) throw new Error(`set NOA_API_TOKEN: the drill writes to the agent (${path})`)
    const res = await fetch(`${this.base}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.#token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    })
    return { status: res.status, body: (await res.json().catch(() => ({}))) as T }
  }

  /**
   * A service's current state as the agent sees it, whether it flaps and its state changes
   * within the flapping window; undefined when the agent does not know it.
   */
  async status(service: string): Promise<DrillServiceStatus | undefined> {
    const answer = await this.get<{ service?: DrillServiceStatus }>(
      `/api/services/${encodeURIComponent(service)}`,
    )
    return answer.status === 200 ? answer.body.service : undefined
  }

  async state(service: string): Promise<string | undefined> {
    return (await this.status(service))?.state
  }

  /**
   * Follows the event stream: each change, alert, healing, approval and escalation goes to `onEvent`.
   * Resolves once the stream is open; `close()` ends it; `open` turns false once it ended (the agent stopped).
   */
  follow(onEvent: (event: DrillEvent) => void): Promise<{ close(): void; readonly open: boolean }> {
    return new Promise((ok, fail) => {
      const req = get(`${this.base}/api/sse`, { headers: { accept: 'text/event-stream' } }, (res) => {
        if (res.statusCode !== 200) {
          res.resume()
          fail(new Error(`the agent's event stream answered ${res.statusCode}`))
          return
        }
        readFrames(res, (name, data) => {
          const event = toDrillEvent(name, data)
          if (event) onEvent(event)
        })
        let open = true
        res.on('close', () => {
          open = false
        })
        ok({
          close: () => req.destroy(),
          get open() {
            return open
          },
        })
      })
      req.on('error', fail)
    })
  }
}

/** Calls `onFrame` with the event name and parsed data of each frame of an event stream. */
function readFrames(res: IncomingMessage, onFrame: (name: string, data: unknown) => void): void {
  let buffer = ''
  res.setEncoding('utf8')
  res.on('data', (chunk: string) => {
    buffer += chunk
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const frame = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      let name = 'message'
      let data = ''
      for (const line of frame.split('\n')) {
        if (line.startsWith('event:')) name = line.slice(6).trim()
        else if (line.startsWith('data:')) data += line.slice(5).trim()
      }
      if (!data) continue
      try {
        onFrame(name, JSON.parse(data))
      } catch {
        // a frame that is not JSON is not one of the events a drill reads
      }
    }
  })
  // the agent caps what a client may fall behind; nothing else grows here
  res.on('error', () => undefined)
}

/** The events a drill measures, from the stream's `change`, `alert`, `healing`, `approval` and `escalation`. */
export function toDrillEvent(name: string, data: unknown): DrillEvent | undefined {
  switch (name) {
    case 'change': {
      const c = data as StateChange
      return { type: 'change', at: c.at, service: c.service, to: c.to }
    }
    case 'alert': {
      const a = data as AlertRecord
      return {
        type: 'alert',
        at: a.state === 'firing' ? (a.firedAt ?? a.updatedAt) : a.updatedAt,
        fingerprint: a.fingerprint,
        rule: a.rule,
        state: a.state,
        ...(a.labels.service ? { service: a.labels.service } : {}),
      }
    }
    case 'healing': {
      const record = data as HealingRecord
      return { type: 'healing', at: record.startedAt, record }
    }
    case 'approval': {
      const a = data as Approval
      return {
        type: 'approval',
        at: a.requestedAt,
        id: a.id,
        service: a.service,
        action: a.action,
        status: a.status,
      }
    }
    case 'escalation': {
      const e = data as { service: string; kind: string; at: number }
      return { type: 'escalation', at: e.at, service: e.service, kind: e.kind }
    }
    default:
      return undefined
  }
}
