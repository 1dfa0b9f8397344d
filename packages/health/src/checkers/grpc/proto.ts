/**
 * The two messages of grpc.health.v1, encoded by hand (no protobuf runtime for two fields):
 * `HealthCheckRequest { string service = 1; }` and
 * `HealthCheckResponse { ServingStatus status = 1; }`, and gRPC's message framing.
 */

/** grpc.health.v1.HealthCheckResponse.ServingStatus, by number. */
export const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'] as const

/** The Check method's path. */
export const HEALTH_CHECK_PATH = '/grpc.health.v1.Health/Check'

function varint(value: number): number[] {
  const bytes: number[] = []
  let v = value
  while (v > 0x7f) {
    bytes.push((v & 0x7f) | 0x80)
    v >>>= 7
  }
  bytes.push(v)
  return bytes
}

/** Reads a varint at `offset`: its value and the next offset, or undefined if cut short. */
function readVarint(buf: Uint8Array, offset: number): [number, number] | undefined {
  let value = 0
  let shift = 0
  for (let at = offset; at < buf.length && shift < 35; at++) {
    const byte = buf[at]!
    value += (byte & 0x7f) * 2 ** shift
    if ((byte & 0x80) === 0) return [value, at + 1]
    shift += 7
  }
  return undefined
}

/** A string field, tag `field`, wire type 2; nothing for '' (proto3 leaves defaults out). */
function stringField(field: number, text: string): Buffer {
  if (text === '') return Buffer.alloc(0)
  const bytes = Buffer.from(text, 'utf8')
  return Buffer.concat([Buffer.from([(field << 3) | 2, ...varint(bytes.length)]), bytes])
}

/** Reads field 1 as a varint, skipping other fields; 0 (the default) when absent; undefined if malformed. */
function varintField1(buf: Uint8Array): number | undefined {
  let at = 0
  let found = 0
  while (at < buf.length) {
    const key = readVarint(buf, at)
    if (!key) return undefined
    const [tag, next] = key
    const wire = tag & 7
    at = next
    if (wire === 0) {
      const value = readVarint(buf, at)
      if (!value) return undefined
      if (tag >>> 3 === 1) found = value[0]
      at = value[1]
    } else if (wire === 2) {
      const length = readVarint(buf, at)
      if (!length) return undefined
      at = length[1] + length[0]
    } else if (wire === 1) at += 8
    else if (wire === 5) at += 4
    else return undefined
  }
  return at === buf.length ? found : undefined
}

export const encodeHealthRequest = (service: string): Buffer => stringField(1, service)
export const decodeHealthRequest = (buf: Uint8Array): string => {
  // The only field is the string; parsed enough for the test server.
  if (buf.length === 0) return ''
  const length = readVarint(buf, 1)
  return length ? Buffer.from(buf).toString('utf8', length[1], length[1] + length[0]) : ''
}
export const encodeHealthResponse = (status: number): Buffer =>
  status === 0 ? Buffer.alloc(0) : Buffer.from([0x08, ...varint(status)])
/** The status number of a response message, or undefined if it is not one. */
export const decodeHealthResponse = (buf: Uint8Array): number | undefined => varintField1(buf)

/** A message in gRPC's length-prefixed framing, uncompressed. */
export function frame(message: Buffer): Buffer {
  const head = Buffer.alloc(5)
  head.writeUInt32BE(message.length, 1)
  return Buffer.concat([head, message])
}

/** The first message of a gRPC body, or a reason it is not one. */
export function unframe(body: Buffer): Buffer | string {
  if (body.length < 5) return 'no message in the answer'
  if (body[0] !== 0) return 'compressed answer (not asked for)'
  const length = body.readUInt32BE(1)
  if (body.length < 5 + length) return 'answer cut short'
  return body.subarray(5, 5 + length)
}
