import type { CheckOutcome } from './checker.ts'

/**
 * Conditions on a check's result, written as Gatus writes them: `[RESPONSE_TIME] < 300`,
 * `[STATUS] == 200`, `[CERTIFICATE_EXPIRATION] > 7d`, `[DETAILS].rows >= 1`. Every one must hold
 * for a healthy answer to stay healthy; those that fail are named in the result.
 */
export interface Condition {
  /** The condition as written, for the result's message. */
  text: string
  /** Reads the value the condition is about from a result, or undefined when it has none. */
  read(view: ConditionView): unknown
  op: Operator
  expected: number | string | boolean
}

/** What a condition reads: one attempt's answer and how long it took. */
export interface ConditionView {
  durationMs: number
  outcome: CheckOutcome
}

type Operator = '==' | '!=' | '<' | '<=' | '>' | '>='

const DAY_MS = 86_400_000
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: DAY_MS }

const details = (view: ConditionView) => view.outcome.details ?? {}

/** The placeholders a condition may read. Times are ms (a duration such as `48h` compares with them). */
const SUBJECTS: Record<string, (view: ConditionView) => unknown> = {
  /** How long the attempt took. */
  RESPONSE_TIME: (view) => view.durationMs,
  /** The HTTP status of the answer. */
  STATUS: (view) => details(view).statusCode,
  /** Time until the server certificate expires (https and tls checks). */
  CERTIFICATE_EXPIRATION: (view) => {
    const days = details(view).certDaysLeft ?? details(view).daysLeft
    return typeof days === 'number' ? days * DAY_MS : undefined
  },
  /** The checker's message. */
  MESSAGE: (view) => view.outcome.message,
}

const PATTERN = /^\s*\[([A-Z_]+)\]((?:\.[A-Za-z0-9_-]+)*)\s*(==|!=|<=|>=|<|>)\s*(.+?)\s*$/

/** A condition's value as written: a number, a duration (`300ms`, `2s`, `48h`, `7d`), true/false, or text (quotes optional). */
function expectedValue(text: string): number | string | boolean {
  if (text === 'true' || text === 'false') return text === 'true'
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text)
  const duration = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text)
  if (duration) return Number(duration[1]) * UNIT_MS[duration[2]!]!
  const quoted = /^"(.*)"$/.exec(text)
  return quoted ? quoted[1]! : text
}

/** Parses one condition; a string says what is wrong with it. */
export function parseCondition(text: string): Condition | string {
  const m = PATTERN.exec(text)
  if (!m) return 'expected [PLACEHOLDER] <op> value, e.g. "[RESPONSE_TIME] < 300" (ops: == != < <= > >=)'
  const [, name, path = '', op, raw] = m
  const expected = expectedValue(raw!)
  let read: (view: ConditionView) => unknown
  if (name === 'DETAILS') {
    const keys = path.split('.').slice(1)
    if (keys.length === 0) return 'expected [DETAILS].<key>, e.g. "[DETAILS].rows >= 1"'
    read = (view) =>
      keys.reduce<unknown>(
        (v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined),
        details(view),
      )
  } else {
    const subject = SUBJECTS[name!]
    if (!subject)
      return `unknown placeholder [${name}]; known: ${[...Object.keys(SUBJECTS), 'DETAILS'].map((k) => `[${k}]`).join(', ')}`
    if (path !== '') return `[${name}] has no fields; only [DETAILS] does`
    read = subject
  }
  if (op !== '==' && op !== '!=' && typeof expected !== 'number')
    return `${op} compares numbers and durations; found ${JSON.stringify(raw)}`
  return { text: text.trim(), read, op: op as Operator, expected }
}

function holds(op: Operator, actual: unknown, expected: number | string | boolean): boolean {
  if (op === '==')
    return actual === expected || (typeof expected !== 'string' && String(actual) === String(expected))
  if (op === '!=') return !holds('==', actual, expected)
  if (typeof actual !== 'number') return false
  const e = expected as number
  return op === '<' ? actual < e : op === '<=' ? actual <= e : op === '>' ? actual > e : actual >= e
}

const shown = (value: unknown) =>
  value === undefined ? 'none' : typeof value === 'string' ? JSON.stringify(value) : String(value)

/**
 * A healthy outcome with every condition checked: unchanged when all hold, else unhealthy and
 * naming each that failed with the value found (`[RESPONSE_TIME] < 300 (was 412)`). Another
 * attempt may hold (a slow answer), so it is retryable. Other outcomes are returned as they are.
 */
export function applyConditions(conditions: readonly Condition[], view: ConditionView): CheckOutcome {
  const { outcome } = view
  if (conditions.length === 0 || outcome.state !== 'healthy') return outcome
  const failed: string[] = []
  for (const c of conditions) {
    const actual = c.read(view)
    if (!holds(c.op, actual, c.expected)) failed.push(`${c.text} (was ${shown(actual)})`)
  }
  if (failed.length === 0) return outcome
  return {
    state: 'unhealthy',
    message: `${failed.length === 1 ? 'condition' : 'conditions'} failed: ${failed.join('; ')}`,
    details: { ...outcome.details, failedConditions: failed },
    retryable: true,
  }
}
