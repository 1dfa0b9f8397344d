import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { FakeClock, noopLogger, systemClock } from '@noa/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Notification, NotificationAlert } from '../../channel.ts'
import {
  ALERTMANAGER_BIN,
  type AlertmanagerAlert,
  startAlertmanager,
  type TestAlertmanager,
} from '../../testing/alertmanager.ts'
import { createAlertmanagerChannel, MAX_RESENT_ALERTS, toPostableAlert } from './alertmanager.ts'

if (!ALERTMANAGER_BIN)
  console.warn(
    'Alertmanager is not installed: its channel tests are skipped (apt-get install prometheus-alertmanager)',
  )

/** An alert as the engine notifies it; a resolved one ended `endedAt` (a second ago by default). */
const alert = (
  name: string,
  status: 'firing' | 'resolved',
  service = 'api',
  endedAt = new Date(Date.now() - 1000).toISOString(),
): NotificationAlert => ({
  status,
  labels: { alertname: name, severity: 'critical', service },
  annotations: { summary: `${name} on ${service}` },
  startsAt: '2026-12-07T00:00:00.000Z',
  endsAt: status === 'firing' ? '0001-01-01T00:00:00Z' : endedAt,
  generatorURL: 'http://127.0.0.1:9300/api/alerts',
  fingerprint: `${name}-${service}`,
})
const notification = (alerts: NotificationAlert[]): Notification => ({
  version: '4',
  groupKey: 'g',
  truncatedAlerts: 0,
  status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
  receiver: 'am',
  groupLabels: {},
  commonLabels: {},
  commonAnnotations: {},
  externalURL: 'http://127.0.0.1:9300',
  alerts,
})
const context = (key: string) => ({ signal: AbortSignal.timeout(10_000), idempotencyKey: key })

describe('toPostableAlert', () => {
  it('should give a firing alert an end a few intervals ahead and a resolved one its end', () => {
    const at = Date.UTC(2026, 11, 7, 1, 2)
    expect(toPostableAlert(alert('service-down', 'firing'), at)).toEqual({
      labels: { alertname: 'service-down', severity: 'critical', service: 'api' },
      annotations: { summary: 'service-down on api' },
      startsAt: '2026-12-07T00:00:00.000Z',
      endsAt: '2026-12-07T01:02:00.000Z',
      generatorURL: 'http://127.0.0.1:9300/api/alerts',
    })
    const resolved = toPostableAlert(
      { ...alert('service-down', 'resolved', 'api', '2026-12-07T01:05:00.000Z'), generatorURL: '' },
      at,
    )
    expect(resolved.endsAt).toBe('2026-12-07T01:05:00.000Z')
    expect(resolved).not.toHaveProperty('generatorURL')
  })
})

