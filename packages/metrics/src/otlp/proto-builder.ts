import { varintSize, WIRE } from '../remote-write/protobuf.ts'

const encoder = new TextEncoder()

/**
 * A protobuf writer that grows as it goes, for messages nested several levels deep (OTLP): a
 * nested message is written in place and its length put in front afterwards (moving its bytes
 * only when the length takes more than one byte), instead of a size pass over the whole tree.
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
    this.#tag(field, WIRE.bytes)
    const n = value.length
    // Most strings here are short ASCII (names, label values): written byte by byte, no copy.
    if (n < 128) {
      this.#room(n + 1)
      const at = this.#at
      let i = 0
      for (; i < n; i++) {
        const c = value.charCodeAt(i)
        if (c >= 128) break
        this.#bytes[at + 1 + i] = c
      }
      if (i === n) {
        this.#bytes[at] = n
        this.#at = at + 1 + n
        return
      }
    }
    const bytes = encoder.encode(value)
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

  /**
   * Opens a nested message field; what is written until {@link end} is its content. One byte
   * is kept for the length, which fits most messages here (a data point, an attribute); a longer
   * one is moved by the few more bytes its length needs.
   */
  begin(field: number): number {
    this.#tag(field, WIRE.bytes)
    this.#room(1)
    return this.#at++
  }

  /** Closes the nested message opened at `start` (what {@link begin} returned). */
  end(start: number): void {
    const length = this.#at - start - 1
    if (length < 128) {
      this.#bytes[start] = length
      return
    }
    const extra = varintSize(length) - 1
    this.#room(extra)
    this.#bytes.copyWithin(start + 1 + extra, start + 1, this.#at)
    const end = this.#at + extra
    this.#at = start
    this.#varint(length)
    this.#at = end
  }

  /** The bytes written, in a buffer of their exact size. */
  finish(): Uint8Array<ArrayBuffer> {
    return this.#bytes.slice(0, this.#at)
  }
}
