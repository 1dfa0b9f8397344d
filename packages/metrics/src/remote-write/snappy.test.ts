import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { snappyCompress, snappyDecompress, snappyMaxCompressedLength } from './snappy.ts'

const round = (input: Uint8Array) => snappyDecompress(snappyCompress(input))
const text = (s: string) => new TextEncoder().encode(s)

describe('snappy', () => {
  it('should round-trip empty, tiny and boundary-sized inputs', () => {
    for (const n of [0, 1, 3, 4, 15, 16, 17, 18, 60, 61, 256, 257, 65_535, 65_536, 65_537, 200_000]) {
      const input = randomBytes(n)
      expect(Buffer.from(round(input)).equals(input), `length ${n}`).toBe(true)
    }
  })

  it('should round-trip random data of many shapes, and not grow it past the bound', () => {
    for (let i = 0; i < 200; i++) {
      // Random bytes from a small alphabet, with random repeats: every copy length and offset kind.
      const n = Math.floor(Math.random() * 150_000)
      const alphabet = 1 + Math.floor(Math.random() * 255)
      const input = new Uint8Array(n)
      for (let k = 0; k < n; k++)
        input[k] =
          k > 100 && Math.random() < 0.3
            ? input[k - 1 - Math.floor(Math.random() * 100)]!
            : Math.floor(Math.random() * alphabet)
      const compressed = snappyCompress(input)
      expect(compressed.length).toBeLessThanOrEqual(snappyMaxCompressedLength(n))
      expect(Buffer.from(snappyDecompress(compressed)).equals(Buffer.from(input))).toBe(true)
    }
  })

  it('should compress repetitive input to a fraction of its size with back-references', () => {
    const input = text('noa_service_up{service="api"} 1\n'.repeat(5_000))
    const compressed = snappyCompress(input)
    expect(compressed.length).toBeLessThan(input.length / 20)
    expect(Buffer.from(snappyDecompress(compressed)).equals(Buffer.from(input))).toBe(true)
    const zeros = snappyCompress(new Uint8Array(1_000_000))
    expect(zeros.length).toBeLessThan(1_000_000 / 20)
  })

  it('should leave random data about its size (every byte a literal)', () => {
    const input = randomBytes(100_000)
    const compressed = snappyCompress(input)
    expect(compressed.length).toBeGreaterThanOrEqual(input.length)
    expect(compressed.length).toBeLessThan(input.length * 1.01)
  })

  it('should write the reference encoding of a short repeat: a literal then a copy', () => {
    // "abcdabcdabcdabcdabcd" (20 bytes): varint 20, literal "abcd", copy offset 4 length 16.
    const bytes = snappyCompress(text('abcd'.repeat(5)))
    expect(snappyDecompress(bytes)).toEqual(text('abcd'.repeat(5)))
    expect(Buffer.from(bytes).toString('hex')).toBe('14' + '0c61626364' + '3e0400')
  })

  it('should decode every element kind written by another encoder', () => {
    // Hand-written: literal "ab" (tag 0x04), copy-1 offset 2 length 4 (tag 0x01), copy-2 offset 2
    // length 2 (tag 0x06), copy-4 offset 1 length 1 (tag 0x03), literal of 61 bytes (tag 60<<2 + 1 byte).
    const long = 'x'.repeat(61)
    const block = new Uint8Array([
      2 + 4 + 2 + 1 + 61,
      0x04,
      0x61,
      0x62,
      0x01,
      0x02,
      0x06,
      0x02,
      0x00,
      0x03,
      0x01,
      0x00,
      0x00,
      0x00,
      0xf0,
      60,
      ...text(long),
    ])
    expect(new TextDecoder().decode(snappyDecompress(block))).toBe(`ababababb${long}`)
  })

  it('should refuse corrupt blocks and blocks over the length limit', () => {
    expect(() => snappyDecompress(new Uint8Array([4, 0x01, 0x05]))).toThrow('offset')
    expect(() => snappyDecompress(new Uint8Array([5, 0x08, 0x61]))).toThrow('truncated')
    expect(() => snappyDecompress(new Uint8Array([9, 0x04, 0x61, 0x62]))).toThrow('declared')
    expect(() => snappyDecompress(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]))).toThrow('over')
    expect(() => snappyDecompress(snappyCompress(new Uint8Array(100)), { maxLength: 99 })).toThrow('over')
  })
})
