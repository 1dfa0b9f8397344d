import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { FakeClock, type Logger } from '@noa/core'
import { Registry } from '@noa/metrics'
import { decodeRemoteWriteBody, type RemoteWriteInput, type TimeSeries } from '@noa/metrics/remote-write'
import { afterEach, describe, expect, it } from 'vitest'
import { createRemoteWriter, type RemoteWriteMetrics, type RemoteWriterOptions } from './remote-write.ts'

/** What the receiver answers: a status, a status with a Retry-After, or 'hang' (never answers). */
type Answer = number | { status: number; retryAfter: string } | 'hang'

interface Received {
  headers: IncomingHttpHeaders
  series: TimeSeries[]
  samples: number
  closed: Promise<void>
}

/** A real remote-write receiver on 127.0.0.1 that decodes every request and answers from a script. */
async function startReceiver(script: Answer[] = []) {
  const received: Received[] = []
  const hung: ServerResponse[] = []
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    const closed = new Promise<void>((r) => res.on('close', () => r()))
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const series = decodeRemoteWriteBody(Buffer.concat(chunks))
      received.push({
        headers: req.headers,
        series,
        samples: series.reduce((n, s) => n + s.samples.length, 0),
        closed,
      })
      const answer = script.shift() ?? 204
      if (answer === 'hang') hung.push(res)
      else if (typeof answer === 'object')
        res.writeHead(answer.status, { 'retry-after': answer.retryAfter }).end()
      else res.writeHead(answer).end(answer >= 400 ? `error with ${req.headers.authorization}` : '')
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/write`,
    received,
    script,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}

type Receiver = Awaited<ReturnType<typeof startReceiver>>

function recordingLogger() {
  const lines: string[] = []
  const log = (level: string) => (message: string, fields?: object) =>
    lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`)
  const logger: Logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') }
  return { logger, lines }
}

function counters(): RemoteWriteMetrics & { registry: Registry } {
  const registry = new Registry()
  return {
    registry,
    samples: registry.counter({ name: 'rw_samples_total', help: 'x', labelNames: ['result'] }),
    requests: registry.counter({ name: 'rw_requests_total', help: 'x', labelNames: ['code'] }),
    queue: registry.gauge({ name: 'rw_queue', help: 'x' }),
  }
}

const values = (n: number, from = 0): RemoteWriteInput[] =>
  Array.from({ length: n }, (_, i) => ({
    name: 'noa_test_value',
    labels: { i: String(from + i) },
    value: from + i,
    at: 1_765_000_000_000 + from + i,
  }))

/** Resolves on the next turns of the loop until `check` holds (real sockets, fake time). */
async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

