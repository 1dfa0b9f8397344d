import type { AddressInfo } from 'node:net'
import { ConfigError, noopLogger, systemClock } from '@noa/core'
import { SMTPServer } from 'smtp-server'
import { afterEach, describe, expect, it } from 'vitest'
import { sampleNotification } from '../../testing/sample.ts'
import { createEmailChannel } from './email.ts'

const deps = { clock: systemClock, logger: noopLogger }
const ctx = { signal: new AbortController().signal, idempotencyKey: 'ntf_42' }
const PASSWORD = 's3cret-smtp-pa55'

interface Received {
  from: string
  to: string[]
  data: string
}

async function startSmtp(reject?: { code: number; message: string }) {
  const received: Received[] = []
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authOptional: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === 'noa' && auth.password === PASSWORD) callback(null, { user: 'noa' })
      else callback(new Error('Invalid username or password'))
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        if (reject) return callback(Object.assign(new Error(reject.message), { responseCode: reject.code }))
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          data: Buffer.concat(chunks).toString('utf8'),
        })
        callback()
      })
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.server.address() as AddressInfo
  return { server, port, received, close: () => new Promise<void>((r) => server.close(() => r())) }
}

describe('email channel', () => {
  let smtp: Awaited<ReturnType<typeof startSmtp>> | undefined
  afterEach(async () => {
    await smtp?.close()
    smtp = undefined
  })

  const options = (port: number, over: Record<string, unknown> = {}) => ({
    type: 'email',
    host: '127.0.0.1',
    port,
    user: 'noa',
    password: PASSWORD,
    from: 'noa@example.com',
    recipients: ['admin@example.com', 'oncall@example.com'],
    timeout: 5000,
    ...over,
  })

  it('should deliver one email per notification to a real SMTP server', async () => {
    smtp = await startSmtp()
    const channel = createEmailChannel(options(smtp.port), deps)
    expect(await channel.send(sampleNotification, ctx)).toEqual({ ok: true })
    await channel.close?.()
    const [mail] = smtp.received
    expect(mail?.from).toBe('noa@example.com')
    expect(mail?.to).toEqual(['admin@example.com', 'oncall@example.com'])
    const text = mail?.data.replace(/=\r\n/g, '').replace(/\r\n/g, '\n') ?? ''
    expect(text).toContain('Subject: [FIRING] 2 alert(s): service-down, cpu-overload\n')
    expect(text).toContain('Message-ID: <ntf_42@noa.alerts>')
    expect(text).toContain('X-Noa-Idempotency-Key: ntf_42')
    expect(text).toContain(
      [
        '[FIRING:1] service-down, cpu-overload',
        '',
        '[FIRING] service-down (api) (critical)',
        'Service api is down',
        'started: 2025-10-22T22:00:00.000Z',
        'labels: alertname=service-down, severity=critical, service=api',
        'fingerprint: aaaaaaaaaaaaaaaa',
        '',
        '[RESOLVED] cpu-overload (warning)',
        'CPU usage is above 90 %',
        'started: 2025-10-22T21:00:00.000Z, resolved: 2025-10-22T21:30:00.000Z',
      ].join('\n'),
    )
    expect(text).not.toContain(PASSWORD)
  })

  it('should render a custom subject template', async () => {
    smtp = await startSmtp()
    const channel = createEmailChannel(
      options(smtp.port, { subject: 'noa {{ receiver }}: {{ headline }} [{{ severity }}]' }),
      deps,
    )
    expect(await channel.send(sampleNotification, ctx)).toEqual({ ok: true })
    expect(smtp.received[0]?.data).toContain(
      'Subject: noa ops: [FIRING:1] service-down, cpu-overload [critical, warning]',
    )
  })

  it('should not retry a permanent 5xx answer, retry a refused connection, and never show the password', async () => {
    smtp = await startSmtp({ code: 554, message: 'rejected' })
    const channel = createEmailChannel(options(smtp.port), deps)
    const rejected = await channel.send(sampleNotification, ctx)
    expect(rejected).toMatchObject({ ok: false, retryable: false })
    const port = smtp.port
    await smtp.close()
    smtp = undefined
    const refused = await createEmailChannel(options(port), deps).send(sampleNotification, ctx)
    expect(refused).toMatchObject({ ok: false, retryable: true })
    smtp = await startSmtp()
    const badLogin = await createEmailChannel(options(smtp.port, { password: `${PASSWORD}x` }), deps).send(
      sampleNotification,
      ctx,
    )
    expect(badLogin).toMatchObject({ ok: false, retryable: false })
    for (const r of [rejected, refused, badLogin]) expect(JSON.stringify(r)).not.toContain(PASSWORD)
  })

  it('should refuse an unknown subject field and bad recipients at construction', () => {
    expect(() => createEmailChannel(options(25, { subject: '{{ $value }}' }), deps, 'channels.mail')).toThrow(
      new ConfigError([
        {
          path: 'channels.mail.subject',
          message:
            'unknown template field "{{ $value }}"; allowed: {{ status }}, {{ count }}, {{ alertnames }}, {{ severity }}, {{ receiver }}, {{ headline }}',
        },
      ]),
    )
    expect(() =>
      createEmailChannel(options(25, { recipients: [], password: 42 }), deps, 'channels.mail'),
    ).toThrow(
      'channels.mail.password: Invalid input: expected string, received number\nchannels.mail.recipients: Too small: expected array to have >=1 items; found an array',
    )
  })
})
