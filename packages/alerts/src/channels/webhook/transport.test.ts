import { noopLogger, systemClock } from '@noa/core'
import { afterEach, describe, expect, it } from 'vitest'
import type { Channel } from '../../channel.ts'
import type { Receiver, ReceiverMode } from '../../testing/receiver.ts'
import { startReceiver } from '../../testing/receiver.ts'
import { sampleNotification } from '../../testing/sample.ts'
import { createChannel } from '../registry.ts'
import { describeLocation } from './transport.ts'

const deps = { clock: systemClock, logger: noopLogger }
const ctx = () => ({ signal: new AbortController().signal, idempotencyKey: 'ntf_1' })
const NOT_FOLLOWED = 'not followed: set the channel url to it, or followRedirects: "same-origin"'

// Every channel that makes HTTP calls, with whatever credentials it carries.
// PagerDuty posts one event per alert of the sample notification (two), the others one message.
const HTTP_CHANNELS: Array<[string, (url: string) => Record<string, unknown>, number]> = [
  [
    'webhook',
    (url) => ({
      type: 'webhook',
      url,
      secret: 'hmac-signing-secret',
      headers: { authorization: 'Bearer t0ken-abc' },
    }),
    1,
  ],
  ['slack', (url) => ({ type: 'slack', url }), 1],
  ['discord', (url) => ({ type: 'discord', url }), 1],
  ['pagerduty', (url) => ({ type: 'pagerduty', url, routingKey: 'R0UTINGKEY' }), 2],
]

describe('HTTP channel redirects', () => {
  const receivers: Receiver[] = []
  const start = async (mode: ReceiverMode) => {
    const r = await startReceiver(mode)
    receivers.push(r)
    return r
  }
  afterEach(async () => {
    await Promise.all(receivers.splice(0).map((r) => r.close()))
  })

  describe.each(HTTP_CHANNELS)('%s', (_type, options, posts) => {
    const build = (url: string, extra: Record<string, unknown> = {}): Channel =>
      createChannel({ ...options(url), ...extra }, deps, 'channels.ops')

    it('should follow no redirect by default: a failure naming the Location, and nothing sent to the other origin', async () => {
      const thirdParty = await start(200)
      const moved = await start((_req, res) =>
        res.writeHead(307, { location: `${thirdParty.url}/collect?k=v` }).end(),
      )
      const result = await build(`${moved.url}/hook`).send(sampleNotification, ctx())
      expect(result).toEqual({
        ok: false,
        retryable: false,
        error: `receiver answered 307, a redirect to ${thirdParty.url}/collect (${NOT_FOLLOWED})`,
      })
      expect(moved.requests.map((r) => [r.method, r.path])).toEqual([['POST', '/hook']])
      expect(thirdParty.requests).toEqual([])
    })

    it('should refuse a redirect to another origin even with same-origin, sending it nothing', async () => {
      const thirdParty = await start(200)
      const moved = await start((_req, res) => res.writeHead(308, { location: `${thirdParty.url}/x` }).end())
      const channel = build(`${moved.url}/hook`, { followRedirects: 'same-origin' })
      expect(await channel.send(sampleNotification, ctx())).toEqual({
        ok: false,
        retryable: false,
        error: `receiver answered 308, a redirect to ${thirdParty.url}/x (another origin: not followed)`,
      })
      expect(thirdParty.requests).toEqual([])
    })

    it('should follow a same-origin redirect with same-origin and deliver there, keeping the POST', async () => {
      const receiver = await start((req, res) => {
        if (req.path === '/hook') res.writeHead(307, { location: '/moved' }).end()
        else res.writeHead(200).end('ok')
      })
      const channel = build(`${receiver.url}/hook`, { followRedirects: 'same-origin' })
      expect(await channel.send(sampleNotification, ctx())).toEqual({ ok: true })
      const [first, second] = receiver.requests
      expect(receiver.requests.map((r) => `${r.method} ${r.path}`)).toEqual(
        Array.from({ length: posts }, () => ['POST /hook', 'POST /moved']).flat(),
      )
      expect(second?.body).toBe(first?.body)
      expect(second?.headers.authorization).toBe(first?.headers.authorization)
      expect(second?.headers['x-noa-signature']).toBe(first?.headers['x-noa-signature'])
    })
  })

  it('should not follow a same-origin redirect by default either', async () => {
    const receiver = await start((req, res) => {
      if (req.path === '/hook') res.writeHead(301, { location: '/new-hook' }).end()
      else res.writeHead(200).end()
    })
    const channel = createChannel({ type: 'webhook', url: `${receiver.url}/hook` }, deps)
    expect(await channel.send(sampleNotification, ctx())).toEqual({
      ok: false,
      retryable: false,
      error: `receiver answered 301, a redirect to ${receiver.url}/new-hook (${NOT_FOLLOWED})`,
    })
    expect(receiver.requests.map((r) => r.path)).toEqual(['/hook'])
  })

  it('should give up a same-origin redirect loop after maxRedirects', async () => {
    const receiver = await start((req, res) => res.writeHead(302, { location: req.path }).end())
    const channel = createChannel(
      { type: 'webhook', url: `${receiver.url}/loop`, followRedirects: 'same-origin', maxRedirects: 2 },
      deps,
    )
    expect(await channel.send(sampleNotification, ctx())).toEqual({
      ok: false,
      retryable: false,
      error: 'too many redirects (more than 2)',
    })
    expect(receiver.requests).toHaveLength(3)
  })

  it('should name an unreadable Location without echoing it', async () => {
    const receiver = await start((_req, res) => res.writeHead(302, { location: 'http://[bad' }).end())
    const channel = createChannel(
      { type: 'webhook', url: receiver.url, followRedirects: 'same-origin' },
      deps,
    )
    expect(await channel.send(sampleNotification, ctx())).toEqual({
      ok: false,
      retryable: false,
      error: 'receiver answered 302, a redirect to an invalid location (another origin: not followed)',
    })
  })

  it('should refuse an unknown followRedirects value at construction', () => {
    expect(() =>
      createChannel(
        { type: 'slack', url: 'https://hooks.example.com/x', followRedirects: 'always' },
        deps,
        'c',
      ),
    ).toThrow('c.followRedirects: Invalid option: expected one of "never"|"same-origin"; found "always"')
  })
})

describe('describeLocation', () => {
  it('should show origin and path, never the query, user info or what the configured URL holds', () => {
    const configured = 'https://hooks.example.com/services/T0KEN-abcdef%2F12?token=q-secret-1'
    const target = new URL(
      'https://user:pw@hooks.example.net/services/T0KEN-abcdef%2F12/v2?token=q-secret-1#f',
    )
    expect(describeLocation(target, configured)).toBe('https://hooks.example.net/[redacted]/[redacted]/v2')
    expect(describeLocation(new URL('https://new.example.org/q-secret-1/ok'), configured)).toBe(
      'https://new.example.org/[redacted]/ok',
    )
  })
})
