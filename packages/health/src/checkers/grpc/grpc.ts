import http2 from 'node:http2'
import net from 'node:net'
import type { Checker, CheckOutcome } from '../../checker.ts'
import { errorOutcome, settleOnce } from '../../checker.ts'
import {
  decodeHealthResponse,
  encodeHealthRequest,
  frame,
  HEALTH_CHECK_PATH,
  SERVING_STATUS,
  unframe,
} from './proto.ts'
import type { GrpcCheckOptions } from './schema.ts'

/** gRPC status codes by number, for messages. */
const GRPC_CODES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
]
/** Codes that mean "no answer now": another attempt may get one. */
const RETRY_CODES = new Set([4, 14])
/** The answer's body is read up to this: a health answer is a few bytes. */
const MAX_BODY = 64 * 1024

/**
 * The `grpc` checker: one call of grpc.health.v1.Health/Check over node:http2 (h2c, or h2 over
 * TLS with `tls`), on a connection of its own closed after the call and on abort. No gRPC
 * library: the call is a POST with a 5-byte framed message, and both messages have one field
 * (see proto.ts), so there is nothing to load and nothing for users to install.
 * `SERVING` is `healthy`; `NOT_SERVING`, `UNKNOWN`, `SERVICE_UNKNOWN`, an unknown service
 * (NOT_FOUND) or no health service (UNIMPLEMENTED) is `unhealthy` with the status;
 * UNAVAILABLE, DEADLINE_EXCEEDED and no connection are `error`.
 *
 * @example
 * ```ts
 * await createGrpcChecker().run(grpcCheckSchema.parse({ type: 'grpc', host: '127.0.0.1', port: 50051 }),
 *   { signal, clock: systemClock })
 * ```
 */
export function createGrpcChecker(): Checker<GrpcCheckOptions> {
  return {
    run(target, { signal, clock }) {
      if (signal.aborted) return Promise.resolve(errorOutcome(signal.reason, signal))
      return new Promise<CheckOutcome>((resolve) => {
        const started = clock.monotonic()
        const host = net.isIPv6(target.host) ? `[${target.host}]` : target.host
        const session = http2.connect(`${target.tls ? 'https' : 'http'}://${host}:${target.port}`, {
          ...(target.ca === undefined ? {} : { ca: target.ca }),
        })
        const finish = settleOnce(session, signal, resolve)
        session.on('error', (error) => finish(errorOutcome(error)))
        session.on('close', () =>
          finish({ state: 'error', message: 'connection closed before an answer', retryable: true }),
        )

        const call = session.request({
          ':method': 'POST',
          ':path': HEALTH_CHECK_PATH,
          'content-type': 'application/grpc',
          te: 'trailers',
        })
        const chunks: Buffer[] = []
        let bytes = 0
        let httpStatus = 0
        let grpcStatus: string | undefined
        let grpcMessage: string | undefined
        const take = (headers: http2.IncomingHttpHeaders) => {
          if (headers['grpc-status'] !== undefined) grpcStatus = String(headers['grpc-status'])
          if (headers['grpc-message'] !== undefined)
            grpcMessage = decodeMessage(String(headers['grpc-message']))
        }
        call.on('response', (headers) => {
          httpStatus = Number(headers[':status'])
          // A trailers-only answer (an error) carries its status in the headers.
          take(headers)
        })
        call.on('trailers', take)
        call.on('data', (chunk: Buffer) => {
          bytes += chunk.length
          if (bytes <= MAX_BODY) chunks.push(chunk)
        })
        call.on('error', (error) => finish(errorOutcome(error)))
        call.on('end', () => {
          const responseTimeMs = Math.round((clock.monotonic() - started) * 100) / 100
          finish(judge(target, httpStatus, grpcStatus, grpcMessage, Buffer.concat(chunks), responseTimeMs))
        })
        call.end(frame(encodeHealthRequest(target.service)))
      })
    },
  }
}

/** grpc-message is percent-encoded. */
function decodeMessage(text: string): string {
  try {
    return decodeURIComponent(text).slice(0, 200)
  } catch {
    return text.slice(0, 200)
  }
}

function judge(
  target: GrpcCheckOptions,
  httpStatus: number,
  grpcStatus: string | undefined,
  grpcMessage: string | undefined,
  body: Buffer,
  responseTimeMs: number,
): CheckOutcome {
  const about = target.service === '' ? 'the server' : `service ${JSON.stringify(target.service)}`
  const details: Record<string, unknown> = { responseTimeMs }
  // The stream ended with no headers at all: the server said nothing (a TLS port spoken to in plain text).
  if (httpStatus === 0)
    return { state: 'error', message: 'the stream ended without an answer', details, retryable: true }
  if (httpStatus !== 200 || grpcStatus === undefined)
    return {
      state: 'unhealthy',
      message: `not a gRPC answer (HTTP status ${httpStatus}${grpcStatus === undefined ? ', no grpc-status' : ''})`,
      details: { ...details, httpStatus },
      retryable: false,
    }
  const code = Number(grpcStatus)
  if (code !== 0) {
    const name = GRPC_CODES[code] ?? `code ${grpcStatus}`
    details.grpcStatus = name
    const reason =
      code === 5
        ? `${about} is unknown to the health service`
        : code === 12
          ? 'the server has no grpc.health.v1 health service'
          : `health check failed`
    const message = `${reason}: ${name}${grpcMessage ? ` (${grpcMessage})` : ''}`
    if (RETRY_CODES.has(code)) return { state: 'error', message, details, retryable: true }
    return { state: 'unhealthy', message, details, retryable: false }
  }
  const message = unframe(body)
  const status = typeof message === 'string' ? undefined : decodeHealthResponse(message)
  if (status === undefined)
    return {
      state: 'unhealthy',
      message: `not a health answer: ${typeof message === 'string' ? message : 'malformed message'}`,
      details,
      retryable: false,
    }
  const name = SERVING_STATUS[status] ?? `status ${status}`
  details.status = name
  if (status === 1) return { state: 'healthy', message: `${about} is SERVING`, details }
  return { state: 'unhealthy', message: `${about} is ${name}`, details, retryable: status === 2 }
}
