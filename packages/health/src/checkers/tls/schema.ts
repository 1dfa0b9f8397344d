import { z } from 'zod'

/**
 * Options of the `tls` checker: the certificate a TLS server presents on any host and port,
 * its days left, its chain and its names.
 */
export const tlsCheckSchema = z
  .strictObject({
    type: z.literal('tls'),
    /** Host name or address to connect to. */
    host: z.string().min(1),
    /** @default 443 */
    port: z.number().int().min(1).max(65_535).default(443),
    /** Name sent as SNI and checked against the certificate. @default host */
    servername: z.string().min(1).optional(),
    /** Fewer days left than this: `unhealthy`. @default 7 */
    criticalDays: z.number().nonnegative().default(7),
    /** Fewer days left than this: still `healthy`, with a warning in the message and `details.warning`. @default 21 */
    warnDays: z.number().nonnegative().default(21),
    /** Extra trusted CA certificates, PEM (e.g. `${INTERNAL_CA_PEM}` from the environment). */
    ca: z.string().min(1).optional(),
    /** Accept a self-signed certificate (its dates and names are still checked). @default false */
    allowSelfSigned: z.boolean().default(false),
  })
  .refine((o) => o.warnDays >= o.criticalDays, {
    message: 'warnDays must be at least criticalDays',
    path: ['warnDays'],
  })

export type TlsCheckOptions = z.output<typeof tlsCheckSchema>
