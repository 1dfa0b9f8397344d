/**
 * The few protobuf wire-format pieces a WriteRequest needs: varints, length-delimited fields
 * and little-endian doubles. Sizes are computed first, so a request is written into one buffer
 * of the exact size, without a copy per nested message.
 */

/** Wire types of the fields a WriteRequest uses. */
export const WIRE = { varint: 0, fixed64: 1, bytes: 2 } as const

/** Bytes of the varint of a non-negative integer up to 2^53 - 1, or of a negative int64 (10). */
export function varintSize(value: number): number {
  if (value < 0) return 10
  let size = 1
  while (value >= 128) {
    value = Math.floor(value / 128)
    size++
  }
  return size
}

/** A buffer of known size, written front to back. */
export class ProtoWriter {
  readonly bytes: Uint8Array<ArrayBuffer>
  readonly #view: DataView
  #at = 0

  constructor(size: number) {
    this.bytes = new Uint8Array(size)
    this.#view = new DataView(this.bytes.buffer)
  }

  get position(): number {
    return this.#at
  }

  tag(field: number, wire: number): void {
    this.varint(field * 8 + wire)
  }

  /** An int64 as a varint: a negative one as its 64-bit two's complement, as protobuf does. */
  varint(value: number): void {
    if (value < 0) {
      let big = BigInt.asUintN(64, BigInt(Math.trunc(value)))
      while (big >= 128n) {
        this.bytes[this.#at++] = Number(big & 127n) | 128
        big >>= 7n
      }
      this.bytes[this.#at++] = Number(big)
      return
    }
    // Division, not >>>: timestamps in ms are past 2^32.
    while (value >= 128) {
      this.bytes[this.#at++] = (value % 128) | 128
      value = Math.floor(value / 128)
    }
    this.bytes[this.#at++] = value
  }

  double(value: number): void {
    this.#view.setFloat64(this.#at, value, true)
    this.#at += 8
  }

  raw(bytes: Uint8Array): void {
    this.bytes.set(bytes, this.#at)
    this.#at += bytes.length
  }
}

/** Reads the wire format back (tests, and receivers built on noa). Throws on a malformed buffer. */
export class ProtoReader {
  readonly #bytes: Uint8Array
  readonly #view: DataView
  #at: number
  readonly #end: number

  constructor(bytes: Uint8Array, start = 0, end = bytes.length) {
    this.#bytes = bytes
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.#at = start
    this.#end = end
  }

  get done(): boolean {
    return this.#at >= this.#end
  }

  /** The next field's number and wire type. */
  tag(): { field: number; wire: number } {
    const key = this.varint()
    return { field: Math.floor(key / 8), wire: key % 8 }
  }

  /** A varint as a number; an int64 above 2^63 (a negative one) comes back negative. */
  varint(): number {
    let result = 0n
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.#at >= this.#end) throw new Error('truncated varint')
      const b = this.#bytes[this.#at++]!
      result |= BigInt(b & 127) << shift
      if (b < 128) return Number(BigInt.asIntN(64, result))
    }
    throw new Error('varint longer than 10 bytes')
  }

  double(): number {
    if (this.#at + 8 > this.#end) throw new Error('truncated double')
    const v = this.#view.getFloat64(this.#at, true)
    this.#at += 8
    return v
  }

  /** A length-delimited field as a reader of its own bytes. */
  sub(): ProtoReader {
    const length = this.varint()
    if (length < 0 || this.#at + length > this.#end) throw new Error('length-delimited field past the end')
    const reader = new ProtoReader(this.#bytes, this.#at, this.#at + length)
    this.#at += length
    return reader
  }

  string(): string {
    const length = this.varint()
    if (length < 0 || this.#at + length > this.#end) throw new Error('string past the end')
    const text = new TextDecoder('utf-8', { fatal: true }).decode(
      this.#bytes.subarray(this.#at, this.#at + length),
    )
    this.#at += length
    return text
  }

  /** Skips a field of an unknown number, as protobuf readers must. */
  skip(wire: number): void {
    if (wire === WIRE.varint) this.varint()
    else if (wire === WIRE.fixed64) this.#at += 8
    else if (wire === WIRE.bytes) this.sub()
    else if (wire === 5) this.#at += 4
    else throw new Error(`unsupported wire type ${wire}`)
    if (this.#at > this.#end) throw new Error('field past the end')
  }
}
