import { createHmac } from 'node:crypto'
import { ConfigError, noopLogger, systemClock } from '@noa/core'
import { afterEach, describe, expect, it } from 'vitest'
import type { Receiver } from '../../testing/receiver.ts'
import { startReceiver } from '../../testing/receiver.ts'
import { sampleNotification } from '../../testing/sample.ts'
import { createChannel } from '../registry.ts'
import { createWebhookChannel } from './webhook.ts'

const deps = { clock: systemClock, logger: noopLogger }
const ctx = () => ({ signal: new AbortController().signal, idempotencyKey: 'ntf_1' })

describe('webhook channel', () => {
  let receiver: Receiver | undefined
  afterEach(async () => {
    await receiver?.close()
    receiver = undefined
  })

  it('should POST the notification as JSON with an idempotency key and an HMAC-SHA256 signature', async () => {
    receiver = await startReceiver(200)
    const secret = 'signing-secret-123'
    const channel = createWebhookChannel(
      {
        type: 'webhook',
        url: `${receiver.url}/hook?token=abc`,
        secret,
        headers: { authorization: 'Bearer t0ken' },
      },
      deps,
    )
    expect(await channel.send(sampleNotification, ctx())).toEqual({ ok: true })
    const [req] = receiver.requests
    expect(req?.method).toBe('POST')
    expect(req?.path).toBe('/hook?token=abc')
    expect(JSON.parse(req?.body ?? '')).toEqual(sampleNotification)
    expect(req?.headers['content-type']).toBe('application/json')
    expect(req?.headers['idempotency-key']).toBe('ntf_1')
    expect(req?.headers.authorization).toBe('Bearer t0ken')
    expect(req?.headers['x-noa-signature']).toBe(
      `sha256=${createHmac('sha256', secret)
        .update(req?.body ?? '')
        .digest('hex')}`,
    )
  })

  it('should send no signature header without a secret', async () => {
    receiver = await startReceiver(204)
    const channel = createWebhookChannel({ type: 'webhook', url: receiver.url }, deps)
    expect(await channel.send(sampleNotification, ctx())).toEqual({ ok: true })
    expect(receiver.requests[0]?.headers['x-noa-signature']).toBeUndefined()
  })

  it('should call a 5xx, 429 and a timeout retryable and a 4xx not', async () => {
    receiver = await startReceiver(500)
    const channel = createWebhookChannel({ type: 'webhook', url: receiver.url, timeout: 200 }, deps)
    expect(await channel.send(sampleNotification, ctx())).toEqual({
      ok: false,
      retryable: true,
      error: 'receiver answered 500',
    })
    receiver.mode = 429
    expect(await channel.send(sampleNotification, ctx())).toMatchObject({ ok: false, retryable: true })
    receiver.mode = 404
    expect(await channel.send(sampleNotification, ctx())).toEqual({
      ok: false,
      retryable: false,
      error: 'receiver answered 404',
    })
    receiver.mode = 'hang'
    expect(await channel.send(sampleNotification, ctx())).toEqual({
      ok: false,
      retryable: true,
      error: 'timed out after 200 ms',
    })
  })

  it('should report a refused connection by its code only, never the URL', async () => {
    receiver = await startReceiver()
    const url = `${receiver.url}/secret-token-path`
    await receiver.close()
    receiver = undefined
    const channel = createWebhookChannel({ type: 'webhook', url }, deps)
    const result = await channel.send(sampleNotification, ctx())
    expect(result).toEqual({ ok: false, retryable: true, error: 'network error ECONNREFUSED' })
  })

  it('should stop when the caller aborts', async () => {
    receiver = await startReceiver('hang')
    const channel = createWebhookChannel({ type: 'webhook', url: receiver.url }, deps)
    const controller = new AbortController()
    const pending = channel.send(sampleNotification, { signal: controller.signal, idempotencyKey: 'k' })
    await receiver.requests.length
    setTimeout(() => controller.abort(), 50)
    expect(await pending).toEqual({ ok: false, retryable: true, error: 'aborted' })
  })

  it('should refuse bad options at construction, without echoing secrets it cannot parse', () => {
    expect(() =>
      createChannel(
        { type: 'webhook', url: 'ftp://x', secret: 'short', maxRedirects: 50, extra: 1 },
        deps,
        'channels.ops',
      ),
    ).toThrow(
      new ConfigError([
        { path: 'channels.ops.url', message: 'expected an http or https URL; found "[redacted]"' },
        {
          path: 'channels.ops.secret',
          message: 'a signing secret has at least 8 characters; found "[redacted]"',
        },
        { path: 'channels.ops.maxRedirects', message: 'Too big: expected number to be <=10; found 50' },
        {
          path: 'channels.ops.extra',
          message: 'unknown key; allowed: type, url, secret, headers, timeout, followRedirects, maxRedirects',
        },
      ]),
    )
    expect(() => createChannel(null, deps)).toThrow(
      'channel.type: unknown channel type nothing; allowed: console, file, webhook, email, slack, discord, pagerduty, alertmanager',
    )
  })
})
