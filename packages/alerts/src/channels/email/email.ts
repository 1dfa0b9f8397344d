import { ConfigError, errorMessage } from '@noa/core'
import { z } from 'zod'
import type { Channel, ChannelDeps, Notification } from '../../channel.ts'
import { alertTitle, headline } from '../../channel.ts'
import { parseChannelOptions } from '../../options.ts'
import type { Template } from '../../template.ts'
import { compileTemplate, TemplateFieldError } from '../../template.ts'

/** Fields a subject template may use. */
export const SUBJECT_FIELDS = ['status', 'count', 'alertnames', 'severity', 'receiver', 'headline'] as const

/** Options of the email channel (SMTP through nodemailer). */
export const emailOptionsSchema = z.strictObject({
  type: z.literal('email'),
  host: z.string().min(1),
  /** @default 587 */
  port: z.number().int().min(1).max(65535).default(587),
  /** TLS from the first byte (port 465); otherwise STARTTLS when offered. @default false */
  secure: z.boolean().default(false),
  /** SMTP user and password (a secret: pass it from the environment). */
  user: z.string().optional(),
  password: z.string().optional(),
  from: z.string().min(1),
  /** Recipients, e.g. the seed's `["admin@example.com"]`. */
  recipients: z.array(z.email()).min(1),
  /** @default '[{{ status }}] {{ count }} alert(s): {{ alertnames }}' */
  subject: z.string().default('[{{ status }}] {{ count }} alert(s): {{ alertnames }}'),
  /** Connection and socket time limit in ms. @default 10000 */
  timeout: z.number().int().positive().default(10_000),
  /** Refuse self-signed certificates. @default true */
  rejectUnauthorized: z.boolean().default(true),
})

export type EmailOptions = z.input<typeof emailOptionsSchema>

type Transport = { sendMail(message: Record<string, unknown>): Promise<unknown>; close(): void }

/** The plain-text body: one block per alert. */
export function formatEmailText(n: Notification): string {
  const blocks = n.alerts.map((a) =>
    [
      `[${a.status.toUpperCase()}] ${alertTitle(a)} (${a.labels.severity ?? 'none'})`,
      ...(a.annotations.summary ? [a.annotations.summary] : []),
      ...(a.annotations.description ? [a.annotations.description] : []),
      `started: ${a.startsAt}${a.status === 'resolved' ? `, resolved: ${a.endsAt}` : ''}`,
      `labels: ${Object.entries(a.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}`,
      `fingerprint: ${a.fingerprint}`,
    ].join('\n'),
  )
  return `${headline(n)}\n\n${blocks.join('\n\n')}\n`
}

/**
 * Sends each notification as one email over SMTP. nodemailer is loaded on first send, so
 * a program that never uses email never loads it. 5xx SMTP answers are not retried.
 *
 * @example
 * ```ts
 * createEmailChannel({ type: 'email', host: 'smtp.example.com', from: 'noa@example.com',
 *   recipients: ['admin@example.com'], user: 'noa', password: process.env.SMTP_PASSWORD }, deps)
 * ```
 */
export function createEmailChannel(options: unknown, _deps: ChannelDeps, path = 'channel'): Channel {
  const o = parseChannelOptions(emailOptionsSchema, options, path)
  let subject: Template
  try {
    subject = compileTemplate(o.subject, SUBJECT_FIELDS)
  } catch (error) {
    if (error instanceof TemplateFieldError)
      throw new ConfigError([{ path: `${path}.subject`, message: error.message }])
    throw error
  }
  let transport: Promise<Transport> | undefined
  const connect = async (): Promise<Transport> => {
    const mod = await import('nodemailer')
    // Older nodemailer majors are CommonJS: under native ESM their functions sit on `default`.
    const createTransport =
      mod.createTransport ?? (mod as unknown as { default: typeof mod }).default.createTransport
    return createTransport({
      host: o.host,
      port: o.port,
      secure: o.secure,
      auth: o.user ? { user: o.user, pass: o.password ?? '' } : undefined,
      connectionTimeout: o.timeout,
      greetingTimeout: o.timeout,
      socketTimeout: o.timeout,
      tls: { rejectUnauthorized: o.rejectUnauthorized },
    }) as unknown as Transport
  }
  return {
    type: 'email',
    secrets: o.password ? [o.password] : [],
    async send(n, context) {
      try {
        transport ??= connect()
        const t = await transport
        const severities = [...new Set(n.alerts.map((a) => a.labels.severity ?? ''))].filter(Boolean)
        await t.sendMail({
          from: o.from,
          to: o.recipients,
          subject: subject.render({
            status: n.status.toUpperCase(),
            count: n.alerts.length,
            alertnames: [...new Set(n.alerts.map((a) => a.labels.alertname ?? ''))].join(', '),
            severity: severities.join(', '),
            receiver: n.receiver,
            headline: headline(n),
          }),
          text: formatEmailText(n),
          messageId: `<${context.idempotencyKey}@noa.alerts>`,
          headers: { 'X-Noa-Idempotency-Key': context.idempotencyKey },
        })
        return { ok: true }
      } catch (error) {
        transport = undefined
        const code = (error as { responseCode?: unknown }).responseCode
        const permanent = typeof code === 'number' && code >= 500
        return {
          ok: false,
          retryable: !permanent,
          error: `smtp: ${errorMessage(error).replaceAll(o.password || '\u0000', '[redacted]')}`,
        }
      }
    },
    async close() {
      if (transport) (await transport).close()
    },
  }
}
