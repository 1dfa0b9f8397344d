import { z } from 'zod'
import type { Channel, ChannelDeps } from '../../channel.ts'
import { parseChannelOptions } from '../../options.ts'
import { httpOptionsSchema, postJson, secretUrl } from './transport.ts'

/** Options of the webhook channel. */
export const webhookOptionsSchema = z.strictObject({
  type: z.literal('webhook'),
  /** Receiver URL (a secret: pass it from the environment). */
  url: secretUrl,
  /** When set, each request carries `X-Noa-Signature: sha256=<HMAC-SHA256 of the body>`. */
  secret: z.string().min(8, 'a signing secret has at least 8 characters').optional(),
  /** Extra headers, such as `authorization`; their values are treated as secrets. */
  headers: z.record(z.string(), z.string()).default({}),
  ...httpOptionsSchema,
})

export type WebhookOptions = z.input<typeof webhookOptionsSchema>

/**
 * Posts each notification as JSON (Alertmanager webhook version 4: `status`, `alerts[]`
 * with `fingerprint`, labels, annotations...) with an `Idempotency-Key` header.
 *
 * @example
 * ```ts
 * const channel = createWebhookChannel({ type: 'webhook', url: process.env.ALERT_WEBHOOK_URL, secret })
 * ```
 */
export function createWebhookChannel(options: unknown, deps: ChannelDeps, path = 'channel'): Channel {
  const o = parseChannelOptions(webhookOptionsSchema, options, path)
  return {
    type: 'webhook',
    secrets: [o.url, ...(o.secret ? [o.secret] : []), ...Object.values(o.headers)],
    send: (notification, context) =>
      postJson(
        {
          url: o.url,
          body: JSON.stringify(notification),
          headers: o.headers,
          secret: o.secret,
          timeout: o.timeout,
          followRedirects: o.followRedirects,
          maxRedirects: o.maxRedirects,
          clock: deps.clock,
        },
        context,
      ),
  }
}
