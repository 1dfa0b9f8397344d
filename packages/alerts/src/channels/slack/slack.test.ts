import { noopLogger, systemClock } from '@noa/core'
import { afterEach, describe, expect, it } from 'vitest'
import type { Receiver } from '../../testing/receiver.ts'
import { startReceiver } from '../../testing/receiver.ts'
import { sampleNotification } from '../../testing/sample.ts'
import { createDiscordChannel } from '../discord/discord.ts'
import { createPagerDutyChannel } from '../pagerduty/pagerduty.ts'
import { createSlackChannel } from './slack.ts'

const deps = { clock: systemClock, logger: noopLogger }
const ctx = { signal: new AbortController().signal, idempotencyKey: 'ntf_1' }

describe('slack, discord and pagerduty channels', () => {
  let receiver: Receiver | undefined
  afterEach(async () => {
    await receiver?.close()
    receiver = undefined
  })

  it('should post a Slack message with one coloured attachment per alert', async () => {
    receiver = await startReceiver(200)
    const channel = createSlackChannel(
      { type: 'slack', url: `${receiver.url}/services/T/B/X`, channel: '#ops' },
      deps,
    )
    expect(await channel.send(sampleNotification, ctx)).toEqual({ ok: true })
    expect(JSON.parse(receiver.requests[0]?.body ?? '')).toEqual({
      channel: '#ops',
      username: 'noa',
      text: '[FIRING:1] service-down, cpu-overload',
      attachments: [
        {
          color: '#ef4444',
          title: '[FIRING] service-down (api)',
          text: 'Service api is down',
          fields: [{ title: 'severity', value: 'critical', short: true }],
          footer: 'aaaaaaaaaaaaaaaa',
          ts: 1761170400,
        },
        {
          color: '#10b981',
          title: '[RESOLVED] cpu-overload',
          text: 'CPU usage is above 90 %',
          fields: [{ title: 'severity', value: 'warning', short: true }],
          footer: 'bbbbbbbbbbbbbbbb',
          ts: 1761168600,
        },
      ],
    })
  })

  it('should post a Discord message with at most 10 embeds', async () => {
    receiver = await startReceiver(204)
    const channel = createDiscordChannel({ type: 'discord', url: `${receiver.url}/api/webhooks/1/x` }, deps)
    const many = {
      ...sampleNotification,
      status: 'resolved' as const,
      alerts: Array.from({ length: 12 }, (_, i) => ({
        ...(sampleNotification.alerts[1] as (typeof sampleNotification.alerts)[number]),
        labels: { alertname: `a${i}` },
      })),
    }
    expect(await channel.send(sampleNotification, ctx)).toEqual({ ok: true })
    expect(await channel.send(many, ctx)).toEqual({ ok: true })
    const first = JSON.parse(receiver.requests[0]?.body ?? '')
    expect(first).toEqual({
      username: 'noa',
      content: '[FIRING:1] service-down, cpu-overload',
      embeds: [
        {
          title: '[FIRING] service-down (api)',
          description: 'Service api is down',
          color: 0xef4444,
          timestamp: '2025-10-22T22:00:00.000Z',
          footer: { text: 'aaaaaaaaaaaaaaaa' },
        },
        {
          title: '[RESOLVED] cpu-overload',
          description: 'CPU usage is above 90 %',
          color: 0x10b981,
          timestamp: '2025-10-22T21:30:00.000Z',
          footer: { text: 'bbbbbbbbbbbbbbbb' },
        },
      ],
    })
    const second = JSON.parse(receiver.requests[1]?.body ?? '')
    expect(second.embeds).toHaveLength(10)
    expect(second.content).toBe('[RESOLVED] a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11 (+2 more)')
  })

  it('should send one PagerDuty Events v2 event per alert, deduplicated by fingerprint', async () => {
    receiver = await startReceiver(202)
    const channel = createPagerDutyChannel(
      { type: 'pagerduty', routingKey: 'R0UTINGKEY', url: `${receiver.url}/v2/enqueue` },
      deps,
    )
    expect(await channel.send(sampleNotification, ctx)).toEqual({ ok: true })
    expect(receiver.requests.map((r) => JSON.parse(r.body))).toEqual([
      {
        routing_key: 'R0UTINGKEY',
        event_action: 'trigger',
        dedup_key: 'aaaaaaaaaaaaaaaa',
        payload: {
          summary: 'Service api is down',
          source: 'api',
          severity: 'critical',
          timestamp: '2025-10-22T22:00:00.000Z',
          component: 'api',
          class: 'service-down',
          custom_details: {
            labels: { alertname: 'service-down', severity: 'critical', service: 'api' },
            annotations: { summary: 'Service api is down' },
          },
        },
      },
      { routing_key: 'R0UTINGKEY', event_action: 'resolve', dedup_key: 'bbbbbbbbbbbbbbbb' },
    ])
    expect(receiver.requests.map((r) => r.headers['idempotency-key'])).toEqual([
      'ntf_1:aaaaaaaaaaaaaaaa',
      'ntf_1:bbbbbbbbbbbbbbbb',
    ])
  })

  it('should stop at the first failed PagerDuty event and report it', async () => {
    receiver = await startReceiver(400)
    const channel = createPagerDutyChannel(
      { type: 'pagerduty', routingKey: 'R0UTINGKEY', url: receiver.url, source: 'fleet' },
      deps,
    )
    expect(await channel.send(sampleNotification, ctx)).toEqual({
      ok: false,
      retryable: false,
      error: 'receiver answered 400',
    })
    expect(receiver.requests).toHaveLength(1)
  })
})
