import { createServer, type Server } from 'node:net'
import { ALERTMANAGER_BIN, startAlertmanager, type TestAlertmanager } from '@noa/alerts/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { freePort, startAgent, type TestAgent, until } from './helpers.ts'

if (!ALERTMANAGER_BIN)
  console.warn(
    'Alertmanager is not installed: the forwarding test is skipped (apt-get install prometheus-alertmanager)',
  )

describe.skipIf(!ALERTMANAGER_BIN)('alerts forwarded to a real Alertmanager', () => {
  let am: TestAlertmanager | undefined
  let t: TestAgent | undefined
  let service: Server | undefined
  afterEach(async () => {
    await t?.close()
    await am?.close()
    await new Promise<void>((r) => (service ? service.close(() => r()) : r()))
    t = am = service = undefined
  })

  it('should show a service-down alert there while the service is down, and resolve it when it is back', async () => {
    am = await startAlertmanager({ groupBy: ['alertname'] })
    const port = await freePort()
    t = await startAgent({
      healthChecks: { interval: 200, timeout: 500, retries: 0 },
      metrics: { enabled: false },
      alerting: {
        groupWait: 0,
        channels: { alertmanager: { enabled: true, url: am.url } },
        rules: [{ name: 'service-down', condition: 'health_check_failed && critical', severity: 'critical' }],
      },
      services: [{ name: 'queue', check: { type: 'tcp', host: '127.0.0.1', port } }],
    })
    const shown = async () =>
      (await am!.active()).filter(
        (a) => a.labels.alertname === 'service-down' && a.labels.service === 'queue',
      )
    await until(async () => (await shown()).length === 1, 15_000, 'the alert in Alertmanager')
    const [alert] = await shown()
    expect(alert?.labels).toMatchObject({ severity: 'critical', service: 'queue' })
    // Firing: it ends a few resend intervals ahead unless noa sends it again.
    expect(Date.parse(alert!.endsAt)).toBeGreaterThan(Date.now())
    const groups = await am.groups()
    expect(groups.find((g) => g.labels.alertname === 'service-down')?.alerts).toHaveLength(1)
    // The channel's resends and their failures are on /metrics, counted from the start.
    const metrics = await (await fetch(`${t.url}/metrics`)).text()
    expect(metrics).toMatch(/^noa_channel_events_total\{channel="alertmanager",event="resendFailures"\} 0$/m)
    expect(metrics).toMatch(/^noa_channel_events_total\{channel="alertmanager",event="resends"\} \d+$/m)

    service = createServer((socket) => socket.end())
    await new Promise<void>((r) => service!.listen(port, '127.0.0.1', r))
    await until(async () => (await shown()).length === 0, 15_000, 'the alert resolved in Alertmanager')
  }, 60_000)
})
