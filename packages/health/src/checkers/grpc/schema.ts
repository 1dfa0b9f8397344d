import { z } from 'zod'

/** Options of the `grpc` checker: the standard health service, grpc.health.v1.Health/Check. */
export const grpcCheckSchema = z.strictObject({
  type: z.literal('grpc'),
  /** Host name or address. */
  host: z.string().min(1),
  /** Port, 1-65535. */
  port: z.number().int().min(1).max(65_535),
  /** The service name asked about; '' asks about the server as a whole. @default '' */
  service: z.string().default(''),
  /** Connect over TLS (h2), verifying the server's certificate. @default false (h2c, plain text) */
  tls: z.boolean().default(false),
  /** Extra trusted CA certificates for `tls`, PEM. */
  ca: z.string().min(1).optional(),
})

export type GrpcCheckOptions = z.output<typeof grpcCheckSchema>
