import type { Clock, Logger, Silence, SilenceStore } from '@noa/core'
import { brandError, createId, errorMessage, NoaError } from '@noa/core'
import type { SilenceOptions } from './silence.ts'
import { parseSilence, silenced } from './silence.ts'

/** A silence could not be saved to the silence store; nothing was changed. The store's error is the `cause`. */
export class SilenceStoreError extends NoaError {
  static {
    brandError(SilenceStoreError, 'SilenceStoreError')
  }

  constructor(what: string, cause: unknown) {
    super(`cannot ${what}: the silence store failed: ${errorMessage(cause)}`, {
      code: 'ERR_SILENCE_STORE',
      cause,
    })
  }
}

/** True when the value is a {@link SilenceStoreError}. */
export function isSilenceStoreError(value: unknown): value is SilenceStoreError {
  return value instanceof SilenceStoreError
}

/** Options of {@link createSilenceSync}. */
export interface SilenceSyncOptions {
  /** Without a store, silences live in memory only. */
  store?: SilenceStore
  clock: Clock
  logger: Logger
  /** Reads the store again at most this often. */
  refreshMs: number
  /** Called with every failed read or write of the store (the engine counts them). */
  onFailure?: (error: unknown) => void
}

/** The engine's silences: a cache written through to the store and refreshed from it. */
export interface SilenceSync {
  /** Reads the active silences now (at start). */
  load(): Promise<void>
  /** Reads the store when the last read is older than `refreshMs`, waiting for it a bounded time. */
  refreshIfDue(): Promise<void>
  add(options: SilenceOptions): Promise<Silence>
  expire(id: string): Promise<boolean>
  /** Silences that have not ended (future ones included); starts a refresh when one is due. */
  list(): Silence[]
  /** True when an active silence matches the labels. */
  mutes(labels: Readonly<Record<string, string>>, now: number): boolean
}

/** How long an evaluation waits for a refresh; the read goes on and applies when it ends. */
const REFRESH_WAIT_MS = 1000
/** At most this many silences are read; more than that is a misuse. */
const MAX_SILENCES = 10_000

/**
 * Keeps the silences of one engine. Writes go to the store first and change the cache only
 * when they worked, so what a user is told is what survives a restart. Reads happen at
 * `load()` and then at most every `refreshMs`, so a silence added through another agent on
 * the same store applies here too. A failed read keeps the cache as it was; it is logged
 * and reported, never thrown into an evaluation.
 */
export function createSilenceSync(options: SilenceSyncOptions): SilenceSync {
  const { store, clock, logger, refreshMs } = options
  let byId = new Map<string, Silence>()
  // Local writes, numbered: a read that started before a write must not undo it.
  let writes = 0
  const recent = new Map<string, { silence: Silence; seq: number }>()
  let lastReadAt = Number.NEGATIVE_INFINITY
  let reading: Promise<void> | undefined

  const failed = (message: string, error: unknown, fields: Record<string, unknown> = {}) => {
    logger.error(message, { ...fields, error: errorMessage(error) })
    try {
      options.onFailure?.(error)
    } catch {}
  }

  // Silences come from any agent, or from a hand-edited row: check them as if typed in.
  const valid = (s: Silence): Silence | undefined => {
    try {
      const { id, ...rest } = s
      if (typeof id !== 'string' || id === '') throw new Error('a silence without an id')
      return { id, ...parseSilence(rest) }
    } catch (error) {
      failed('ignoring an invalid silence from the store', error, { id: s?.id })
      return undefined
    }
  }

  const read = (): Promise<void> => {
    if (!store) {
      const now = clock.now()
      for (const [id, s] of byId) if (s.endsAt <= now) byId.delete(id)
      lastReadAt = now
      return Promise.resolve()
    }
    if (reading) return reading
    const started = writes
    const now = clock.now()
    lastReadAt = now
    reading = (async () => {
      try {
        const list = await store.silences({ activeAt: now, limit: MAX_SILENCES })
        const next = new Map<string, Silence>()
        for (const s of list) {
          const ok = valid(s)
          if (ok) next.set(ok.id, ok)
        }
        for (const [id, w] of recent) {
          if (w.seq > started) next.set(id, w.silence)
          else recent.delete(id)
        }
        byId = next
      } catch (error) {
        failed('cannot read silences', error)
      } finally {
        reading = undefined
      }
    })()
    return reading
  }

  const due = () => clock.now() - lastReadAt >= refreshMs

  const write = async (silence: Silence, what: string) => {
    if (store) {
      try {
        await store.saveSilence(silence)
      } catch (error) {
        failed(`cannot ${what}`, error, { id: silence.id })
        throw new SilenceStoreError(what, error)
      }
    }
    byId.set(silence.id, silence)
    recent.set(silence.id, { silence, seq: ++writes })
  }

  return {
    load: read,
    async refreshIfDue() {
      if (!due() && !reading) return
      const pending = read()
      await new Promise<void>((resolve) => {
        const timer = clock.setTimeout(resolve, REFRESH_WAIT_MS)
        void pending.then(() => {
          timer.cancel()
          resolve()
        })
      })
    },
    async add(input) {
      const silence: Silence = { id: createId('silence', clock.now()), ...parseSilence(input) }
      await write(silence, 'save the silence')
      return silence
    },
    async expire(id) {
      // It may have been added through another agent since the last read.
      if (!byId.has(id) && store) await read()
      const s = byId.get(id)
      const now = clock.now()
      if (!s || s.endsAt <= now) return false
      await write({ ...s, startsAt: Math.min(s.startsAt, now), endsAt: now }, 'expire the silence')
      return true
    },
    list() {
      if (due()) void read()
      const now = clock.now()
      return [...byId.values()].filter((s) => s.endsAt > now)
    },
    mutes(labels, now) {
      for (const s of byId.values()) if (silenced(s, labels, now)) return true
      return false
    },
  }
}
