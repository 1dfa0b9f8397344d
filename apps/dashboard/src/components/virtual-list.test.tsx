import { fireEvent, render, screen, waitFor } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { VirtualList } from './virtual-list.tsx'

const items = Array.from({ length: 10_000 }, (_, i) => `item-${i}`)

function list(of: readonly string[] = items) {
  return (
    <VirtualList
      items={of}
      rowHeight={20}
      height={200}
      overscan={5}
      itemKey={(s) => s}
      renderItem={(s) => <span>{s}</span>}
      label="Things"
      testId="box"
    />
  )
}

const drawn = () => screen.getAllByRole('listitem').map((li) => li.textContent)

describe('VirtualList', () => {
  it('should draw only the rows in view plus the overscan, over a spacer as tall as all rows', () => {
    render(list())
    expect(drawn()).toEqual(Array.from({ length: 15 }, (_, i) => `item-${i}`))
    expect(screen.getByRole('list', { name: 'Things' }).style.height).toBe('200000px')
    expect(screen.getAllByRole('listitem')[3]?.getAttribute('aria-posinset')).toBe('4')
    expect(screen.getAllByRole('listitem')[3]?.style.transform).toBe('translateY(60px)')
  })

  it('should draw the rows of the place scrolled to, the last one included', async () => {
    render(list())
    const box = screen.getByTestId('box')
    box.scrollTop = 100_000
    fireEvent.scroll(box)
    await waitFor(() => expect(drawn()[0]).toBe('item-4995'))
    expect(drawn()).toHaveLength(20)
    box.scrollTop = 200_000 - 200
    fireEvent.scroll(box)
    await waitFor(() => expect(drawn().at(-1)).toBe('item-9999'))
    expect(drawn()).toHaveLength(15)
  })

  it('should come back into range when the list gets shorter than the place scrolled to', async () => {
    const { rerender } = render(list())
    const box = screen.getByTestId('box')
    box.scrollTop = 150_000
    fireEvent.scroll(box)
    await waitFor(() => expect(drawn()[0]).toBe('item-7495'))
    rerender(list(items.slice(0, 30)))
    await waitFor(() => expect(drawn().at(-1)).toBe('item-29'))
    expect(drawn()[0]).toBe('item-15')
  })
})
