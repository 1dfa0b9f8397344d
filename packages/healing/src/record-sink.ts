import { appendFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { HealingAudit, HealingRecord, Logger } from '@noa/core'
import { errorMessage } from '@noa/core'

/** Options of {@link createRecordSink}. */
export interface RecordSinkOptions {
  /** Where records go as they change (a @noa/store backend). */
  audit: HealingAudit | undefined
  /** Folder of the `healing-<day>.jsonl` files, one line per ended healing. */
  logsDir: string
  logger: Logger
  /** Called with each ended record, once it is saved and logged. */
  finished(record: HealingRecord): void
}

/** Where healing records go: the audit at each change, the day's log file once ended. */
export interface RecordSink {
  /** Saves a record that is still changing; an audit that fails is logged, never thrown. */
  save(record: HealingRecord): Promise<HealingRecord>
  /** Saves an ended record, appends it to the day's log and announces it. */
  finish(record: HealingRecord): Promise<void>
}

/** Creates the sink of an engine's records. */
export function createRecordSink(options: RecordSinkOptions): RecordSink {
  const { audit, logsDir, logger } = options
  async function save(record: HealingRecord): Promise<HealingRecord> {
    try {
      await audit?.saveHealing(record)
    } catch (e) {
      logger.error('cannot save a healing record', { id: record.id, error: errorMessage(e) })
    }
    return record
  }
  // synchronous: one short line per healing, and the healing is not finished before it is written
  function appendLog(record: HealingRecord): void {
    try {
      mkdirSync(logsDir, { recursive: true })
      const day = new Date(record.startedAt).toISOString().slice(0, 10)
      appendFileSync(join(logsDir, `healing-${day}.jsonl`), `${JSON.stringify(record)}\n`)
    } catch (e) {
      logger.error('cannot append to the healing log', { error: errorMessage(e) })
    }
  }
  return {
    save,
    async finish(record) {
      await save(record)
      appendLog(record)
      options.finished(record)
    },
  }
}
