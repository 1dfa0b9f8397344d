import type { Notification } from '../channel.ts'

/** A notification with one firing and one resolved alert, for channel tests. */
export const sampleNotification: Notification = {
  version: '4',
  groupKey: '{}',
  truncatedAlerts: 0,
  status: 'firing',
  receiver: 'ops',
  groupLabels: {},
  commonLabels: { severity: 'critical' },
  commonAnnotations: {},
  externalURL: '',
  alerts: [
    {
      status: 'firing',
      labels: { alertname: 'service-down', severity: 'critical', service: 'api' },
      annotations: { summary: 'Service api is down' },
      startsAt: '2025-10-22T22:00:00.000Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: '',
      fingerprint: 'aaaaaaaaaaaaaaaa',
    },
    {
      status: 'resolved',
      labels: { alertname: 'cpu-overload', severity: 'warning' },
      annotations: { description: 'CPU usage is above 90 %' },
      startsAt: '2025-10-22T21:00:00.000Z',
      endsAt: '2025-10-22T21:30:00.000Z',
      generatorURL: '',
      fingerprint: 'bbbbbbbbbbbbbbbb',
      value: 0.93,
    },
  ],
}
