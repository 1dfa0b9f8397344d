import { describe, expect, it, vi } from 'vitest'
import { timeoutSignal } from './abort.ts'
import { FakeClock } from './clock.ts'
import {
  brandError,
  ConfigError,
  closestKey,
  errorMessage,
  isConfigError,
  isNoaError,
  isTimeoutError,
  NoaError,
  recordKnownKeys,
  type TimeoutError,
  toConfigIssues,
} from './errors.ts'
import { createId } from './id.ts'
import { createLogger, type LogRecord, levelEnabled, noopLogger } from './logger.ts'

describe('errors', () => {
  it('should list every config issue on its own line with its path', () => {
    const error = new ConfigError([
      { path: 'services.api.interval', message: 'expected a number >= 1000, got -5' },
      { path: '', message: 'file is empty' },
    ])
    expect(error.message).toBe('services.api.interval: expected a number >= 1000, got -5\nfile is empty')
    expect(error.code).toBe('ERR_CONFIG')
    expect(error.name).toBe('ConfigError')
    expect(isConfigError(error) && isNoaError(error)).toBe(true)
    expect(isConfigError(new Error('x'))).toBe(false)
  })

  it('should keep the cause and a stable code', () => {
    const cause = new Error('root')
    const error = new NoaError('wrapped', { cause, code: 'ERR_X' })
    expect(error.cause).toBe(cause)
    expect(error.code).toBe('ERR_X')
    expect(new NoaError('plain').code).toBe('ERR_NOA')
    expect(errorMessage(error)).toBe('wrapped')
    expect(errorMessage('text')).toBe('text')
    expect(errorMessage(42)).toBe('42')
  })
})

describe('error brands', () => {
  // A second copy of the module stands for the CommonJS build, or a second installed version.
  const loadCopy = (): Promise<typeof import('./errors.ts')> => {
    vi.resetModules()
    return import('./errors.ts')
  }

  it('should recognise errors thrown by another copy of the package', async () => {
    const copy = await loadCopy()
    expect(copy.ConfigError).not.toBe(ConfigError)
    const error: unknown = new copy.ConfigError([{ path: 'a', message: 'b' }])
    expect(error instanceof ConfigError).toBe(true)
    expect(error instanceof NoaError).toBe(true)
    expect(isConfigError(error) && isNoaError(error)).toBe(true)
    expect(isTimeoutError(error)).toBe(false)
    expect(new ConfigError([]) instanceof copy.ConfigError).toBe(true)
    expect(new NoaError('x') instanceof copy.ConfigError).toBe(false)
  })

  it('should keep the prototype chain for a subclass without a brand of its own', () => {
    class LocalError extends NoaError {}
    expect(new LocalError('x') instanceof LocalError).toBe(true)
    expect(new LocalError('x') instanceof NoaError).toBe(true)
    expect(new NoaError('x') instanceof LocalError).toBe(false)
    expect(new ConfigError([]) instanceof LocalError).toBe(false)
  })

  it('should brand a subclass of its own', async () => {
    class DiskError extends NoaError {
      static {
        brandError(DiskError, 'test.DiskError')
      }
    }
    const copy = await loadCopy()
    class CopyDiskError extends copy.NoaError {
      static {
        copy.brandError(CopyDiskError, 'test.DiskError')
      }
    }
    expect(new CopyDiskError('x') instanceof DiskError).toBe(true)
    expect(new CopyDiskError('x') instanceof NoaError).toBe(true)
    expect(new NoaError('x') instanceof DiskError).toBe(false)
    expect(Object.keys(new DiskError('x'))).not.toContain('test.DiskError')
  })
})

describe('timeoutSignal', () => {
  it('should abort with a TimeoutError after the timeout in clock time', async () => {
    const clock = new FakeClock(0)
    const t = timeoutSignal(5_000, { clock, what: 'http check' })
    await clock.advance(4_999)
    expect(t.signal.aborted).toBe(false)
    await clock.advance(1)
    expect(t.signal.aborted).toBe(true)
    expect(isTimeoutError(t.signal.reason)).toBe(true)
    expect((t.signal.reason as TimeoutError).message).toBe('http check timed out after 5000 ms')
  })

  it('should follow its parent and release its timer on dispose', async () => {
    const clock = new FakeClock(0)
    const parent = new AbortController()
    const t = timeoutSignal(1_000, { clock, parent: parent.signal })
    parent.abort('shutdown')
    expect(t.signal.reason).toBe('shutdown')
    t.dispose()
    expect(clock.pending).toBe(0)

    const already = timeoutSignal(1_000, { clock, parent: parent.signal })
    expect(already.signal.aborted).toBe(true)
    already.dispose()
  })
})

