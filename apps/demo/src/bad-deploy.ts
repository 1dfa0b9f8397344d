/** The version the demo service runs normally. */
export const GOOD_VERSION = '1.0.0'
/** The version a bad deploy puts in its place. */
export const BAD_VERSION = '1.1.0-bad'

/**
 * How long the bad version runs at most: a drill that is never undone (its runner killed)
 * leaves the service broken for this long, not for good.
 */
export const BAD_DEPLOY_MAX_MS = 10 * 60_000

/** What `GET /drill/deploy` tells. */
export interface DeployStatus {
  version: string
  bad: boolean
  /** Epoch ms the bad version was deployed; absent while the good one runs. */
  since?: number
  errorRatio: number
}

/**
 * The deploy drill knob of a demo service: a bad version fails every request while its health
 * check still passes (a deploy that a restart would not fix in real life, as the restarted
 * process runs the same code; here the version is held in memory, so a restart would clear it
 * too, but the rollback is the action a drill expects), and the share of the last
 * {@link BadDeploy.WINDOW} requests that failed, which a rule reads from /metrics. Rolled back
 * by `rollBack()`, or on its own after {@link BAD_DEPLOY_MAX_MS}.
 */
export class BadDeploy {
  /** Requests the error ratio is taken over. */
  static readonly WINDOW = 20

  readonly #log: (line: string) => void
  readonly #maxMs: number
  /** The outcome of the last WINDOW requests (true: failed), oldest first. */
  readonly #outcomes: boolean[] = []
  #since: number | undefined
  #timer: NodeJS.Timeout | undefined

  constructor(log: (line: string) => void, maxMs = BAD_DEPLOY_MAX_MS) {
    this.#log = log
    this.#maxMs = maxMs
  }

  get bad(): boolean {
    return this.#since !== undefined
  }

  get version(): string {
    return this.bad ? BAD_VERSION : GOOD_VERSION
  }

  get errorRatio(): number {
    if (this.#outcomes.length === 0) return 0
    return this.#outcomes.filter(Boolean).length / this.#outcomes.length
  }

  get status(): DeployStatus {
    return {
      version: this.version,
      bad: this.bad,
      ...(this.#since !== undefined ? { since: this.#since } : {}),
      errorRatio: this.errorRatio,
    }
  }

  /** Counts one request served. */
  served(failed: boolean): void {
    this.#outcomes.push(failed)
    if (this.#outcomes.length > BadDeploy.WINDOW) this.#outcomes.shift()
  }

  /** Runs the bad version (again: its time limit starts over). */
  deployBad(): DeployStatus {
    clearTimeout(this.#timer)
    this.#since ??= Date.now()
    this.#timer = setTimeout(() => {
      this.#log(`bad deploy rolled back on its own after ${this.#maxMs} ms`)
      this.rollBack()
    }, this.#maxMs)
    this.#timer.unref()
    this.#log(`deployed ${BAD_VERSION}: every request fails`)
    return this.status
  }

  /** Runs the good version again; nothing to do when it runs already. */
  rollBack(): DeployStatus {
    clearTimeout(this.#timer)
    this.#timer = undefined
    if (this.#since !== undefined) this.#log(`rolled back to ${GOOD_VERSION}`)
    this.#since = undefined
    return this.status
  }
}
