/**
 * Snappy block format (https://github.com/google/snappy/blob/main/format_description.txt):
 * the uncompressed length as a varint, then literal and copy elements. The compressor is the
 * reference one's greedy matcher: a hash table of 4-byte sequences per 64 KiB fragment, and a
 * lookup stride that grows over incompressible input so random data costs little time.
 */

const BLOCK = 1 << 16
const MAX_TABLE = 1 << 14
/** Bytes at the end of a fragment never looked up: a match needs 4, and the loop reads 8. */
const INPUT_MARGIN = 15
const MIN_BLOCK = 1 + 1 + INPUT_MARGIN

const TAG_LITERAL = 0
const TAG_COPY1 = 1
const TAG_COPY2 = 2

/** The largest output a compressed `length` bytes can need (the reference's bound). */
export function snappyMaxCompressedLength(length: number): number {
  return 32 + length + Math.floor(length / 6)
}

/**
 * Compresses `input` into one snappy block (not the framed stream format), as Prometheus
 * remote write expects.
 *
 * @example
 * ```ts
 * const body = snappyCompress(encodeWriteRequest(series))
 * ```
 */
export function snappyCompress(input: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(snappyMaxCompressedLength(input.length))
  let d = putVarint(out, 0, input.length)
  const table = new Uint16Array(MAX_TABLE)
  for (let start = 0; start < input.length; start += BLOCK) {
    const end = Math.min(input.length, start + BLOCK)
    d =
      end - start < MIN_BLOCK
        ? emitLiteral(out, d, input, start, end)
        : compressFragment(input, start, end, out, d, table)
  }
  return out.slice(0, d)
}

function putVarint(out: Uint8Array, at: number, value: number): number {
  while (value >= 128) {
    out[at++] = (value & 127) | 128
    value >>>= 7
  }
  out[at++] = value
  return at
}

