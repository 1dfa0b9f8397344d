import { cleanup, configure } from '@testing-library/react'
import { afterEach } from 'vitest'

// findBy/waitFor poll until this long: the default 1 s is too short when the 2-core CI machine
// runs every package's tests at once. Nothing waits longer when the page is quick.
configure({ asyncUtilTimeout: 10_000 })

if (typeof window !== 'undefined') {
  // happy-dom does no layout: report a fixed box so recharts' ResponsiveContainer draws.
  class FixedSizeObserver {
    #callback: ResizeObserverCallback
    constructor(callback: ResizeObserverCallback) {
      this.#callback = callback
    }
    observe(target: Element) {
      const contentRect = { width: 480, height: 200, top: 0, left: 0, bottom: 200, right: 480, x: 0, y: 0 }
      this.#callback(
        [{ target, contentRect } as unknown as ResizeObserverEntry],
        this as unknown as ResizeObserver,
      )
    }
    unobserve() {}
    disconnect() {}
  }
  window.ResizeObserver = FixedSizeObserver as unknown as typeof ResizeObserver
  globalThis.ResizeObserver = window.ResizeObserver
}

afterEach(() => {
  if (typeof window === 'undefined') return // node-environment files (real servers)
  cleanup()
  sessionStorage.clear()
  window.location.hash = ''
})
