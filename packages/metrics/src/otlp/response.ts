import { ProtoReader, WIRE } from '../remote-write/protobuf.ts'
import type { OtlpEncoding } from './model.ts'

/** Longest answer body read: a success answer is a few bytes; an error text is not kept whole. */
export const MAX_RESPONSE_BYTES = 64 * 1024

/** What a collector's success answer may say: some points were refused (OTLP partial success). */
export interface PartialSuccess {
  rejectedDataPoints: number
  errorMessage: string
}

/**
 * Reads an `ExportMetricsServiceResponse` (partial_success = 1 { rejected_data_points = 1,
 * error_message = 2 }) in the encoding of the request. An empty or unreadable body is a full
 * success: the status code already said so.
 */
export function partialSuccessOf(body: Uint8Array, encoding: OtlpEncoding): PartialSuccess | undefined {
  if (body.length === 0) return undefined
  try {
    return encoding === 'json' ? fromJson(body) : fromProtobuf(body)
  } catch {
    return undefined
  }
}

function fromJson(body: Uint8Array): PartialSuccess | undefined {
  const answer = JSON.parse(new TextDecoder().decode(body)) as {
    partialSuccess?: { rejectedDataPoints?: string | number; errorMessage?: string }
  }
  const partial = answer?.partialSuccess
  if (!partial) return undefined
  const rejected = Number(partial.rejectedDataPoints ?? 0)
  const errorMessage = typeof partial.errorMessage === 'string' ? partial.errorMessage : ''
  return rejected > 0 || errorMessage ? { rejectedDataPoints: rejected, errorMessage } : undefined
}

function fromProtobuf(body: Uint8Array): PartialSuccess | undefined {
  const reader = new ProtoReader(body)
  while (!reader.done) {
    const { field, wire } = reader.tag()
    if (field !== 1 || wire !== WIRE.bytes) {
      reader.skip(wire)
      continue
    }
    const partial = reader.sub()
    let rejectedDataPoints = 0
    let errorMessage = ''
    while (!partial.done) {
      const inner = partial.tag()
      if (inner.field === 1 && inner.wire === WIRE.varint) rejectedDataPoints = partial.varint()
      else if (inner.field === 2 && inner.wire === WIRE.bytes) errorMessage = partial.string()
      else partial.skip(inner.wire)
    }
    return rejectedDataPoints > 0 || errorMessage ? { rejectedDataPoints, errorMessage } : undefined
  }
  return undefined
}