describe.skipIf(!ALERTMANAGER_BIN)('the alertmanager channel against a real Alertmanager', () => {
  let am: TestAlertmanager
  let base = ''
  const active = () => am.active()
  beforeAll(async () => {
    am = await startAlertmanager()
    base = am.url
  }, 40_000)
  afterAll(() => am?.close())

  it('should show the alerts in its API, grouped by its route, and resolve them', async () => {
    const channel = createAlertmanagerChannel(
      { type: 'alertmanager', url: `${base}/` },
      { clock: systemClock, logger: noopLogger },
    )
    try {
      const sent = await channel.send(
        notification([
          alert('service-down', 'firing', 'api'),
          alert('service-down', 'firing', 'web'),
          alert('high-cpu', 'firing'),
        ]),
        context('n1'),
      )
      expect(sent).toEqual({ ok: true })
      const shown = await active()
      expect(shown.map((a) => `${a.labels.alertname}/${a.labels.service}`).sort()).toEqual([
        'high-cpu/api',
        'service-down/api',
        'service-down/web',
      ])
      const groups = await am.groups()
      expect(groups.map((g) => [g.labels.alertname, g.alerts.length]).sort()).toEqual([
        ['high-cpu', 1],
        ['service-down', 2],
      ])
      expect(
        await channel.send(notification([alert('service-down', 'resolved', 'web')]), context('n2')),
      ).toEqual({ ok: true })
      expect((await active()).map((a) => `${a.labels.alertname}/${a.labels.service}`).sort()).toEqual([
        'high-cpu/api',
        'service-down/api',
      ])
    } finally {
      await channel.close?.()
    }
  })

  it('should send firing alerts again while they fire, pushing their end forward', async () => {
    const clock = new FakeClock(Date.now())
    const channel = createAlertmanagerChannel(
      { type: 'alertmanager', url: base, resendIntervalMs: 60_000 },
      { clock, logger: noopLogger },
    )
    try {
      await channel.send(notification([alert('disk-full', 'firing')]), context('n3'))
      const endOf = async () => (await active()).find((a) => a.labels.alertname === 'disk-full')?.endsAt
      const first = Date.parse((await endOf())!)
      expect(first).toBe(clock.now() + 240_000)
      await clock.advance(60_000)
      const deadline = Date.now() + 10_000
      while (Date.parse((await endOf())!) === first && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50))
      expect(Date.parse((await endOf())!)).toBe(first + 60_000)
      await expect.poll(() => channel.stats?.()).toEqual({ resends: 1, resendFailures: 0, notKept: 0 })
      await channel.send(notification([alert('disk-full', 'resolved')]), context('n4'))
      expect(await endOf()).toBeUndefined()
    } finally {
      await channel.close?.()
    }
  })

  it('should keep alive at once the firing alerts a restarted engine hands over', async () => {
    const channel = createAlertmanagerChannel(
      { type: 'alertmanager', url: base },
      { clock: systemClock, logger: noopLogger },
    )
    try {
      channel.resume?.([alert('queue-stuck', 'firing', 'worker')])
      const deadline = Date.now() + 10_000
      let shown: AlertmanagerAlert[] = []
      while (Date.now() < deadline) {
        shown = (await active()).filter((a) => a.labels.alertname === 'queue-stuck')
        if (shown.length > 0) break
        await new Promise((r) => setTimeout(r, 50))
      }
      expect(shown.map((a) => a.labels.service)).toEqual(['worker'])
    } finally {
      await channel.close?.()
    }
  })

  it('should fail a delivery it cannot make as retryable, without the URL in the error', async () => {
    const channel = createAlertmanagerChannel(
      { type: 'alertmanager', url: 'http://127.0.0.1:1/secret-path', timeout: 1000 },
      { clock: systemClock, logger: noopLogger },
    )
    const result = await channel.send(notification([alert('x', 'firing')]), context('n5'))
    expect(result).toMatchObject({ ok: false, retryable: true })
    expect(JSON.stringify(result)).not.toContain('secret-path')
    await channel.close?.()
  })
})

describe('the alertmanager channel when Alertmanager fails its resends', () => {
  it('should count the resends that failed and the firing alerts it could not keep alive', async () => {
    // An Alertmanager that took the first delivery, then answers 500 to everything.
    let posts = 0
    const server = createServer((req, res) => {
      req.resume()
      req.on('end', () => res.writeHead(posts++ === 0 ? 200 : 500).end())
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const clock = new FakeClock(Date.now())
    const channel = createAlertmanagerChannel(
      {
        type: 'alertmanager',
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        timeout: 1000,
      },
      { clock, logger: noopLogger },
    )
    try {
      expect(await channel.send(notification([alert('disk-full', 'firing')]), context('f1'))).toEqual({
        ok: true,
      })
      await clock.advance(60_000)
      await expect.poll(() => channel.stats?.().resendFailures).toBe(1)
      // A restart hands over more firing alerts than are kept alive: the rest are counted.
      const many = Array.from({ length: MAX_RESENT_ALERTS + 5 }, (_, i) =>
        alert('queue-stuck', 'firing', `w${i}`),
      )
      channel.resume?.(many)
      expect(channel.stats?.()).toMatchObject({ resends: 0, notKept: 6 })
    } finally {
      await channel.close?.()
      server.closeAllConnections()
      await new Promise((r) => server.close(r))
    }
  })
})
