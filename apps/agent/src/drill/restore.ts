import { errorMessage } from '@noa/core'

/** One way back from an injected fault. */
interface Undo {
  what: string
  run: () => void | Promise<void>
}

/**
 * Every fault a drill injects registers how to undo it here first; `restoreAll` undoes what is
 * still in place, newest first, whatever happens: at the end of each drill, on an error, and on
 * Ctrl-C. An undo that fails is reported and the others still run.
 */
export class Restorer {
  readonly #undos: Undo[] = []

  /** Registers an undo; the returned function runs it now (once) and forgets it. */
  add(what: string, run: () => void | Promise<void>): () => Promise<void> {
    const undo: Undo = { what, run }
    this.#undos.push(undo)
    return async () => {
      const i = this.#undos.indexOf(undo)
      if (i === -1) return
      this.#undos.splice(i, 1)
      await run()
    }
  }

  /** What is still injected. */
  get pending(): string[] {
    return this.#undos.map((u) => u.what)
  }

  /** Undoes everything still injected, newest first; returns what could not be undone. */
  async restoreAll(): Promise<string[]> {
    const failed: string[] = []
    while (this.#undos.length > 0) {
      const undo = this.#undos.pop()!
      try {
        await undo.run()
      } catch (error) {
        failed.push(`${undo.what}: ${errorMessage(error)}`)
      }
    }
    return failed
  }
}

/** The Ctrl-C handling of a drill run. */
export interface InterruptHandling {
  /** The restoration a signal started, when one did. */
  restoring(): Promise<void> | undefined
  /** Removes the handlers. */
  dispose(): void
}

/**
 * On SIGINT or SIGTERM: aborts the drill and restores every injected fault at once; the run then
 * ends as it would (its results so far are reported). A second signal ends the process (exit
 * 130) as soon as the restoration is done.
 */
export function restoreOnInterrupt(
  restorer: Restorer,
  abort: AbortController,
  report: (line: string) => void,
): InterruptHandling {
  let restoring: Promise<void> | undefined
  const onSignal = (signal: NodeJS.Signals) => {
    if (restoring) {
      void restoring.then(() => process.exit(130))
      return
    }
    abort.abort(new Error(`interrupted by ${signal}`))
    report(`noa drill: ${signal}: restoring ${restorer.pending.length} injected fault(s)`)
    restoring = restorer.restoreAll().then((failed) => {
      for (const line of failed) report(`noa drill: could not restore ${line}`)
    })
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return {
    restoring: () => restoring,
    dispose() {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    },
  }
}
