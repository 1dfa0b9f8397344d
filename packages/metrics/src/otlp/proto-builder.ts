import { varintSize, WIRE } from '../remote-write/protobuf.ts'

const encoder = new TextEncoder()

/**
 * A protobuf writer that grows as it goes, for messages nested several levels deep (OTLP): a
 * nested message is written in place and its length put in front afterwards, one move of its
 * bytes instead of a size pass over the whole tree.
 */
export class ProtoBuilder {
  #bytes = new Uint8Array(4096)
  #view = new DataView(this.#bytes.buffer)
  #at = 0

  #room(n: number): void {
    if (this.#at + n <= this.#bytes.length) return
    let size = this.#bytes.length * 2
    while (size < this.#at + n) size *= 2
    const bigger = new Uint8Array(size)
    bigger.set(this.#bytes.subarray(0, this.#at))
    this.#bytes = bigger
    this.#view = new DataView(bigger.buffer)
  }

  #varint(value: number): void {
    this.#room(10)
    while (value >= 128) {
      this.#bytes[this.#at++] = (value % 128) | 128
      value = Math.floor(value / 128)
    }
    this.#bytes[this.#at++] = value
  }

  #tag(field: number, wire: number): void {
    this.#varint(field * 8 + wire)
  }

  /** A non-negative integer field (uint32, int32 enum, bool as 0/1, int64 up to 2^53). */
  uint(field: number, value: number): void {
    this.#tag(field, WIRE.varint)
    this.#varint(value)
  }

  bool(field: number, value: boolean): void {
    this.uint(field, value ? 1 : 0)
  }

  double(field: number, value: number): void {
    this.#tag(field, WIRE.fixed64)
    this.#room(8)
    this.#view.setFloat64(this.#at, value, true)
    this.#at += 8
  }

  /** A fixed64 field: nanosecond times and counts. */
  fixed64(field: number, value: bigint): void {
    this.#tag(field, WIRE.fixed64)
    this.#room(8)
    this.#view.setBigUint64(this.#at, value, true)
    this.#at += 8
  }

  string(field: number, value: string): void {
    const bytes = encoder.encode(value)
    this.#tag(field, WIRE.bytes)
    this.#varint(bytes.length)
    this.#room(bytes.length)
    this.#bytes.set(bytes, this.#at)
    this.#at += bytes.length
  }

  /** A packed repeated double field (explicit bounds). */
  packedDoubles(field: number, values: readonly number[]): void {
    if (values.length === 0) return
    this.#tag(field, WIRE.bytes)
    this.#varint(values.length * 8)
    this.#room(values.length * 8)
    for (const v of values) {
      this.#view.setFloat64(this.#at, v, true)
      this.#at += 8
    }
  }

  /** A packed repeated fixed64 field (bucket counts). */
  packedFixed64(field: number, values: readonly number[]): void {
    if (values.length === 0) return
    this.#tag(field, WIRE.bytes)
    this.#varint(values.length * 8)
    this.#room(values.length * 8)
    for (const v of values) {
      this.#view.setBigUint64(this.#at, BigInt(v), true)
      this.#at += 8
    }
  }

  /** A nested message field, whatever `write` puts in it. */
  message(field: number, write: () => void): void {
    this.#tag(field, WIRE.bytes)
    const start = this.#at
    write()
    const length = this.#at - start
    const prefix = varintSize(length)
    this.#room(prefix)
    this.#bytes.copyWithin(start + prefix, start, this.#at)
    const end = this.#at + prefix
    this.#at = start
    this.#varint(length)
    this.#at = end
  }

  /** The bytes written, in a buffer of their exact size. */
  finish(): Uint8Array<ArrayBuffer> {
    return this.#bytes.slice(0, this.#at)
  }
}
