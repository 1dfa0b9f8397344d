/** Log levels, from the most to the least verbose. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

/** Structured fields attached to a log line. */
export type LogFields = Record<string, unknown>

/** The logger every package accepts; libraries never write to the console on their own. */
export interface Logger {
  debug(message: string, fields?: LogFields): void
  info(message: string, fields?: LogFields): void
  warn(message: string, fields?: LogFields): void
  error(message: string, fields?: LogFields): void
}

const noop = () => {}

/** A logger that drops everything: the default of every library. */
export const noopLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop }

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

/** True when `level` passes a `threshold` filter. */
export function levelEnabled(level: LogLevel, threshold: LogLevel): boolean {
  return LEVELS[level] >= LEVELS[threshold]
}

/** One log record as written by {@link createLogger}. */
export interface LogRecord extends LogFields {
  time: string
  level: LogLevel
  msg: string
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Lowest level written. @default 'info' */
  level?: LogLevel
  /** Where each record goes. @default one JSON line on stderr */
  write?: (record: LogRecord) => void
  /** Fields added to every record, such as `{ component: 'health' }`. */
  base?: LogFields
  /** Supplies the timestamp. @default Date.now */
  now?: () => number
}

/**
 * A small structured logger: JSON lines by default, or any sink.
 *
 * @example
 * ```ts
 * const log = createLogger({ level: 'debug', base: { component: 'health' } })
 * log.warn('check failed', { service: 'api' })
 * ```
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const threshold = options.level ?? 'info'
  const now = options.now ?? Date.now
  const write = options.write ?? ((record: LogRecord) => process.stderr.write(`${JSON.stringify(record)}\n`))
  const emit = (level: LogLevel) => (msg: string, fields?: LogFields) => {
    if (!levelEnabled(level, threshold)) return
    write({ time: new Date(now()).toISOString(), level, msg, ...options.base, ...fields })
  }
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') }
}
