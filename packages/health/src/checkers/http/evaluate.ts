import { JSONPath } from 'jsonpath-plus'
import type { CheckOutcome } from '../../checker.ts'
import type { HttpCheckOptions } from './schema.ts'

/**
 * How an HTTP answer is judged, the same whichever client fetched it: the status, the time,
 * the certificate's days left and the body's conditions, in that order.
 */

export interface JsonPlan {
  path: string
  equals?: string | number | boolean | null | undefined
  matches?: RegExp
  matchesSource?: string
}

/** What judging the answers of one target needs, worked out once. */
export interface Verdict {
  ranges: Array<[number, number]>
  statusText: string
  json: JsonPlan[]
}

const okMessages = new Map<number, string>()

/** One accepted status spec as an inclusive range. */
export function toRange(spec: number | string): [number, number] {
  if (typeof spec === 'number') return [spec, spec]
  if (spec.endsWith('xx')) {
    const base = Number(spec[0]) * 100
    return [base, base + 99]
  }
  const [lo, hi] = spec.split('-').map(Number)
  return [lo!, hi ?? lo!]
}

/** The verdict of a target's options. */
export function verdictOf(target: HttpCheckOptions): Verdict {
  return {
    ranges: target.expectedStatus.map(toRange),
    statusText: target.expectedStatus.join(', '),
    json: target.json.map((c) => ({
      path: c.path,
      equals: c.equals,
      ...(c.matches === undefined ? {} : { matches: new RegExp(c.matches), matchesSource: c.matches }),
    })),
  }
}

/** Whether a check reads the body: only when a body condition is set. */
export const needsBody = (target: HttpCheckOptions): boolean =>
  target.readBody === true ||
  target.bodyContains !== undefined ||
  target.bodyNotContains !== undefined ||
  target.json.length > 0

function inRanges(ranges: ReadonlyArray<[number, number]>, statusCode: number): boolean {
  for (const [lo, hi] of ranges) if (statusCode >= lo && statusCode <= hi) return true
  return false
}

function fail(message: string, details: Record<string, unknown>, retryable = false): CheckOutcome {
  return { state: 'unhealthy', message, details, retryable }
}

/** Judges a complete answer. */
export function evaluate(
  target: HttpCheckOptions,
  plan: Verdict,
  statusCode: number,
  responseTimeMs: number,
  body: Buffer | undefined,
  details: Record<string, unknown>,
): CheckOutcome {
  if (!inRanges(plan.ranges, statusCode))
    return fail(
      `expected status ${plan.statusText}, got ${statusCode}`,
      details,
      statusCode >= 500 || statusCode === 429,
    )
  if (target.maxResponseTimeMs !== undefined && responseTimeMs > target.maxResponseTimeMs)
    return fail(
      `response took ${Math.round(responseTimeMs)} ms, more than ${target.maxResponseTimeMs} ms`,
      details,
      true,
    )
  if (target.minCertDays !== undefined) {
    const left = details.certDaysLeft
    if (typeof left !== 'number') return fail('no certificate expiry to check', details)
    if (left < target.minCertDays)
      return fail(`certificate expires in ${left} days, fewer than ${target.minCertDays}`, details)
  }
  const text = body?.toString('utf8')
  if (text !== undefined) {
    const problem = checkBody(target, plan, text)
    if (problem) return fail(problem, details)
  }
  let message = okMessages.get(statusCode)
  if (message === undefined) {
    message = `status ${statusCode}`
    okMessages.set(statusCode, message)
  }
  if (target.readBody) return { state: 'healthy', message, details, body: text ?? '' }
  return { state: 'healthy', message, details }
}

/** TLS verification failures: the server answered with a certificate the client refused. */
const CERTIFICATE_ERRORS = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_REVOKED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
])

/**
 * With a certificate condition (`minCertDays`), a handshake refused for the certificate is the
 * condition failing, `unhealthy` with the reason: the server answered, with a certificate that
 * is expired, untrusted or for another name. Without one it stays an `error`, as before.
 */
export function certificateFailure(target: HttpCheckOptions, error: unknown): CheckOutcome | undefined {
  if (target.minCertDays === undefined) return undefined
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code !== 'string' || !CERTIFICATE_ERRORS.has(code)) return undefined
  const reason = code === 'CERT_HAS_EXPIRED' ? 'certificate expired' : `certificate refused: ${code}`
  return fail(reason, { code })
}

function checkBody(target: HttpCheckOptions, plan: Verdict, text: string): string | undefined {
  if (target.bodyContains !== undefined && !text.includes(target.bodyContains))
    return `body does not contain ${JSON.stringify(target.bodyContains)}`
  if (target.bodyNotContains !== undefined && text.includes(target.bodyNotContains))
    return `body contains ${JSON.stringify(target.bodyNotContains)}`
  if (plan.json.length === 0) return undefined
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return 'body is not JSON'
  }
  for (const condition of plan.json) {
    const problem = checkJson(json, condition)
    if (problem) return problem
  }
  return undefined
}

function checkJson(json: unknown, condition: JsonPlan): string | undefined {
  let found: unknown[]
  try {
    found = JSONPath({ path: condition.path, json: json as object, wrap: true, eval: false }) as unknown[]
  } catch {
    return `${condition.path} is not a valid JSON path`
  }
  if (found.length === 0) return `${condition.path} not found`
  const value = found[0]
  const shown = JSON.stringify(value) ?? String(value)
  if (condition.equals !== undefined && value !== condition.equals)
    return `${condition.path} is ${shown}, expected ${JSON.stringify(condition.equals)}`
  if (condition.matches !== undefined) {
    const text = typeof value === 'string' ? value : shown
    if (!condition.matches.test(text))
      return `${condition.path} is ${shown}, expected to match /${condition.matchesSource}/`
  }
  return undefined
}