const load32 = (b: Uint8Array, i: number): number =>
  (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0

const hash = (u: number, shift: number): number => Math.imul(u, 0x1e35a7bd) >>> shift

/** One fragment of at most 64 KiB: offsets in the table are relative to its start. */
function compressFragment(
  src: Uint8Array,
  base: number,
  end: number,
  out: Uint8Array,
  d: number,
  table: Uint16Array,
): number {
  const length = end - base
  let shift = 32 - 8
  let tableSize = 1 << 8
  while (tableSize < MAX_TABLE && tableSize < length) {
    tableSize <<= 1
    shift--
  }
  table.fill(0, 0, tableSize)
  const at = (i: number) => load32(src, base + i)
  const sLimit = length - INPUT_MARGIN
  let nextEmit = 0
  let s = 1
  let nextHash = hash(at(s), shift)
  outer: for (;;) {
    // The stride grows by one every 32 misses: incompressible input is skipped quickly.
    let skip = 32
    let nextS = s
    let candidate = 0
    for (;;) {
      s = nextS
      const step = skip >> 5
      nextS = s + step
      skip += step
      if (nextS > sLimit) break outer
      candidate = table[nextHash]!
      table[nextHash] = s
      nextHash = hash(at(nextS), shift)
      if (at(s) === at(candidate)) break
    }
    d = emitLiteral(out, d, src, base + nextEmit, base + s)
    for (;;) {
      const matchStart = s
      s += 4
      for (let i = candidate + 4; s < length && src[base + i] === src[base + s]; i++, s++);
      d = emitCopy(out, d, matchStart - candidate, s - matchStart)
      nextEmit = s
      if (s >= sLimit) break outer
      // Hash the two positions before the cursor, and try an immediate next match.
      table[hash(at(s - 1), shift)] = s - 1
      const current = hash(at(s), shift)
      candidate = table[current]!
      table[current] = s
      if (at(s) !== at(candidate)) {
        nextHash = hash(at(s + 1), shift)
        s++
        break
      }
    }
  }
  return nextEmit < length ? emitLiteral(out, d, src, base + nextEmit, end) : d
}

function emitLiteral(out: Uint8Array, d: number, src: Uint8Array, from: number, to: number): number {
  const n = to - from - 1
  if (n < 0) return d
  if (n < 60) out[d++] = (n << 2) | TAG_LITERAL
  else if (n < 1 << 8) {
    out[d++] = (60 << 2) | TAG_LITERAL
    out[d++] = n
  } else if (n < 1 << 16) {
    out[d++] = (61 << 2) | TAG_LITERAL
    out[d++] = n & 0xff
    out[d++] = n >>> 8
  } else {
    // Not reached from the compressor (fragments are 64 KiB), kept for the format's sake.
    out[d++] = (62 << 2) | TAG_LITERAL
    out[d++] = n & 0xff
    out[d++] = (n >>> 8) & 0xff
    out[d++] = n >>> 16
  }
  out.set(src.subarray(from, to), d)
  return d + (to - from)
}

function emitCopy(out: Uint8Array, d: number, offset: number, length: number): number {
  // A copy-2 holds at most 64 bytes; the last one keeps at least 4 so that it can be a copy-1.
  while (length >= 68) {
    out[d++] = (63 << 2) | TAG_COPY2
    out[d++] = offset & 0xff
    out[d++] = offset >>> 8
    length -= 64
  }
  if (length > 64) {
    out[d++] = (59 << 2) | TAG_COPY2
    out[d++] = offset & 0xff
    out[d++] = offset >>> 8
    length -= 60
  }
  if (length >= 12 || offset >= 2048) {
    out[d++] = ((length - 1) << 2) | TAG_COPY2
    out[d++] = offset & 0xff
    out[d++] = offset >>> 8
    return d
  }
  out[d++] = ((offset >>> 8) << 5) | ((length - 4) << 2) | TAG_COPY1
  out[d++] = offset & 0xff
  return d
}

/** Options of {@link snappyDecompress}. */
export interface SnappyDecompressOptions {
  /** Largest uncompressed length accepted, bytes: a 10-byte block can claim 4 GiB. @default 67108864 (64 MiB) */
  maxLength?: number
}

/**
 * Decompresses one snappy block. Throws on a corrupt block (an offset before the start, a
 * length that does not add up) or one that claims more than `maxLength` bytes.
 */
export function snappyDecompress(input: Uint8Array, options: SnappyDecompressOptions = {}): Uint8Array {
  const maxLength = options.maxLength ?? 64 * 1024 * 1024
  let i = 0
  let length = 0
  for (let shift = 0; ; shift += 7) {
    if (i >= input.length || shift > 28) throw new Error('snappy: bad length varint')
    const b = input[i++]!
    length += (b & 127) * 2 ** shift
    if (b < 128) break
  }
  if (length > maxLength) throw new Error(`snappy: block of ${length} bytes, over ${maxLength}`)
  const out = new Uint8Array(length)
  let d = 0
  const need = (n: number) => {
    if (i + n > input.length) throw new Error('snappy: truncated block')
  }
  while (i < input.length) {
    const tag = input[i++]!
    const kind = tag & 3
    if (kind === TAG_LITERAL) {
      let n = tag >>> 2
      if (n >= 60) {
        const bytes = n - 59
        need(bytes)
        n = 0
        for (let k = 0; k < bytes; k++) n += input[i++]! * 2 ** (8 * k)
      }
      n += 1
      need(n)
      if (d + n > length) throw new Error('snappy: literal past the declared length')
      out.set(input.subarray(i, i + n), d)
      i += n
      d += n
      continue
    }
    let n: number
    let offset: number
    if (kind === TAG_COPY1) {
      need(1)
      n = 4 + ((tag >>> 2) & 7)
      offset = ((tag >>> 5) << 8) | input[i++]!
    } else if (kind === TAG_COPY2) {
      need(2)
      n = 1 + (tag >>> 2)
      offset = input[i]! | (input[i + 1]! << 8)
      i += 2
    } else {
      // A copy-4 (tag 3): written by encoders of blocks over 64 KiB of history.
      need(4)
      n = 1 + (tag >>> 2)
      offset = load32(input, i)
      i += 4
    }
    if (offset === 0 || offset > d) throw new Error(`snappy: copy offset ${offset} at ${d}`)
    if (d + n > length) throw new Error('snappy: copy past the declared length')
    // Byte by byte: a copy may overlap what it writes (offset < length repeats a pattern).
    for (let k = 0; k < n; k++, d++) out[d] = out[d - offset]!
  }
  if (d !== length) throw new Error(`snappy: ${d} bytes decoded, ${length} declared`)
  return out
}
