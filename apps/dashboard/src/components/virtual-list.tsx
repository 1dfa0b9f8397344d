import { type ReactNode, useEffect, useRef, useState } from 'react'

/** Props of {@link VirtualList}. */
export interface VirtualListProps<T> {
  items: readonly T[]
  /** Every row is this tall, px: a row's place is its index times this, so nothing is measured. */
  rowHeight: number
  /** Height of the scrolling box, px. */
  height: number
  /** Rows drawn beyond each edge of the box, so a fast scroll does not show blank rows. @default 8 */
  overscan?: number
  itemKey(item: T): string
  renderItem(item: T): ReactNode
  /** The list's accessible name. */
  label: string
  /** `data-testid` of the scrolling box. */
  testId?: string
}

/**
 * A list that draws only the rows in view (plus `overscan`): 10,000 services cost the DOM about
 * forty rows. The box scrolls over a spacer as tall as every row; drawn rows sit at their place.
 *
 * @example
 * ```tsx
 * <VirtualList items={services} rowHeight={36} height={480} itemKey={(s) => s.name}
 *   renderItem={(s) => <ServiceRow service={s} />} label="Services" />
 * ```
 */
export function VirtualList<T>(props: VirtualListProps<T>) {
  const { items, rowHeight, height, overscan = 8 } = props
  const [scrollTop, setScrollTop] = useState(0)
  const box = useRef<HTMLDivElement>(null)
  const frame = useRef<number | undefined>(undefined)

  // A shorter list (a search) may leave the box scrolled past its end: bring the view back.
  const full = items.length * rowHeight
  useEffect(() => {
    const el = box.current
    if (el && scrollTop > Math.max(0, full - height)) {
      const top = Math.max(0, full - height)
      el.scrollTop = top
      setScrollTop(top)
    }
  }, [full, height, scrollTop])
  useEffect(() => () => cancelAnimationFrame(frame.current ?? 0), [])

  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan)
  const last = Math.min(items.length, Math.ceil((scrollTop + height) / rowHeight) + overscan)
  const rows: ReactNode[] = []
  for (let i = first; i < last; i++) {
    const item = items[i]!
    rows.push(
      <li
        key={props.itemKey(item)}
        className="vlist-row"
        aria-posinset={i + 1}
        aria-setsize={items.length}
        style={{ transform: `translateY(${i * rowHeight}px)`, height: rowHeight }}
      >
        {props.renderItem(item)}
      </li>,
    )
  }
  return (
    <div
      ref={box}
      className="vlist"
      style={{ height }}
      data-testid={props.testId}
      // One state update per frame however many scroll events the browser sends.
      onScroll={(e) => {
        const top = e.currentTarget.scrollTop
        cancelAnimationFrame(frame.current ?? 0)
        frame.current = requestAnimationFrame(() => setScrollTop(top))
      }}
    >
      <ul aria-label={props.label} className="vlist-spacer" style={{ height: full }}>
        {rows}
      </ul>
    </div>
  )
}