describe('createId', () => {
  it('should be unique and sort by time', () => {
    const a = createId('heal', 1_000)
    const b = createId('heal', 2_000)
    expect(a < b).toBe(true)
    expect(a).toMatch(/^heal_0000000003e8_[0-9a-f]{16}$/)
    expect(new Set(Array.from({ length: 1_000 }, () => createId())).size).toBe(1_000)
  })
})

describe('createLogger', () => {
  it('should filter by level and add base fields', () => {
    const records: LogRecord[] = []
    const log = createLogger({
      level: 'warn',
      base: { component: 'health' },
      write: (r) => records.push(r),
      now: () => 0,
    })
    log.debug('no')
    log.info('no')
    log.warn('check failed', { service: 'api' })
    log.error('down')
    expect(records).toEqual([
      {
        time: '1970-01-01T00:00:00.000Z',
        level: 'warn',
        msg: 'check failed',
        component: 'health',
        service: 'api',
      },
      { time: '1970-01-01T00:00:00.000Z', level: 'error', msg: 'down', component: 'health' },
    ])
    expect(levelEnabled('debug', 'info')).toBe(false)
    noopLogger.error('dropped')
  })
})

describe('toConfigIssues', () => {
  it('should join paths under a prefix and say what was found', () => {
    expect(
      toConfigIssues(
        [
          { path: ['interval'], message: 'Too small: expected number to be >=1000', input: -5 },
          { path: ['url'], message: 'Invalid URL', input: 'not a url' },
          { path: [], message: 'Invalid input: expected object, received string', input: 'x' },
          { path: ['headers', 'x'], message: 'Required' },
          { path: ['a'], message: 'Bad', input: { nested: true } },
          { path: ['b'], message: 'Bad', input: [1] },
          { path: ['c'], message: 'Bad', input: 'y'.repeat(100) },
        ],
        'services.api',
      ),
    ).toEqual([
      { path: 'services.api.interval', message: 'Too small: expected number to be >=1000; found -5' },
      { path: 'services.api.url', message: 'Invalid URL; found "not a url"' },
      { path: 'services.api', message: 'Invalid input: expected object, received string' },
      { path: 'services.api.headers.x', message: 'Required' },
      { path: 'services.api.a', message: 'Bad; found a object' },
      { path: 'services.api.b', message: 'Bad; found an array' },
      { path: 'services.api.c', message: `Bad; found "${'y'.repeat(57)}..."` },
    ])
  })

  it('should give each unknown key its own line, suggesting the allowed key it is a typo of', () => {
    // As zod raises it: one issue for the object, with every key it does not allow.
    const raw = {
      code: 'unrecognized_keys',
      path: [] as PropertyKey[],
      message: 'Unrecognized keys: "autoRestrat", "shutdown", "x"',
      keys: ['autoRestrat', 'shutdown', 'x'],
      inst: { shape: { autoRestart: 1, maxRestarts: 1, shutdownTimeout: 1 } },
      input: { autoRestrat: 'hunter2' },
    }
    expect(recordKnownKeys(raw)).toBeUndefined()
    expect(toConfigIssues([raw], 'selfHealing')).toEqual([
      { path: 'selfHealing.autoRestrat', message: 'unknown key; did you mean autoRestart?' },
      {
        path: 'selfHealing.shutdown',
        message: 'unknown key; allowed: autoRestart, maxRestarts, shutdownTimeout',
      },
      { path: 'selfHealing.x', message: 'unknown key; allowed: autoRestart, maxRestarts, shutdownTimeout' },
    ])
    // Without the known keys (no error map) the key is still named, never its value.
    const { inst: _inst, knownKeys: _known, ...bare } = raw as typeof raw & { knownKeys?: unknown }
    expect(toConfigIssues([bare], 'a.b')).toEqual([
      { path: 'a.b.autoRestrat', message: 'unknown key' },
      { path: 'a.b.shutdown', message: 'unknown key' },
      { path: 'a.b.x', message: 'unknown key' },
    ])
  })
})

describe('closestKey', () => {
  it('should find a typo within one edit per three letters, swaps and case counting as one', () => {
    const known = ['interval', 'timeout', 'retries', 'critical', 'autoRestart', 'url', 'headers']
    expect(closestKey('intervall', known)).toBe('interval')
    expect(closestKey('critcal', known)).toBe('critical')
    expect(closestKey('autoRestrat', known)).toBe('autoRestart')
    expect(closestKey('AutoRestart', known)).toBe('autoRestart')
    expect(closestKey('uri', known)).toBe('url')
    expect(closestKey('hedears', known)).toBe('headers')
    expect(closestKey('port', known)).toBeUndefined()
    expect(closestKey('enabled', known)).toBeUndefined()
    expect(closestKey('x', [])).toBeUndefined()
  })
})
