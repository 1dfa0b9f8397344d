import { z } from 'zod'

/** Options of the `tcp` checker: connect, and optionally send a line and expect text back. */
export const tcpCheckSchema = z
  .strictObject({
    type: z.literal('tcp'),
    /** Host name or address. */
    host: z.string().min(1),
    /** Port, 1-65535. */
    port: z.number().int().min(1).max(65_535),
    /** Text written after connecting (send `\r\n` yourself if the protocol needs it). */
    send: z.string().optional(),
    /** Text the answer must contain; reading stops as soon as it appears. */
    expect: z.string().min(1).optional(),
    /** Answer bytes read at most while waiting for `expect`. @default 65536 */
    maxBytes: z.number().int().positive().default(65_536),
  })
  .refine((o) => o.send === undefined || o.expect !== undefined, {
    message: 'send needs expect (what the answer must contain)',
    path: ['expect'],
  })

export type TcpCheckOptions = z.output<typeof tcpCheckSchema>
