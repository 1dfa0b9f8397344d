import type { Subscribable } from '@noa/core'

/**
 * The next payload of an event (what eventemitter3's `once` gave), listening no longer after
 * it. Curried, because TypeScript cannot infer the events from a generic `on`:
 * `nextEvent<HealingEvents>(engine)('healing-finished')`.
 */
export function nextEvent<Events extends object>(source: Subscribable<Events>) {
  return <E extends keyof Events>(event: E): Promise<Events[E]> =>
    new Promise((resolve) => {
      const off = source.on(event, (payload) => {
        off()
        resolve(payload)
      })
    })
}
