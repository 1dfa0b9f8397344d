import { describe, expect, it } from 'vitest'
import { fitting, nextPage } from './budget.ts'

describe('fitting', () => {
  const items = ['a'.repeat(10), 'b'.repeat(10), 'c'.repeat(10)] // 12 bytes of JSON each
  it('should keep the first items whose JSON fits, and count the others', () => {
    expect(fitting(items, 1000)).toEqual({ items, omitted: 0 })
    expect(fitting(items, 2 + 13 * 2)).toEqual({ items: items.slice(0, 2), omitted: 1 })
    expect(fitting(items, 10)).toEqual({ items: [], omitted: 3 })
  })
  it('should keep the last items when told to (oldest-first lists keep their newest)', () => {
    expect(fitting(items, 2 + 13 * 2, true)).toEqual({ items: items.slice(1), omitted: 1 })
  })
})

describe('nextPage', () => {
  const at = (n: number) => n
  it('should point before the last item shown when the page is full or was cut', () => {
    expect(nextPage([5, 4], 2, 2, at)).toEqual({ before: 4 })
    expect(nextPage([5], 3, 2, at)).toEqual({ before: 5 })
    expect(nextPage([5, 4], 3, 2, at)).toBeUndefined()
    expect(nextPage([], 3, 0, at)).toBeUndefined()
  })
})
