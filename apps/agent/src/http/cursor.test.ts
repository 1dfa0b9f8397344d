import { describe, expect, it } from 'vitest'
import { decodeCursor, encodeCursor } from './cursor.ts'

describe('paging cursors', () => {
  it('should give back the place of a cursor of the same list, and refuse another list or a made-up one', () => {
    const cursor = encodeCursor('d', '1796563706921:drl_1')
    expect(decodeCursor('d', cursor)).toBe('1796563706921:drl_1')
    expect(decodeCursor('n', cursor)).toBeUndefined()
    expect(decodeCursor('d', 'not a cursor')).toBeUndefined()
    expect(decodeCursor('d', encodeCursor('d', ''))).toBeUndefined()
  })
})
