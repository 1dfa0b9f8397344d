import type { Clock, Logger, Timer } from '@noa/core'
import { errorMessage } from '@noa/core'

/** One step of the agent's life: what it starts, and how it stops it. */
export interface LifecycleStep {
  name: string
  start(): void | Promise<void>
  stop?(): void | Promise<void>
}

/**
 * The agent's start and stop, as a list read top to bottom: steps start in order and stop in
 * reverse order, each one whose start ran. A step that fails to stop is logged and the others
 * still stop.
 */
export class Lifecycle {
  readonly #steps: readonly LifecycleStep[]
  readonly #logger: Logger
  readonly #started: LifecycleStep[] = []

  constructor(steps: readonly LifecycleStep[], logger: Logger) {
    this.#steps = steps
    this.#logger = logger
  }

  async start(): Promise<void> {
    for (const step of this.#steps) {
      await step.start()
      this.#started.push(step)
    }
  }

  async stop(): Promise<void> {
    for (const step of this.#started.splice(0).reverse()) {
      try {
        await step.stop?.()
      } catch (e) {
        this.#logger.error('a part of the agent failed to stop', { step: step.name, error: errorMessage(e) })
      }
    }
  }
}

/** A step that runs `body` every `intervalMs` (the first time after `firstDelayMs`) until stopped. */
export function loopStep(options: {
  name: string
  clock: Clock
  logger: Logger
  intervalMs: number
  firstDelayMs?: number
  body: () => Promise<unknown>
}): LifecycleStep {
  const { name, clock, logger, intervalMs, body } = options
  let timer: Timer | undefined
  let running: Promise<unknown> = Promise.resolve()
  let stopped = false
  const tick = () => {
    running = body()
      .catch((e) => logger.error(`${name} failed`, { error: errorMessage(e) }))
      .finally(() => {
        if (!stopped) timer = clock.setTimeout(tick, intervalMs)
      })
  }
  return {
    name,
    start() {
      stopped = false
      timer = clock.setTimeout(tick, options.firstDelayMs ?? intervalMs)
    },
    async stop() {
      stopped = true
      timer?.cancel()
      await running
    },
  }
}
