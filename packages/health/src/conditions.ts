import type { CheckOutcome } from './checker.ts'

/**
 * Conditions on a check's result, written as Gatus writes them: `[RESPONSE_TIME] < 300`,
 * `[STATUS] == 200`, `[CERTIFICATE_EXPIRATION] > 7d`, `[DETAILS].rows >= 1`,
 * `[BODY].status == UP`, `len([BODY].items) > 0`, `[BODY] == pat(*ok*)`. Every one must hold
 * for a healthy answer to stay healthy; those that fail are named in the result.
 */
export interface Condition {
  /** The condition as written, for the result's message. */
  text: string
  /** Reads the value the condition is about from a result, or undefined when it has none. */
  read(view: ConditionView): unknown
  op: Operator
  expected: Expected
  /** Whether it reads the answer's body ([BODY]): the check must hand the body over. */
  readsBody: boolean
}

/** What a condition reads: one attempt's answer and how long it took. */
export interface ConditionView {
  durationMs: number
  outcome: CheckOutcome
}

type Operator = '==' | '!=' | '<' | '<=' | '>' | '>='

/** A value as written, or a matcher: `pat(*x*)` (glob), `re(^x$)` (regular expression), `any(a, b)`. */
type Expected = number | string | boolean | { matches: (actual: unknown) => boolean }

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
/** Placeholders with fields: `[DETAILS].rows`, `[BODY].data[0].id`. */
const WITH_FIELDS = ['DETAILS', 'BODY']

const PATTERN =
  /^\s*(?:(len|has)\(\s*)?\[([A-Z_]+)\]((?:\.[A-Za-z0-9_-]+|\[\d+\])*)(\s*\))?\s*(==|!=|<=|>=|<|>)\s*(.+?)\s*$/

/** A condition's value as written: a number, a duration (`300ms`, `2s`, `48h`, `7d`), true/false, a matcher, or text (quotes optional). */
function expectedValue(text: string): Expected | string[] {
  if (text === 'true' || text === 'false') return text === 'true'
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text)
  const duration = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text)
  if (duration) return Number(duration[1]) * UNIT_MS[duration[2]!]!
  const call = /^(pat|re|any)\((.*)\)$/.exec(text)
  if (call) return matcher(call[1]!, call[2]!)
  const quoted = /^"(.*)"$/.exec(text)
  return quoted ? quoted[1]! : text
}

/** A matcher function as written; a list of one problem when it cannot be built. */
function matcher(name: string, arg: string): Expected | string[] {
  if (name === 'any') {
    const options = arg.split(',').map((a) => expectedValue(a.trim()))
    return { matches: (actual) => options.some((o) => !Array.isArray(o) && holds('==', actual, o)) }
  }
  let regex: RegExp
  try {
    regex =
      name === 're'
        ? new RegExp(arg)
        : new RegExp(`^${arg.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 's')
  } catch (error) {
    return [`re(${arg}) is not a regular expression: ${(error as Error).message}`]
  }
  return { matches: (actual) => actual !== undefined && regex.test(String(actual)) }
}

/** The keys of a field path: `.data[0].id` -> ['data', 0, 'id']. */
function pathKeys(path: string): Array<string | number> {
  const keys: Array<string | number> = []
  for (const m of path.matchAll(/\.([A-Za-z0-9_-]+)|\[(\d+)\]/g)) keys.push(m[1] ?? Number(m[2]))
  return keys
}

function walk(root: unknown, keys: ReadonlyArray<string | number>): unknown {
  let v = root
  for (const k of keys) {
    if (v === null || typeof v !== 'object') return undefined
    v = (v as Record<string | number, unknown>)[k]
  }
  return v
}

/** The body parsed as JSON once per attempt, whatever number of conditions read it. */
const parsedBodies = new WeakMap<CheckOutcome, unknown>()
function bodyJson(view: ConditionView): unknown {
  const { outcome } = view
  if (parsedBodies.has(outcome)) return parsedBodies.get(outcome)
  let json: unknown
  try {
    json = outcome.body === undefined ? undefined : JSON.parse(outcome.body)
  } catch {
    json = undefined // not JSON: a field of it is absent
  }
  parsedBodies.set(outcome, json)
  return json
}

const lengthOf = (v: unknown) =>
  typeof v === 'string' || Array.isArray(v)
    ? v.length
    : v !== null && typeof v === 'object'
      ? Object.keys(v).length
      : undefined

/** Parses one condition; a string says what is wrong with it. */
export function parseCondition(text: string): Condition | string {
  const m = PATTERN.exec(text)
  if (!m)
    return 'expected [PLACEHOLDER] <op> value, e.g. "[RESPONSE_TIME] < 300" (ops: == != < <= > >=; len(...), has(...); pat(...), re(...), any(...))'
  const [, fn, name, path = '', close, op, raw] = m
  if (Boolean(fn) !== Boolean(close)) return `${fn ?? ''}( without its closing )`
  const expected = expectedValue(raw!)
  if (Array.isArray(expected)) return expected[0]!
  let read: (view: ConditionView) => unknown
  if (WITH_FIELDS.includes(name!)) {
    const keys = pathKeys(path)
    if (name === 'DETAILS') {
      if (keys.length === 0) return 'expected [DETAILS].<key>, e.g. "[DETAILS].rows >= 1"'
      read = (view) => walk(details(view), keys)
    } else read = keys.length === 0 ? (view) => view.outcome.body : (view) => walk(bodyJson(view), keys)
  } else {
    const subject = SUBJECTS[name!]
    if (!subject)
      return `unknown placeholder [${name}]; known: ${[...Object.keys(SUBJECTS), ...WITH_FIELDS].map((k) => `[${k}]`).join(', ')}`
    if (path !== '')
      return `[${name}] has no fields; only ${WITH_FIELDS.map((k) => `[${k}]`).join(' and ')} do`
    read = subject
  }
  if (fn === 'len') {
    const field = read
    read = (view) => lengthOf(field(view))
  } else if (fn === 'has') {
    const field = read
    read = (view) => field(view) !== undefined
  }
  if (op !== '==' && op !== '!=' && typeof expected !== 'number')
    return `${op} compares numbers and durations; found ${JSON.stringify(raw)}`
  return { text: text.trim(), read, op: op as Operator, expected, readsBody: name === 'BODY' }
}

function holds(op: Operator, actual: unknown, expected: Expected): boolean {
  if (op === '==') {
    if (typeof expected === 'object') return expected.matches(actual)
    return actual === expected || (typeof expected !== 'string' && String(actual) === String(expected))
  }
  if (op === '!=') return !holds('==', actual, expected)
  if (typeof actual !== 'number') return false
  const e = expected as number
  return op === '<' ? actual < e : op === '<=' ? actual <= e : op === '>' ? actual > e : actual >= e
}

/** A value as a result names it: a long text (a body) cut to its first 100 characters. */
const shown = (value: unknown) =>
  value === undefined
    ? 'none'
    : typeof value === 'string'
      ? JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value)
      : typeof value === 'object'
        ? '[object]'
        : String(value)

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
