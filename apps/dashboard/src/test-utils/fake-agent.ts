/**
 * A FAKE of the agent's HTTP API for component tests: an in-memory fetch that answers
 * the documented routes from fixtures and streams SSE events the test emits. The real
 * agent is exercised by the browser suite in e2e/.
 */

export interface RecordedCall {
  method: string
  path: string
  headers: Record<string, string>
  body: unknown
}

type Answer = { status: number; body: unknown } | ((call: RecordedCall) => { status: number; body: unknown })

export interface FakeAgent {
  fetch: typeof fetch
  calls: RecordedCall[]
  /** Sets what `METHOD path-without-query` answers. */
  route(key: string, answer: Answer): void
  /** Makes every call fail as if the agent were down (true) or brings it back. */
  down(isDown: boolean): void
  /** Sends one event to every open stream. */
  emit(event: string, data: unknown): void
  /** Ends every open stream (the agent went away). */
  dropStreams(): void
  /** Open /api/sse streams. */
  readonly streams: number
}

export function createFakeAgent(routes: Record<string, Answer> = {}): FakeAgent {
  const table = new Map<string, Answer>(Object.entries(routes))
  // Unless a test says otherwise, any token is an admin's and no token is anonymous.
  if (!table.has('GET /api/whoami'))
    table.set('GET /api/whoami', (call) => ({
      status: 200,
      body: call.headers.authorization ? whoamiOf('admin', 'admin') : whoamiOf(null, 'anonymous'),
    }))
  const calls: RecordedCall[] = []
  const streams = new Set<ReadableStreamDefaultController<Uint8Array>>()
  const encoder = new TextEncoder()
  let isDown = false
  let nextId = 1

  const fakeFetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(String(input), 'http://agent.test')
    const headers: Record<string, string> = {}
    for (const [k, v] of Object.entries((init.headers ?? {}) as Record<string, string>))
      headers[k.toLowerCase()] = v
    const call: RecordedCall = {
      method: init.method ?? 'GET',
      path: url.pathname + url.search,
      headers,
      body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
    }
    calls.push(call)
    if (init.signal?.aborted) throw new DOMException('aborted', 'AbortError')
    if (isDown) throw new TypeError('fetch failed')
    if (url.pathname === '/api/sse') {
      let mine: ReadableStreamDefaultController<Uint8Array>
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          mine = controller
          streams.add(controller)
        },
        cancel() {
          streams.delete(mine)
        },
      })
      init.signal?.addEventListener('abort', () => {
        streams.delete(mine)
        try {
          mine.error(new DOMException('aborted', 'AbortError'))
        } catch {}
      })
      return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } })
    }
    const answer = table.get(`${call.method} ${url.pathname}`)
    if (!answer) return Response.json({ error: `no route ${call.method} ${url.pathname}` }, { status: 404 })
    const { status, body } = typeof answer === 'function' ? answer(call) : answer
    return new Response(body === undefined ? '' : JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json' },
    })
  }

  return {
    fetch: fakeFetch as typeof fetch,
    calls,
    route: (key, answer) => table.set(key, answer),
    down(value) {
      isDown = value
      if (value) this.dropStreams()
    },
    emit(event, data) {
      const chunk = encoder.encode(`id: ${nextId++}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
      for (const c of streams) c.enqueue(chunk)
    },
    dropStreams() {
      for (const c of streams) {
        try {
          c.close()
        } catch {}
      }
      streams.clear()
    },
    get streams() {
      return streams.size
    },
  }
}

/** A `GET /api/whoami` answer of a role, with what it may do as the agent decides it. */
export function whoamiOf(name: string | null, role: 'anonymous' | 'viewer' | 'operator' | 'admin') {
  const rank = ['anonymous', 'viewer', 'operator', 'admin'].indexOf(role)
  const operator = rank >= 2
  const admin = rank >= 3
  return {
    name,
    role,
    can: {
      heal: operator,
      silence: operator,
      approve: operator,
      maintenance: operator,
      acknowledge: operator,
      reload: admin,
      drill: admin,
    },
  }
}

/** A reply for `route`. */
export const ok = (body: unknown, status = 200) => ({ status, body })