describe('createRemoteWriter', () => {
  let receiver: Receiver | undefined
  afterEach(async () => {
    await receiver?.close()
    receiver = undefined
  })

  const setup = async (script: Answer[] = [], extra: Partial<RemoteWriterOptions> = {}) => {
    receiver = await startReceiver(script)
    const clock = new FakeClock()
    const metrics = counters()
    const { logger, lines } = recordingLogger()
    const writer = createRemoteWriter({
      url: receiver.url,
      intervalMs: 1_000,
      maxSamplesPerSend: 2_000,
      maxQueuedSamples: 100_000,
      timeoutMs: 10_000,
      userAgent: 'noa/1.2.3',
      backoff: { initialMs: 100, factor: 2, jitter: 0 },
      metrics,
      clock,
      logger,
      ...extra,
    })
    return { receiver, clock, metrics, writer, lines }
  }

  /** Waits for the receiver's `n`th request, then for the backoff timer (due before any timeout). */
  const afterRequest = async (r: Receiver, clock: FakeClock, n: number, delay: number) => {
    await until(() => r.received.length >= n && clock.nextDue() === clock.now() + delay, `request ${n}`)
  }

  it('should send the queue in batches of maxSamplesPerSend with the remote-write headers', async () => {
    const { receiver, metrics, writer } = await setup()
    writer.enqueue(values(5_000))
    expect(metrics.queue.get()).toBe(5_000)
    await writer.flush()
    expect(receiver.received.map((r) => r.samples)).toEqual([2_000, 2_000, 1_000])
    const first = receiver.received[0]!
    expect(first.headers['content-encoding']).toBe('snappy')
    expect(first.headers['content-type']).toBe('application/x-protobuf')
    expect(first.headers['x-prometheus-remote-write-version']).toBe('0.1.0')
    expect(first.headers['user-agent']).toBe('noa/1.2.3')
    expect(first.series[0]).toEqual({
      labels: { __name__: 'noa_test_value', i: '0' },
      samples: [{ value: 0, timestamp: 1_765_000_000_000 }],
    })
    expect(receiver.received[2]!.series.at(-1)!.labels.i).toBe('4999')
    expect(metrics.samples.get({ result: 'sent' })).toBe(5_000)
    expect(metrics.requests.get({ code: '204' })).toBe(3)
    expect(metrics.queue.get()).toBe(0)
    expect(writer.queued).toBe(0)
  })

  it('should retry a 500 and a 429 with exponential backoff, then deliver the same batch once', async () => {
    const { receiver, clock, metrics, writer } = await setup([500, 429, 503])
    writer.enqueue(values(10))
    let done = false
    const flushed = writer.flush().then(() => {
      done = true
    })
    await afterRequest(receiver, clock, 1, 100)
    await clock.advance(99)
    expect(receiver.received).toHaveLength(1)
    await clock.advance(1)
    await afterRequest(receiver, clock, 2, 200)
    await clock.advance(200)
    await afterRequest(receiver, clock, 3, 400)
    expect(done).toBe(false)
    await clock.advance(400)
    await flushed
    expect(receiver.received.map((r) => r.samples)).toEqual([10, 10, 10, 10])
    expect(receiver.received[3]!.series).toEqual(receiver.received[0]!.series)
    expect(metrics.requests.get({ code: '500' })).toBe(1)
    expect(metrics.requests.get({ code: '429' })).toBe(1)
    expect(metrics.requests.get({ code: '503' })).toBe(1)
    expect(metrics.samples.get({ result: 'sent' })).toBe(10)
    expect(metrics.samples.get({ result: 'failed' })).toBeUndefined()
  })

  it("should wait as long as the receiver's Retry-After asks when it is longer than the backoff", async () => {
    const { receiver, clock, metrics, writer } = await setup([{ status: 429, retryAfter: '30' }])
    writer.enqueue(values(4))
    const flushed = writer.flush()
    // The backoff alone would send again after 100 ms.
    await afterRequest(receiver, clock, 1, 30_000)
    await clock.advance(29_999)
    expect(receiver.received).toHaveLength(1)
    await clock.advance(1)
    await flushed
    expect(receiver.received).toHaveLength(2)
    expect(metrics.samples.get({ result: 'sent' })).toBe(4)
  })

  it('should not retry a 400: the samples are counted as failed and the next batch goes on', async () => {
    const { receiver, metrics, writer, lines } = await setup([400], { maxSamplesPerSend: 3 })
    writer.enqueue(values(5))
    await writer.flush()
    expect(receiver.received.map((r) => r.samples)).toEqual([3, 2])
    expect(metrics.samples.get({ result: 'failed' })).toBe(3)
    expect(metrics.samples.get({ result: 'sent' })).toBe(2)
    expect(metrics.requests.get({ code: '400' })).toBe(1)
    expect(lines.some((l) => l.includes('refused') && l.includes('"status":"400"'))).toBe(true)
  })

  it('should drop the oldest samples when the queue is full, counted and logged', async () => {
    const { receiver, metrics, writer, lines } = await setup([], {
      maxQueuedSamples: 10,
      maxSamplesPerSend: 10,
    })
    writer.enqueue(values(6, 0))
    writer.enqueue(values(6, 6))
    expect(writer.queued).toBe(10)
    writer.enqueue(values(25, 12))
    expect(writer.queued).toBe(10)
    expect(metrics.samples.get({ result: 'dropped' })).toBe(27)
    expect(metrics.queue.get()).toBe(10)
    await writer.flush()
    expect(receiver.received[0]!.series.map((s) => s.samples[0]!.value)).toEqual([
      27, 28, 29, 30, 31, 32, 33, 34, 35, 36,
    ])
    expect(lines.filter((l) => l.includes('dropped')).length).toBe(2)
  })

  it('should keep the newest samples through an outage, the batch being retried first', async () => {
    const { receiver, clock, metrics, writer } = await setup([500], {
      maxQueuedSamples: 20,
      maxSamplesPerSend: 20,
    })
    writer.enqueue(values(5, 0))
    const flushed = writer.flush()
    await afterRequest(receiver, clock, 1, 100)
    // Rounds keep coming while the receiver is down: only the newest 20 are kept.
    for (let round = 0; round < 50; round++) writer.enqueue(values(10, 5 + round * 10))
    expect(writer.queued).toBe(20)
    expect(metrics.samples.get({ result: 'dropped' })).toBe(480)
    await clock.advance(100)
    await flushed
    expect(receiver.received.map((r) => r.samples)).toEqual([5, 5, 20])
    expect(receiver.received[2]!.series.map((s) => s.samples[0]!.value)).toEqual(
      Array.from({ length: 20 }, (_, i) => 485 + i),
    )
    expect(metrics.samples.get({ result: 'sent' })).toBe(25)
  })

  it('should abort a request to a hung receiver at the timeout and retry it', async () => {
    const { receiver, clock, metrics, writer } = await setup(['hang'], { timeoutMs: 2_000 })
    writer.enqueue(values(4))
    const flushed = writer.flush()
    await until(() => receiver.received.length === 1, 'the hung request')
    await clock.advance(2_000)
    // The socket of the hung request is closed, not left open.
    await receiver.received[0]!.closed
    await afterRequest(receiver, clock, 1, 100)
    expect(metrics.requests.get({ code: 'timeout' })).toBe(1)
    await clock.advance(100)
    await flushed
    expect(receiver.received).toHaveLength(2)
    expect(metrics.samples.get({ result: 'sent' })).toBe(4)
  })

  it('should count an unreachable receiver as an error and keep the samples for the retry', async () => {
    const { receiver, clock, metrics, writer } = await setup()
    const url = receiver.url
    await receiver.close()
    writer.enqueue(values(3))
    const flushed = writer.flush()
    await until(() => metrics.requests.get({ code: 'error' }) === 1, 'a refused connection')
    expect(writer.queued).toBe(0)
    const stopped = writer.stop(1_000)
    await clock.advance(1_000)
    await Promise.all([flushed, stopped])
    expect(metrics.samples.get({ result: 'dropped' })).toBe(3)
    expect(url).toContain('127.0.0.1')
  })

  it('should flush at stop, and drop what is left at the deadline', async () => {
    const { receiver, clock, metrics, writer } = await setup([500, 500, 500, 500, 500, 500])
    writer.start()
    writer.enqueue(values(7))
    let stopped = false
    const stopping = writer.stop(250).then(() => {
      stopped = true
    })
    await afterRequest(receiver, clock, 1, 100)
    await clock.advance(100)
    // The deadline (at 250) and the second backoff (at 100 + 200) pending.
    await until(() => receiver.received.length === 2 && clock.pending === 2, 'request 2')
    expect(stopped).toBe(false)
    await clock.advance(149)
    expect(stopped).toBe(false)
    await clock.advance(1)
    await stopping
    expect(metrics.samples.get({ result: 'dropped' })).toBe(7)
    expect(metrics.queue.get()).toBe(0)
    writer.enqueue(values(1))
    expect(writer.queued).toBe(0)
    expect(clock.pending).toBe(0)
  })

  it('should send on its interval once started', async () => {
    const { receiver, clock, writer } = await setup()
    writer.start()
    writer.enqueue(values(2))
    await clock.advance(999)
    expect(receiver.received).toHaveLength(0)
    await clock.advance(1)
    await until(() => receiver.received.length === 1, 'the scheduled send')
    writer.enqueue(values(1, 2))
    await until(() => clock.pending === 1, 'the next tick')
    await clock.advance(1_000)
    await until(() => receiver.received.length === 2, 'the second send')
    await writer.stop()
  })

  it('should send URL credentials as basic auth, and never log the URL or the password', async () => {
    receiver = await startReceiver([400, 500])
    const clock = new FakeClock()
    const { logger, lines } = recordingLogger()
    const writer = createRemoteWriter({
      url: receiver.url.replace('http://', 'http://joe:s3cr%40t@'),
      headers: { 'x-scope-orgid': 'tenant-1' },
      intervalMs: 1_000,
      maxSamplesPerSend: 1,
      maxQueuedSamples: 10,
      timeoutMs: 1_000,
      userAgent: 'noa/test',
      backoff: { initialMs: 10, jitter: 0 },
      metrics: counters(),
      clock,
      logger,
    })
    writer.enqueue(values(2))
    const flushed = writer.flush()
    await afterRequest(receiver, clock, 2, 10)
    await clock.advance(10)
    await flushed
    const { authorization, 'x-scope-orgid': org } = receiver.received[0]!.headers
    expect(authorization).toBe(`Basic ${Buffer.from('joe:s3cr@t').toString('base64')}`)
    expect(org).toBe('tenant-1')
    expect(lines.length).toBeGreaterThan(0)
    for (const line of lines) {
      expect(line).not.toContain('s3cr')
      expect(line).not.toContain('joe')
      expect(line).not.toContain(new URL(receiver.url).port)
    }
  })
})
