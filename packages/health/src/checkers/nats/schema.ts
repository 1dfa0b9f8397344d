import { z } from 'zod'

/** A NATS subject to publish on: dot-separated tokens, no wildcard, no white space. */
const SUBJECT = /^[^\s.*>]+(?:\.[^\s.*>]+)*$/

/** Options of the `nats` checker: connect, authenticate, and a request/reply round trip. */
export const natsCheckSchema = z
  .strictObject({
    type: z.literal('nats'),
    /** Server URL, e.g. `nats://noa:${NATS_PASSWORD}@nats:4222`. Its password never appears in results. */
    url: z.string().regex(/^nats:\/\//, 'expected a nats:// URL'),
    /** User name (or in the URL). */
    user: z.string().min(1).optional(),
    /** Password, from the environment: `${NATS_PASSWORD}`. Never appears in results. */
    password: z.string().min(1).optional(),
    /** Token, from the environment: `${NATS_TOKEN}`, for a server run with `--auth`. Never appears in results. */
    token: z.string().min(1).optional(),
    /**
     * Subject of the request, which the check answers itself; the server must let it
     * publish and subscribe there and on `_INBOX.>`.
     * @default `noa.health.<random>`, a new one per attempt
     */
    subject: z
      .string()
      .regex(SUBJECT, 'expected a subject without wildcards or spaces, e.g. noa.health')
      .optional(),
  })
  .refine((o) => o.token === undefined || (o.user === undefined && o.password === undefined), {
    message: 'give a token or a user and password, not both',
    path: ['token'],
  })

export type NatsCheckOptions = z.output<typeof natsCheckSchema>
